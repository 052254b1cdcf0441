"""assistant.safety: the forbidden-content net and Markdown cleaning."""

from __future__ import annotations

import pytest

from assistant.safety import clean_markdown, find_forbidden, scrub


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("You have melanoma.", "diagnosis"),
        ("you definitely have a basal cell carcinoma", "diagnosis"),
        ("This is definitely a harmless mole.", "diagnosis"),
        ("It's certainly nothing serious.", "diagnosis"),
        ("The spot is benign.", "diagnosis"),
        ("You don't have cancer.", "diagnosis"),
        ("Your diagnosis is actinic keratosis.", "diagnosis"),
        ("Take 400 mg ibuprofen.", "dose"),
        ("Apply 5% imiquimod cream at night.", "dose"),
        ("Use hydrocortisone twice a day for 2 weeks.", "dose"),
        ("A 1% cream may help.", "dose"),
        ("Ask about imiquimod.", "drug"),
        ("There is no need to see a doctor.", "dismissal"),
        ("You don't need a doctor for this.", "dismissal"),
        ("This can safely be ignored.", "dismissal"),
    ],
)
def test_forbidden_phrasings_are_found(text: str, kind: str) -> None:
    assert kind in {v.kind for v in find_forbidden(text)}


@pytest.mark.parametrize(
    "text",
    [
        "This may be consistent with melanoma; a doctor can confirm.",
        "If you have a mole that changes, see a doctor.",
        "Melanoma is a serious type of skin cancer. It is very treatable when found early.",
        "The spot is likely benign, but a clinician should check it.",
        "Use sunscreen of SPF 30 or higher and reapply every 2 hours outdoors.",
        "Moles larger than 6 mm deserve a check.",
        "A doctor can discuss treatment options with you.",
        "The screening confidence was 62%.",
        "Try not to panic: there is no need to worry before the visit.",
    ],
)
def test_hedged_advice_passes(text: str) -> None:
    assert find_forbidden(text) == []


def test_violation_positions_point_at_the_text() -> None:
    text = "Watch it. Take 400 mg ibuprofen."
    v = next(v for v in find_forbidden(text) if v.kind == "dose")
    assert text[v.start : v.end] == v.text == "400 mg"
    assert v.reason == "a medicine dose or schedule"


def test_scrub_drops_only_offending_sentences_and_empty_items() -> None:
    text = "- Watch it.\n- Take 400 mg ibuprofen.\n- You have melanoma. Stay calm.\n1. See a doctor. No need to see a doctor."
    assert scrub(text) == "- Watch it.\n- Stay calm.\n1. See a doctor."


def test_clean_markdown_removes_html_images_links_and_fences() -> None:
    dirty = (
        'Look <b>closely</b><script>alert("x")</script> at <img src=x onerror=alert(1)> it.\n'
        "<!-- hidden -->![pixel](http://tracker.example/p.png) [more](javascript:alert(1)) <unclosed tag\n"
        "```\nplain\n```"
    )
    clean = clean_markdown(dirty)
    assert clean == "Look closely at  it.\n more \\<unclosed tag\n\nplain"
    assert "script" not in clean and "http" not in clean and "```" not in clean
