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
