"""The measured quality of a saved model and its calibration data (numpy and standard library
only, so the report and the run can read them without sklearn).

``dangjian train`` (``pipeline.classify.training``) measures every model it saves and writes:

* in the JSON sidecar ``classifier-<taxonomy>.json``, a ``quality`` block: leave-one-source-
  group-out macro-F1 with a 95% bootstrap interval over documents (the headline: how the model
  does on a kind of collection it has not seen), per-group and per-class F1, doc-grouped 5-fold
  CV macro-F1 with its interval, the label counts by ``org_kind`` and, for the six-way model,
  ``experimental`` (true while its LOSO macro-F1 is more than 0.05 below the four-way model's);
* next to the model, ``classifier-<taxonomy>.calibration.npz``: every labelled paragraph's
  out-of-fold posterior, for correcting category shares for the measured misclassification
  rates. Arrays (no pickles; strings as fixed-width unicode):

  ``labels``       int64 (n,)    true label, index into ``label_order``
  ``posteriors``   float64 (n,k) doc-grouped 5-fold CV posterior (columns ``label_order``)
  ``groups``       int64 (n,)    document id (index into ``docs``): resample these for intervals
  ``label_order``  <U (k,)       the taxonomy's labels, column order of ``posteriors``
  ``docs``         <U (n_docs,)  document of each id
  ``org_kind``     <U (n,)       kind of source of each paragraph
  ``source_group`` <U (n,)       its LOSO source group (``pipeline.classify.sources``)
  ``fold``         int64 (n,)    its CV fold
  ``posteriors_loso`` float64 (n,k)  leave-one-source-group-out posterior (absent when the labels
                                 have fewer than two source groups): the conservative choice for a
                                 collection of a new kind
  ``meta``         uint8         JSON: fingerprint, model, taxonomy, protocols

::

    q = quality(models_dir, "four")          # {} when the model was saved without measurements
    cal = read_calibration(models_dir, "four")
    Calibration(cal["labels"], cal["posteriors"], cal["groups"], list(cal["label_order"]))
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from pipeline.classify.files import model_path, models_dir_default, read_sidecar

CALIBRATION_FORMAT = 1
#: the six-way model is "experimental" while its LOSO macro-F1 is more than this below the four-way model's
EXPERIMENTAL_MARGIN = 0.05
CALIBRATION_KEYS = ("labels", "posteriors", "groups", "label_order")


def calibration_path(path) -> Path:
    """``classifier-four.skops`` -> ``classifier-four.calibration.npz``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.calibration.npz")


def _model_path(models_dir, taxonomy) -> Path:
    models_dir = Path(models_dir) if models_dir is not None else models_dir_default()
    return model_path(models_dir, getattr(taxonomy, "value", taxonomy))


def quality(models_dir=None, taxonomy: str = "four") -> dict:
    """The measured quality of the saved ``taxonomy`` model (its sidecar's ``quality`` block
    plus ``model``, ``fingerprint``, ``n_train``, ``taxonomy``), or {} when there is no sidecar
    or it holds no measurements. Keys of the block: ``macro_f1`` / ``macro_f1_ci`` (LOSO, the
    headline), ``per_class_f1``, ``loso`` and ``cv`` (full summaries), ``label_counts``
    (org_kind -> label -> n), ``experimental`` (bool), ``reference_macro_f1`` (six-way: the
    four-way model's LOSO macro-F1 it is compared with), ``six_way`` ("direct" or
    "keyword-split")."""
    info = read_sidecar(_model_path(models_dir, taxonomy))
    if not info or not isinstance(info.get("quality"), dict):
        return {}
    out = dict(info["quality"])
    for key in ("model", "fingerprint", "n_train", "taxonomy"):
        if key in info:
            out.setdefault(key, info[key])
    return out


def read_calibration(models_dir=None, taxonomy: str = "four") -> dict | None:
    """The calibration arrays saved next to the ``taxonomy`` model (see the module docstring),
    with ``meta`` decoded to a dict; None when the file is missing or unreadable."""
    path = calibration_path(_model_path(models_dir, taxonomy))
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays["meta"] = json.loads(bytes(arrays["meta"]).decode("utf-8")) if "meta" in arrays else {}
    except Exception:
        return None
    if any(k not in arrays for k in CALIBRATION_KEYS):
        return None
    return arrays


def calibration_bytes(arrays: dict, meta: dict) -> bytes:
    """The .npz bytes of calibration ``arrays`` (see the module docstring) and ``meta``."""
    buf = io.BytesIO()
    meta = {"calibration_format": CALIBRATION_FORMAT, **meta}
    np.savez(buf, meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8), **arrays)
    return buf.getvalue()
