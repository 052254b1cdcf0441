"""Probabilities -> urgency tier, with the reasons for it as catalogue messages (triage.*).

The seed took the tier from the top class alone (a 40%-melanoma result was "low"); here the
probability of the dangerous classes can raise the tier whatever class is on top."""

from __future__ import annotations

from tools.catalogue import catalogue
from tools.manifest import TriagePolicy
from tools.result import Triage
from tools.text import msg, render, term


def confidence_band(confidence: float) -> str:
    return "high" if confidence >= 0.8 else "moderate" if confidence >= 0.6 else "low"


def triage(probabilities: dict[str, float], policy: TriagePolicy) -> Triage:
    cat = catalogue()
    top_label = max(probabilities, key=probabilities.get)
    top = cat.by_label(top_label)
    confidence = probabilities[top_label]
    mel = probabilities.get("melanoma", 0.0)
    malignant = sum(p for label, p in probabilities.items() if cat.by_label(label).malignant)

    tier, reasons = top.tier, [msg("triage.closest", name=term("lesion_in_sentence", top.dx), confidence=confidence)]
    if top.label != "melanoma" and mel >= policy.melanoma_escalation:
        tier = "urgent"
        reasons.append(msg("triage.melanoma", p=mel, threshold=policy.melanoma_escalation))
    elif cat.tier(tier).rank < cat.tier("high").rank and malignant >= policy.malignant_escalation:
        tier = "high"
        reasons.append(msg("triage.malignant", p=malignant, threshold=policy.malignant_escalation))
    if confidence < policy.low_confidence:
        reasons.append(msg("triage.low_confidence"))
        if cat.tier(tier).rank < cat.tier("moderate").rank:
            tier = "moderate"
    info = cat.tier(tier)
    return Triage(tier=tier, title=info.title, action=info.action, reason=" ".join(render(r) for r in reasons),
                  reasons=reasons, escalated=tier != top.tier)
