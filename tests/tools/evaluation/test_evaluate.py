"""The screening targets `ham10k evaluate` prints: bounds on both sides, missing figures never count as met."""

from __future__ import annotations

from tools.evaluation.evaluate import TARGETS, headline_table, target_check


def report(**over) -> dict:
    base = {"balanced_accuracy": 0.81, "melanoma_recall": 0.80, "ece": 0.04,
            "triage": {"melanoma_flagged_urgent": 0.95, "benign_flagged_urgent": 0.15}}
    for key, value in over.items():
        if key in base["triage"]:
            base["triage"][key] = value
        else:
            base[key] = value
    return base


def test_targets_on_their_bounds_are_met():
    rows = target_check(report())
    assert [r["met"] for r in rows] == [True] * len(TARGETS)
    assert rows[0] == {"target": "balanced accuracy", "measured": 0.81, "bound": ">= 0.80", "met": True}


def test_each_side_of_a_bound_is_held():
    by_name = {r["target"]: r["met"] for r in target_check(report(balanced_accuracy=0.799, benign_flagged_urgent=0.151))}
    assert by_name == {"balanced accuracy": False, "melanoma recall (top class)": True, "melanomas flagged urgent": True,
                       "benign lesions flagged urgent": False, "ECE": True}


def test_a_figure_the_report_lacks_is_not_met():
    by_name = {r["target"]: r for r in target_check(report(melanoma_flagged_urgent=None))}
    assert by_name["melanomas flagged urgent"] == {"target": "melanomas flagged urgent", "measured": None,
                                                   "bound": ">= 0.90", "met": False}
    assert not {r["target"]: r for r in target_check({"balanced_accuracy": 0.9})}["ECE"]["met"]


def test_the_printed_table_says_which_targets_are_missed():
    r = report(ece=0.05) | {"n": 7, "accuracy": 0.9, "macro_f1": 0.8, "auroc_melanoma_vs_rest": 0.9,
                            "auroc_malignant_vs_benign": 0.9, "variants": {}, "per_class": {}}
    r["targets"] = target_check(r)
    lines = {line.split("  ")[0]: line for line in headline_table(r).splitlines()}
    assert lines["ECE"].rstrip().endswith("NOT met") and "0.050" in lines["ECE"]
    assert lines["balanced accuracy"].rstrip().endswith(" met")
