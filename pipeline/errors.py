"""Coded, actionable errors. Imports nothing else from pipeline."""

from __future__ import annotations


class DangjianError(Exception):
    """An error a user can fix. ``code`` is short and greppable; ``hint`` says what to do."""

    code = "E000"

    def __init__(self, message: str, hint: str = ""):
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message}"
        if self.hint:
            text += f" -> {self.hint}"
        return text


class InputError(DangjianError):
    code = "E001"


class LexiconError(DangjianError):
    code = "E002"


class ModelError(DangjianError):
    code = "E003"


class BackendMissing(DangjianError):
    code = "E004"


class OutputLocked(DangjianError):
    code = "E005"


class TaxonomyError(DangjianError):
    code = "E006"


class LabelError(DangjianError):
    code = "E007"


class OutputError(DangjianError):
    """The output folder cannot be written (full disk, quota, read-only, permissions). Raised
    before anything is published, so the previous outputs are untouched; see :func:`output_error`."""

    code = "E010"


class NoDocuments(DangjianError):
    """A run found no document to analyse: it publishes nothing (the previous outputs stay)."""

    code = "E011"


class MixedOutputs(DangjianError):
    """An output folder holds files of two runs (a run stopped while publishing)."""

    code = "E012"


#: errno names of the faults :func:`output_error` turns into one :class:`OutputError`
OUTPUT_FAULTS = {
    "ENOSPC": "free some space on that disk (or give another --out folder)",
    "EDQUOT": "the disk quota is exhausted: free some space (or give another --out folder)",
    "EROFS": "the folder is on a read-only file system: give a writable --out folder",
    "EACCES": "you may not write there: fix the folder's permissions or give another --out folder",
    "EPERM": "you may not write there: fix the folder's permissions or give another --out folder",
}


def output_error(err: BaseException, out_dir) -> OutputError | None:
    """``err`` as one coded :class:`OutputError` when it is a fault of the output folder (an
    ``OSError`` whose errno is in :data:`OUTPUT_FAULTS`, also when a library such as pyarrow
    only names it in its message); None for any other error (a bug: keep its traceback)."""
    import errno as errno_mod
    import os

    if not isinstance(err, OSError):
        return None
    name = errno_mod.errorcode.get(err.errno or 0, "")
    if name not in OUTPUT_FAULTS:  # pyarrow: OSError("... error: [errno 28] No space left on device")
        text = str(err)
        name = next((n for n in OUTPUT_FAULTS if hasattr(errno_mod, n) and os.strerror(getattr(errno_mod, n)) in text), "")
        if not name:
            return None
    what = os.strerror(getattr(errno_mod, name))
    where = f" ({err.filename})" if getattr(err, "filename", None) else ""
    if getattr(err, "pending_switch", False):  # failed while switching the new outputs in, and could not finish
        state, hint = "the switch-over to the new outputs is unfinished", f"{OUTPUT_FAULTS[name]}; the next run finishes it"
    else:
        state, hint = "no output was changed", OUTPUT_FAULTS[name]
    return OutputError(f"cannot write to {out_dir}: {what} [{name}]{where}; {state}", hint)
