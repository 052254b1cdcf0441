"""Probabilities -> urgency tier, with the reason and action a patient reads.

The seed took the tier from the top class alone (a 40%-melanoma result was "low"); here the
probability of the dangerous classes can raise the tier whatever class is on top."""

from __future__ import annotations

from tools.catalogue import catalogue
from tools.manifest import TriagePolicy
from tools.result import Triage


def confidence_band(confidence: float) -> str:
    return "high" if confidence >= 0.8 else "moderate" if confidence >= 0.6 else "low"


def triage(probabilities: dict[str, float], policy: TriagePolicy) -> Triage:
    cat = catalogue()
    top_label = max(probabilities, key=probabilities.get)
    top = cat.by_label(top_label)
    confidence = probabilities[top_label]
    mel = probabilities.get("melanoma", 0.0)
    malignant = sum(p for label, p in probabilities.items() if cat.by_label(label).malignant)

    tier, reasons = top.tier, [f"The closest match is {top.display_name.lower()}, at {confidence:.0%}."]
    if top.label != "melanoma" and mel >= policy.melanoma_escalation:
        tier = "urgent"
        reasons.append(f"The chance of melanoma ({mel:.0%}) is above the {policy.melanoma_escalation:.0%} safety threshold.")
    elif cat.tier(tier).rank < cat.tier("high").rank and malignant >= policy.malignant_escalation:
        tier = "high"
        reasons.append(f"Classes that can be cancerous add up to {malignant:.0%}, above the {policy.malignant_escalation:.0%} safety threshold.")
    if confidence < policy.low_confidence:
        reasons.append("The model is not confident about this image, so a professional look matters more.")
        if cat.tier(tier).rank < cat.tier("moderate").rank:
            tier = "moderate"
    info = cat.tier(tier)
    return Triage(tier=tier, title=info.title, action=info.action, reason=" ".join(reasons), escalated=tier != top.tier)
