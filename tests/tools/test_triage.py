from __future__ import annotations

from tools.catalogue import catalogue
from tools.manifest import TriagePolicy
from tools.text import render
from tools.triage import confidence_band, triage

POLICY = TriagePolicy(melanoma_escalation=0.3, malignant_escalation=0.5, low_confidence=0.6)


def probs(**by_dx: float) -> dict[str, float]:
    cat = catalogue()
    rest = (1 - sum(by_dx.values())) / (len(cat.classes) - len(by_dx))
    return {c.label: by_dx.get(c.dx, rest) for c in cat.classes}


def test_confident_mole_is_low():
    t = triage(probs(nv=0.94), POLICY)
    assert t.tier == "low" and not t.escalated
    assert "3–6 months" in t.action


def test_melanoma_probability_escalates_even_when_a_mole_is_on_top():
    """The seed called a 40%-melanoma result 'low'; here it is urgent, with the reason given."""
    t = triage(probs(nv=0.55, mel=0.40), POLICY)
    assert t.tier == "urgent" and t.escalated
    assert "40%" in t.reason and "melanoma" in t.reason.lower()


def test_melanoma_below_threshold_does_not_escalate():
    assert triage(probs(nv=0.80, mel=0.10), POLICY).tier == "low"


def test_malignant_classes_together_raise_to_high():
    t = triage(probs(bkl=0.45, bcc=0.25, akiec=0.25, mel=0.01), POLICY)
    assert t.tier == "high" and t.escalated and "51%" in t.reason


def test_low_confidence_is_said_plainly_and_never_stays_low():
    t = triage(probs(bkl=0.40, df=0.35), POLICY)
    assert t.tier == "moderate"
    assert "not confident" in t.reason


def test_top_class_tier_kept_when_nothing_escalates():
    assert triage(probs(bcc=0.90), POLICY).tier == "high"
    assert triage(probs(mel=0.85), POLICY).tier == "urgent"
    assert not triage(probs(mel=0.85), POLICY).escalated


def test_confidence_bands_match_the_seed():
    assert [confidence_band(c) for c in (0.95, 0.8, 0.79, 0.6, 0.59)] == ["high", "high", "moderate", "moderate", "low"]


def test_catalogue_order_is_the_seeds_training_order():
    assert catalogue().dx_codes == ["akiec", "bcc", "bkl", "df", "nv", "mel", "vasc"]
    assert catalogue().labels[5] == "melanoma"
    assert {c.dx for c in catalogue().classes if c.malignant} == {"akiec", "bcc", "mel"}


def test_reasons_are_codes_worded_by_the_catalogue():
    """Triage decides (codes and numbers); the sentence is the catalogue's, and the JSON keeps its shape."""
    t = triage(probs(nv=0.55, mel=0.40), POLICY)
    assert [r.id for r in t.reasons] == ["triage.closest", "triage.melanoma", "triage.low_confidence"]
    assert t.reasons[1].params == {"p": 0.40, "threshold": 0.3}
    assert t.reason == " ".join(render(r) for r in t.reasons)
    assert t.reason.startswith("The closest match is melanocytic nevus (mole), at 55%.")
    assert "reasons" not in t.model_dump(mode="json")
