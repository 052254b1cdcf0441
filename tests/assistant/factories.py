"""ClassificationResult objects built in code, for tests that need a result but not a classifier."""

from __future__ import annotations

import math

from tools.catalogue import catalogue
from tools.text import msg, term
from tools.result import (
    ClassificationResult,
    ImageInfo,
    MemberResult,
    OODVerdict,
    Timings,
    Triage,
    Uncertainty,
)


def classification(
    label: str = "melanoma",
    confidence: float = 0.62,
    *,
    runner_up: str = "melanocytic_nevi",
    escalate_to: str | None = None,
    low_confidence: bool | None = None,
) -> ClassificationResult:
    """A result whose top class is `label` at `confidence`, most of the rest on `runner_up`.
    `escalate_to`: a tier the probabilities raised the result to (as triage does for melanoma risk)."""
    cat = catalogue()
    rest = (1 - confidence) / (len(cat.classes) - 1)
    probs = {c.label: rest for c in cat.classes}
    probs[label] = confidence
    probs[runner_up] += rest * 3
    for other in probs:
        if other not in (label, runner_up):
            probs[other] -= rest * 3 / (len(probs) - 2)
    top = cat.by_label(label)
    tier = cat.tier(escalate_to or top.tier)
    ranked = sorted(probs.values(), reverse=True)
    entropy = -sum(p * math.log(p) for p in probs.values() if p > 0) / math.log(len(probs))
    band = "high" if confidence >= 0.8 else "moderate" if confidence >= 0.6 else "low"
    reason = (
        f"Melanoma probability {probs['melanoma']:.0%} is above the escalation threshold."
        if escalate_to
        else f"The closest match, {top.display_name}, is a {tier.title.lower()}-urgency class."
    )
    # The same sentence as codes, so other locales word it (assistant/text/result.py: worded).
    reasons = [msg("triage.melanoma", p=probs["melanoma"], threshold=0.3) if escalate_to
               else msg("triage.closest", name=term("lesion_in_sentence", top.dx), confidence=confidence)]
    return ClassificationResult(
        profile="test",
        status="ok",
        label=label,
        display_name=top.display_name,
        dx=top.dx,
        confidence=confidence,
        confidence_band=band,
        probabilities=probs,
        malignant_probability=sum(p for lbl, p in probs.items() if cat.by_label(lbl).malignant),
        members=[MemberResult(name="A", architecture="test", top_label=label, confidence=confidence, probabilities=probs)],
        agreement=1.0,
        uncertainty=Uncertainty(
            entropy=entropy,
            margin=ranked[0] - ranked[1],
            low_confidence=confidence < 0.6 if low_confidence is None else low_confidence,
        ),
        triage=Triage(tier=tier.name, title=tier.title, action=tier.action, reason=reason, escalated=bool(escalate_to),
                      reasons=reasons),
        description=top.description,
        ood=OODVerdict(checked=False),
        image=ImageInfo(format="JPEG", width=224, height=224),
        timings=Timings(preprocess_ms=1.0, inference_ms=1.0, total_ms=2.0),
    )


class FixedEnsemble:
    """An ensemble that always answers `result` (CLI tests without the weights)."""

    def __init__(self, result: ClassificationResult) -> None:
        self.result = result

    def classify(self, checked: object, tta: bool = True) -> ClassificationResult:
        return self.result
