"""Metric code against small cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tools.evaluation.metrics import auroc, confusion, ece, per_class, summary


def test_confusion_and_per_class():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 2])
    cm = confusion(y_true, y_pred, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 1], [0, 0, 1]]
    pc = per_class(cm)
    assert pc[1]["precision"] == pytest.approx(2 / 3) and pc[1]["recall"] == pytest.approx(2 / 3)
    assert pc[2]["precision"] == pytest.approx(0.5) and pc[2]["recall"] == 1.0
    assert pc[2]["f1"] == pytest.approx(2 * 0.5 * 1 / 1.5)


def test_auroc_hand_cases():
    assert auroc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True])) == pytest.approx(0.75)
    assert auroc(np.array([0.5, 0.5]), np.array([True, False])) == pytest.approx(0.5)  # a tie counts half
    assert auroc(np.array([0.2, 0.3]), np.array([True, True])) is None


def test_ece_hand_case():
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    y = np.array([0, 1, 0, 0])
    # bin (0.867,0.933]: conf 0.9, acc 0.5 -> 0.4 * 2/4; bin (0.533,0.6]: conf 0.6, acc 1.0 -> 0.4 * 2/4
    assert ece(probs, y) == pytest.approx(0.4)


def test_summary_balanced_accuracy_and_melanoma_recall():
    probs = np.eye(3)[[0, 0, 1, 2, 2, 2]]
    y = np.array([0, 1, 1, 2, 2, 0])
    s = summary(probs, y, ["a", "b", "c"], mel=2, malignant=[2])
    assert s["balanced_accuracy"] == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    assert s["melanoma_recall"] == 1.0
    assert s["accuracy"] == pytest.approx(4 / 6)
    assert s["confusion_matrix"]["rows_true_cols_predicted"] == [[1, 0, 1], [1, 1, 0], [0, 0, 2]]


def _noisy(n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 7, n)
    p = rng.dirichlet(np.ones(7), n)
    p[np.arange(n), y] += rng.uniform(0, 0.8, n)
    return p / p.sum(1, keepdims=True), y


def test_the_challenge_scorer_agrees_with_our_balanced_accuracy():
    from tools.catalogue import catalogue
    from tools.evaluation.challenge_score import challenge_score

    probs, y = _noisy()
    ours = summary(probs, y, catalogue().dx_codes, catalogue().by_dx("mel").index, [0, 1, 5])
    theirs = challenge_score([f"ISIC_{i:07d}" for i in range(len(y))], probs, y)
    assert abs(theirs["balanced_accuracy"] - ours["balanced_accuracy"]) < 1e-9
    assert abs(theirs["per_class"]["MEL"]["auc"] - ours["auroc_melanoma_vs_rest"]) < 1e-6


def test_bootstrap_interval_brackets_the_estimate_and_narrows_with_more_images():
    from tools.evaluation.metrics import bootstrap_intervals

    small, big = _noisy(150, 1), _noisy(1500, 1)
    ci_small = bootstrap_intervals(*small, 7, rounds=300)["balanced_accuracy"]
    ci_big = bootstrap_intervals(*big, 7, rounds=300)
    point = summary(*big, [str(i) for i in range(7)], 5, [5])["balanced_accuracy"]
    assert ci_big["balanced_accuracy"][0] < point < ci_big["balanced_accuracy"][1]
    assert ci_big["balanced_accuracy"][1] - ci_big["balanced_accuracy"][0] < ci_small[1] - ci_small[0]
    assert all(lo <= hi for lo, hi in ci_big["recall"])
