"""Classification metrics on probability arrays (pure numpy, no sklearn)."""

from __future__ import annotations

import numpy as np


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> np.ndarray:
    cm = np.zeros((n, n), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def per_class(cm: np.ndarray) -> list[dict[str, float]]:
    tp = np.diag(cm).astype(float)
    support = cm.sum(1)
    predicted = cm.sum(0)
    out = []
    for i in range(len(cm)):
        p = tp[i] / predicted[i] if predicted[i] else 0.0
        r = tp[i] / support[i] if support[i] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out.append({"precision": p, "recall": r, "f1": f, "support": int(support[i])})
    return out


def ece(probs: np.ndarray, y_true: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top-class confidence, equal-width bins."""
    conf = probs.max(1)
    correct = probs.argmax(1) == y_true
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(total)


def auroc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve via the rank statistic (ties get average ranks)."""
    pos, neg = positive.sum(), (~positive).sum()
    if pos == 0 or neg == 0:
        return None
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores), dtype=float)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[positive].sum() - pos * (pos + 1) / 2) / (pos * neg))


def summary(probs: np.ndarray, y_true: np.ndarray, dx_codes: list[str], mel: int, malignant: list[int]) -> dict:
    n = len(dx_codes)
    y_pred = probs.argmax(1)
    cm = confusion(y_true, y_pred, n)
    pcs = per_class(cm)
    present = [i for i in range(n) if cm[i].sum()]
    return {
        "n": int(len(y_true)),
        "accuracy": float((y_pred == y_true).mean()),
        "balanced_accuracy": float(np.mean([pcs[i]["recall"] for i in present])),
        "macro_f1": float(np.mean([pcs[i]["f1"] for i in present])),
        "ece": ece(probs, y_true),
        "melanoma_recall": pcs[mel]["recall"],
        "auroc_melanoma_vs_rest": auroc(probs[:, mel], y_true == mel),
        "auroc_malignant_vs_benign": auroc(probs[:, malignant].sum(1), np.isin(y_true, malignant)),
        "per_class": {dx: pcs[i] for i, dx in enumerate(dx_codes)},
        "confusion_matrix": {"labels": dx_codes, "rows_true_cols_predicted": cm.tolist()},
    }


def bootstrap_intervals(probs: np.ndarray, y_true: np.ndarray, n_classes: int, rounds: int = 1000,
                        seed: int = 0) -> dict:
    """95% percentile intervals over `rounds` resamples of the images: balanced accuracy and each class's
    recall and precision (a class absent from a resample is left out of that resample's figure)."""
    rng = np.random.default_rng(seed)
    y_pred = probs.argmax(1)
    bal, recall, precision = [], [[] for _ in range(n_classes)], [[] for _ in range(n_classes)]
    for _ in range(rounds):
        idx = rng.integers(0, len(y_true), len(y_true))
        cm = confusion(y_true[idx], y_pred[idx], n_classes)
        pcs = per_class(cm)
        present = [i for i in range(n_classes) if cm[i].sum()]
        bal.append(np.mean([pcs[i]["recall"] for i in present]))
        for i in range(n_classes):
            if cm[i].sum():
                recall[i].append(pcs[i]["recall"])
            if cm[:, i].sum():
                precision[i].append(pcs[i]["precision"])

    def ci(values: list[float]) -> list[float] | None:
        return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))] if values else None

    return {"rounds": rounds, "balanced_accuracy": ci(bal),
            "recall": [ci(v) for v in recall], "precision": [ci(v) for v in precision]}
