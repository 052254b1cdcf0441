"""Metric code against small cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tools.metrics import auroc, confusion, ece, per_class, summary


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
