"""Training: fit the classifier on every labelled CSV and save it (``dangjian train``).

Whether a saved model is current or must be trained again is decided in one place,
``pipeline.classify.registry``; this module only fits and saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.classify.candidates import DEFAULT_MODEL
from pipeline.classify.data import load_labels
from pipeline.classify.evaluate import cross_validate
from pipeline.classify.files import (
    features_hash,
    labels_hash,
    model_path,
    models_dir_default,
)
from pipeline.classify.model import ParagraphClassifier
from pipeline.classify.persist import save_model


@dataclass
class TrainResult:
    classifier: ParagraphClassifier
    path: Path
    n: int
    counts: dict
    cv: dict | None = None
    meta: dict = field(default_factory=dict)

    def text(self) -> str:
        lines = [
            f"trained {self.classifier.model} ({self.meta.get('taxonomy')}) on {self.n} paragraphs: "
            + ", ".join(f"{k} {v}" for k, v in self.counts.items())
        ]
        if self.cv:
            lines.append(
                f"{len(self.cv['folds'])}-fold CV macro-F1 {self.cv['macro_f1']:.3f} ± {self.cv['std']:.3f} (accuracy {self.cv['accuracy']:.3f})"
            )
        lines.append(f"saved {self.path}")
        return "\n".join(lines)


def train(labels_dir=None, *, taxonomy: str = "four", models_dir=None, lexicon_dir=None, model: str = DEFAULT_MODEL, cv: bool = False) -> TrainResult:
    """Fit on every CSV in ``labels_dir`` and save under ``models_dir``; optional CV summary."""
    from pipeline.config import LABELS_DIR, LEXICON_DIR

    taxonomy = getattr(taxonomy, "value", taxonomy)
    labels_dir = Path(labels_dir) if labels_dir is not None else LABELS_DIR
    models_dir = Path(models_dir) if models_dir is not None else models_dir_default()
    # the model stores its settings: keep them plain (str/None) so skops needs no extra types
    if lexicon_dir is not None:
        lexicon_dir = None if Path(lexicon_dir).resolve() == LEXICON_DIR.resolve() else str(lexicon_dir)
    data = load_labels(labels_dir, taxonomy, lexicon_dir)
    data_hash = labels_hash(labels_dir)
    cv_result = None
    if cv:
        cv_result = cross_validate(data, model, lexicon_dir=lexicon_dir)
        cv_result.pop("pred", None)
    clf = ParagraphClassifier(model=model, taxonomy=taxonomy, lexicon_dir=lexicon_dir).fit(data, data["label"])
    meta = {
        "taxonomy": taxonomy,
        "labels_dir": str(labels_dir),
        "training_data_sha256": data_hash,
        "features_sha256": features_hash(lexicon_dir, model),
        "n_train": int(len(data)),
        "class_counts": {k: int(v) for k, v in data["label"].value_counts().sort_index().items()},
    }
    if cv_result:
        meta["cv"] = cv_result
    path = save_model(clf, model_path(models_dir, taxonomy), meta)
    return TrainResult(clf, path, len(data), meta["class_counts"], cv_result, meta)
