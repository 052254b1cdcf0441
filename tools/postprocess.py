"""Postprocess: probabilities -> a `ClassificationResult` (class, confidence band, uncertainty, urgency tier
with its reasons, description). The one place a result is built from probabilities: the classifier's
forward passes end here, and so do the results that come back from outside (`/api/v1/interpret`'s result
JSON, the seed's /interpret with its /predict JSON: `rebuilt`), so the urgency, its reasons and the
description always follow from the probabilities, never from the words a client sends.

Pure: no I/O, no models, no prose (the words are the text catalogue's, through tools/catalogue.py and
tools/triage.py). Numbers are worked out in the precision they come in (the classifier's float32 tensors,
Python's floats in double precision) and carried to `DECIMALS` places."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from tools.catalogue import catalogue
from tools.manifest import TriagePolicy
from tools.result import ClassificationResult, ImageInfo, MemberResult, OODVerdict, Timings, Uncertainty
from tools.triage import confidence_band, triage

DECIMALS = 6  # probabilities, confidences and margins as a result carries them

Probabilities = torch.Tensor | Sequence[float]  # one per class, in catalogue order


def _tensor(probabilities: Probabilities) -> torch.Tensor:
    """A tensor as it is; Python numbers in double precision (torch would read them as float32)."""
    p = probabilities if isinstance(probabilities, torch.Tensor) else torch.tensor(
        [float(v) for v in probabilities], dtype=torch.float64)
    if p.shape != (len(catalogue().labels),):
        raise ValueError(f"expected one probability per class ({len(catalogue().labels)}), got shape {tuple(p.shape)}")
    return p


def probability_map(probabilities: Probabilities) -> dict[str, float]:
    """Class label -> probability, rounded as results carry it."""
    return {label: round(v, DECIMALS) for label, v in zip(catalogue().labels, _tensor(probabilities).tolist())}


def member_result(name: str, architecture: str, probabilities: Probabilities) -> MemberResult:
    """One ensemble member's reading: its class and confidence follow from its probabilities."""
    p = _tensor(probabilities)
    return MemberResult(name=name, architecture=architecture, top_label=catalogue().labels[int(p.argmax())],
                        confidence=round(float(p.max()), DECIMALS), probabilities=probability_map(p))


def uncertainty(probabilities: Probabilities, policy: TriagePolicy) -> Uncertainty:
    """Normalised entropy, top-two margin, and whether the top probability is under the policy's floor."""
    p = _tensor(probabilities)
    ranked = p.sort(descending=True).values
    safe = p.clamp_min(1e-12)
    entropy = float(-(safe * safe.log()).sum() / math.log(len(p)))
    return Uncertainty(entropy=round(entropy, 4), margin=round(float(ranked[0] - ranked[1]), DECIMALS),
                       low_confidence=float(ranked[0]) < policy.low_confidence)


def result_from_probabilities(probabilities: Probabilities, members: Sequence[MemberResult], policy: TriagePolicy,
                              profile: str, *, ood: OODVerdict, image: ImageInfo, timings: Timings) -> ClassificationResult:
    """The ensemble's probabilities (and its members' readings, see `member_result`) -> the result, with the
    urgency tier and its reasons from `policy`. `ood` decides the status: not a lesion when the gate said so."""
    cat = catalogue()
    p = _tensor(probabilities)
    shown = probability_map(p)
    top = cat.classes[int(p.argmax())]
    confidence = float(p.max())
    return ClassificationResult(
        profile=profile,
        status="ok" if ood.is_lesion else "not_a_lesion",
        label=top.label, display_name=top.display_name, dx=top.dx,
        confidence=round(confidence, DECIMALS),
        confidence_band=confidence_band(confidence),
        probabilities=shown,
        malignant_probability=round(sum(shown[c.label] for c in cat.classes if c.malignant), DECIMALS),
        members=list(members),
        agreement=sum(m.top_label == top.label for m in members) / len(members) if members else 1.0,
        uncertainty=uncertainty(p, policy),
        triage=triage(shown, policy),
        description=top.description,
        ood=ood,
        image=image,
        timings=timings,
    )


def ordered(probabilities: Mapping[str, float]) -> list[float]:
    """Class label -> probability from outside, as one per class in catalogue order. Anything but the
    catalogue's labels, each with a probability between 0 and 1, is a ValueError."""
    labels = catalogue().labels
    if set(probabilities) != set(labels):
        raise ValueError(f"expected probabilities for exactly these labels: {', '.join(labels)}")
    values = [float(probabilities[label]) for label in labels]
    if not all(0 <= v <= 1 for v in values):  # NaN fails too
        raise ValueError("every probability must be between 0 and 1")
    return values


def reread_member(member: MemberResult) -> MemberResult:
    """A member's reading from outside: its class and confidence from its probabilities when it gives a valid
    one per class; as it came otherwise (the seed's models gave their class and confidence only)."""
    try:
        return member_result(member.name, member.architecture, ordered(member.probabilities))
    except ValueError:
        return member


def rebuilt(result: ClassificationResult, policy: TriagePolicy, profile: str | None = None) -> ClassificationResult:
    """A result from outside, rebuilt from its probabilities with `policy` (see `ordered` for what is refused).
    Its profile (unless `profile` is given), OOD verdict, image and timings are kept; every word is recomputed."""
    return result_from_probabilities(ordered(result.probabilities), [reread_member(m) for m in result.members],
                                     policy, profile or result.profile, ood=result.ood, image=result.image,
                                     timings=result.timings)
