"""The result renderer: the facts the report and the answers say, worded from the catalogue."""

from __future__ import annotations

from assistant.text.result import facts, percent
from tests.assistant.factories import classification


def test_small_shares_are_not_zero() -> None:
    assert [percent(p) for p in (0.0, 0.0049, 0.0051, 0.2349, 0.625)] == ["under 1%", "under 1%", "1%", "23%", "62%"]


def test_facts_word_the_numbers_and_lists() -> None:
    values = facts(classification("melanoma", 0.62, low_confidence=False))
    assert values["confidence_pct"] == "62%" and values["low_confidence"] == "no"
    assert values["malignant_names"] == "Actinic keratosis, Basal cell carcinoma and Melanoma"
    assert values["top3"].startswith("Melanoma 62%, Melanocytic nevus (mole) ")
    assert values["top3"].count(", ") == 2 and values["runners_up"].count(", ") == 1
    assert values["entropy"] == f"{classification('melanoma', 0.62).uncertainty.entropy:.2f}"


def test_numbers_follow_the_locale() -> None:
    values = facts(classification("melanoma", 0.62), "de")
    assert values["confidence_pct"] == "62\xa0%" and "," in values["entropy"]
