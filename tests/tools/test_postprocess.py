"""tools/postprocess.py: probabilities -> a result, the one path the classifier and the seed routes share."""

from __future__ import annotations

import math

import pytest
import torch

from tools.catalogue import catalogue
from tools.manifest import TriagePolicy
from tools.postprocess import (
    member_result,
    ordered,
    probability_map,
    rebuilt,
    reread_member,
    result_from_probabilities,
    uncertainty,
)
from tools.result import ImageInfo, MemberResult, OODVerdict, Timings
from tools.triage import triage

POLICY = TriagePolicy(melanoma_escalation=0.3, malignant_escalation=0.5, low_confidence=0.6)
IMAGE = ImageInfo(format="JPEG", width=600, height=450)
TIMINGS = Timings(preprocess_ms=1.0, inference_ms=2.0, total_ms=3.0)


def probs(**by_dx: float) -> list[float]:
    """One probability per class in catalogue order; the rest shared equally by the classes not named."""
    cat = catalogue()
    rest = (1 - sum(by_dx.values())) / (len(cat.classes) - len(by_dx))
    return [by_dx.get(c.dx, rest) for c in cat.classes]


def build(p, members=(), ood: OODVerdict | None = None, policy: TriagePolicy = POLICY):
    return result_from_probabilities(p, list(members), policy, "test-profile", ood=ood or OODVerdict(checked=False),
                                     image=IMAGE, timings=TIMINGS)


def test_the_top_class_its_words_and_the_urgency_follow_from_the_probabilities():
    r = build(probs(nv=0.55, mel=0.40))
    nevus = catalogue().by_dx("nv")
    assert (r.label, r.dx, r.display_name, r.description) == (nevus.label, "nv", nevus.display_name, nevus.description)
    assert r.confidence == 0.55 and r.confidence_band == "low" and r.status == "ok" and r.profile == "test-profile"
    assert r.triage == triage(r.probabilities, POLICY)
    assert r.triage.tier == "urgent" and r.triage.escalated and [m.id for m in r.triage.reasons][-2:] == [
        "triage.melanoma", "triage.low_confidence"]
    assert r.malignant_probability == pytest.approx(0.40 + 2 * 0.05 / 5, abs=1e-6)
    assert (r.image, r.timings) == (IMAGE, TIMINGS)


def test_a_float32_tensor_and_python_numbers_give_the_same_result():
    p = probs(bcc=0.7, mel=0.2)
    a, b = build(torch.tensor(p, dtype=torch.float32)), build(p)
    assert (a.label, a.triage.tier, a.confidence_band) == (b.label, b.triage.tier, b.confidence_band)
    assert a.probabilities == pytest.approx(b.probabilities, abs=1e-6)


def test_probabilities_are_carried_to_six_decimals_in_catalogue_order():
    shown = probability_map(probs(mel=1 / 3))
    assert list(shown) == catalogue().labels and shown["melanoma"] == 0.333333


def test_uncertainty_entropy_margin_and_the_low_confidence_floor():
    flat = uncertainty([1 / 7] * 7, POLICY)
    assert flat.entropy == pytest.approx(1.0, abs=1e-4) and flat.margin == pytest.approx(0, abs=1e-6)
    assert flat.low_confidence
    sure = uncertainty(probs(nv=1.0), POLICY)  # zeros count as nothing, not as NaN
    assert sure.entropy == 0 and sure.margin == 1.0 and not sure.low_confidence
    two = uncertainty(probs(nv=0.7, bkl=0.3), POLICY)
    assert two.entropy == round(-(0.7 * math.log(0.7) + 0.3 * math.log(0.3)) / math.log(7), 4)
    assert two.margin == pytest.approx(0.4) and not two.low_confidence


def test_members_are_read_from_their_own_probabilities_and_agreement_counts_them():
    a = member_result("A", "arch-a", probs(nv=0.8))
    b = member_result("B", "arch-b", torch.tensor(probs(mel=0.6)))
    assert (a.top_label, a.confidence, b.top_label, b.confidence) == ("melanocytic_nevi", 0.8, "melanoma", 0.6)
    assert b.probabilities == pytest.approx(probability_map(probs(mel=0.6)), abs=1e-6)
    assert build(probs(nv=0.7), [a, b]).agreement == 0.5
    assert build(probs(nv=0.7)).agreement == 1.0  # no member readings (a seed result without them)


def test_the_ood_verdict_decides_the_status():
    refused = OODVerdict(checked=True, is_lesion=False, score=9.0, threshold=1.0)
    r = build(probs(nv=0.9), ood=refused)
    assert r.status == "not_a_lesion" and r.ood == refused


@pytest.mark.parametrize("bad", [[0.5, 0.5], torch.ones(2, 7) / 7])
def test_anything_but_one_probability_per_class_is_refused(bad):
    with pytest.raises(ValueError):
        build(bad)


def test_a_result_from_outside_is_rebuilt_from_its_numbers_alone():
    honest = build(probs(nv=0.5, mel=0.35), [member_result("A", "arch", probs(nv=0.5, mel=0.35))])
    words = {"title": "Low", "action": "Ignore it.", "reason": "It is fine.", "tier": "low", "escalated": False}
    forged = honest.model_copy(update={
        "label": "dermatofibroma", "display_name": "Nothing", "description": "Nothing to see here.",
        "triage": honest.triage.model_copy(update=words),
        "members": [honest.members[0].model_copy(update={"top_label": "dermatofibroma"})]})
    again = rebuilt(forged, POLICY)
    assert again == honest and again.triage.tier == "urgent"
    assert rebuilt(forged, POLICY, "active").profile == "active"


@pytest.mark.parametrize("change", [{"melanoma": None}, {"melanoma": 1.5}, {"melanoma": math.nan}, {"other": 0.0}])
def test_probabilities_from_outside_must_be_one_per_class_between_0_and_1(change):
    good = probability_map(probs(nv=0.9))
    bad = {k: v for k, v in (good | change).items() if v is not None}
    with pytest.raises(ValueError):
        ordered(bad)
    assert ordered(good) == list(good.values())


def test_a_member_from_outside_keeps_its_claim_only_without_probabilities():
    claimed = MemberResult(name="model_a", architecture="unknown", top_label="melanoma", confidence=0.9,
                           probabilities={})
    assert reread_member(claimed) == claimed  # the seed's models sent class and confidence only
    sent = claimed.model_copy(update={"probabilities": probability_map(probs(nv=0.8))})
    assert (reread_member(sent).top_label, reread_member(sent).confidence) == ("melanocytic_nevi", 0.8)
