"""The ISIC 2018 task 3 figures computed by the challenge's own scorer (`isic-challenge-scoring`), so ours
compare with published ones. Its CSV reader calls pandas' removed `applymap`, so we hand the scorer the
tables it would have read (images as rows, the challenge's columns) directly."""

from __future__ import annotations

import numpy as np

from tools.catalogue import catalogue

# The challenge's column names for our dx codes, in its column order.
COLUMNS = {"mel": "MEL", "nv": "NV", "bcc": "BCC", "akiec": "AKIEC", "bkl": "BKL", "df": "DF", "vasc": "VASC"}


def _table(ids: list[str], values: np.ndarray, dx_codes: list[str]):
    import pandas as pd

    order = [dx_codes.index(dx) for dx in COLUMNS]
    return pd.DataFrame(values[:, order], index=pd.Index(ids, name="image"), columns=list(COLUMNS.values()))


def challenge_score(ids: list[str], probs: np.ndarray, y_true: np.ndarray) -> dict:
    """Balanced multiclass accuracy and per-class AUC / AP / sensitivity / specificity as the challenge scored them."""
    from isic_challenge_scoring.classification import ClassificationMetric, ClassificationScore

    import pandas as pd

    dx_codes = catalogue().dx_codes
    truth = _table(ids, np.eye(len(dx_codes))[y_true], dx_codes)
    weights = pd.DataFrame({"score_weight": 1.0, "validation_weight": 1.0}, index=truth.index)
    score = ClassificationScore(truth, _table(ids, probs.astype(np.float64), dx_codes), weights,
                                ClassificationMetric.BALANCED_ACCURACY)
    per = score.per_category
    return {
        "balanced_accuracy": float(score.aggregate["balanced_accuracy"]),
        "macro_auc": float(score.macro_average["auc"]),
        "per_class": {col: {k: float(per.at[col, k]) for k in ("sensitivity", "specificity", "auc", "ap")}
                      for col in COLUMNS.values()},
    }
