"""The seed system's JSON shapes (its /predict, /interpret and /analyze), translated to and from our
`ClassificationResult`. Pure: no I/O, no models.

The seed's /predict returned the ensemble's class, confidence, urgency and description; each model's
class and confidence; `all_class_probabilities` (class label -> probability); `inference_time`
(seconds) and the image's metadata. Those names are kept as they were. Fields the seed did not have
(`urgency_action`, `urgency_reason`, `malignant_probability`, `profile`, each model's probabilities)
are additions a seed client can ignore. /interpret takes the /predict JSON back: the result is rebuilt
from the probabilities with the active profile's triage policy, so the urgency is never taken on trust."""

from __future__ import annotations

import math
import string

from pydantic import BaseModel, Field, field_validator, model_validator

from tools.catalogue import catalogue
from tools.manifest import TriagePolicy
from tools.result import ClassificationResult, ImageInfo, MemberResult, OODVerdict, Timings, Uncertainty
from tools.triage import confidence_band, triage

# The seed's documented /predict fields, in its order (what old integrators read).
SEED_PREDICT_FIELDS = ("predicted_class", "confidence", "urgency", "description", "individual_predictions",
                       "all_class_probabilities", "inference_time", "image_metadata")


class SeedModelPrediction(BaseModel):
    predicted_class: str
    confidence: float = Field(ge=0, le=1)
    all_class_probabilities: dict[str, float] = {}  # an addition: the seed gave class and confidence only


class SeedImageMetadata(BaseModel):
    format: str = "unknown"
    width: int = Field(0, ge=0)
    height: int = Field(0, ge=0)
    size_bytes: int | None = None


class SeedPrediction(BaseModel):
    predicted_class: str = Field(description="The ensemble's most likely class label (e.g. 'melanoma').")
    confidence: float = Field(ge=0, le=1, description="The ensemble's top probability.")
    urgency: str = Field(description="Urgency tier: low, moderate, high or urgent (from all the probabilities).")
    description: str = ""
    individual_predictions: dict[str, SeedModelPrediction] = Field(
        default_factory=dict, description="Per model ('model_a', 'model_b', ...): its class and confidence.")
    all_class_probabilities: dict[str, float]
    inference_time: float = Field(0.0, ge=0, description="Seconds taken by the classification.")
    image_metadata: SeedImageMetadata = SeedImageMetadata()
    use_tta: bool = True
    # Additions the seed did not have
    urgency_action: str = ""
    urgency_reason: str = ""
    malignant_probability: float | None = None
    profile: str | None = None

    @field_validator("all_class_probabilities")
    @classmethod
    def _seven_classes(cls, probs: dict[str, float]) -> dict[str, float]:
        labels = catalogue().labels
        if set(probs) != set(labels):
            raise ValueError(f"all_class_probabilities needs exactly these labels: {', '.join(labels)}")
        if any(not (0 <= p <= 1) or math.isnan(p) for p in probs.values()):
            raise ValueError("every probability must be between 0 and 1")
        if abs(sum(probs.values()) - 1) > 0.02:
            raise ValueError("the probabilities must add up to 1")
        return probs

    @model_validator(mode="after")
    def _class_is_known(self) -> SeedPrediction:
        if self.predicted_class not in catalogue().labels:
            raise ValueError(f"unknown predicted_class {self.predicted_class!r}")
        return self


class SeedInterpretation(BaseModel):
    interpretation: str = Field(description="The nine-section report as Markdown.")
    report_source: str = Field(description="'model' (the AI wrote it), 'standard' (curated text) or 'mixed'.")
    sections: list[dict] = []


class SeedAnalysis(SeedPrediction):
    """/analyze: the /predict fields, plus the report."""

    interpretation: str
    report_source: str


def _model_key(i: int) -> str:
    return "model_" + (string.ascii_lowercase[i] if i < 26 else str(i))


def to_seed(result: ClassificationResult, *, use_tta: bool = True, size_bytes: int | None = None) -> SeedPrediction:
    """Our result in the seed's /predict shape."""
    return SeedPrediction(
        predicted_class=result.label,
        confidence=result.confidence,
        urgency=result.triage.tier,
        description=result.description,
        individual_predictions={
            _model_key(i): SeedModelPrediction(predicted_class=m.top_label, confidence=m.confidence,
                                               all_class_probabilities=m.probabilities)
            for i, m in enumerate(result.members)
        },
        all_class_probabilities=dict(result.probabilities),
        inference_time=round(result.timings.total_ms / 1000, 4),
        image_metadata=SeedImageMetadata(format=result.image.format, width=result.image.width,
                                         height=result.image.height, size_bytes=size_bytes),
        use_tta=use_tta,
        urgency_action=result.triage.action,
        urgency_reason=result.triage.reason,
        malignant_probability=result.malignant_probability,
        profile=result.profile,
    )


def from_seed(seed: SeedPrediction, policy: TriagePolicy, profile: str) -> ClassificationResult:
    """A seed /predict JSON back as our result: the class, confidence, uncertainty and urgency are
    recomputed from `all_class_probabilities` (the seed's `predicted_class` and `urgency` are not trusted)."""
    cat = catalogue()
    probs = {label: float(seed.all_class_probabilities[label]) for label in cat.labels}
    ranked = sorted(probs.values(), reverse=True)
    top = cat.by_label(max(probs, key=probs.get))
    entropy = -sum(p * math.log(p) for p in probs.values() if p > 0) / math.log(len(probs))
    members = [
        MemberResult(name=key, architecture="unknown", top_label=m.predicted_class, confidence=m.confidence,
                     probabilities=m.all_class_probabilities)
        for key, m in seed.individual_predictions.items()
    ]
    meta = seed.image_metadata
    total_ms = round(seed.inference_time * 1000, 1)
    return ClassificationResult(
        profile=seed.profile or profile,
        status="ok",
        label=top.label, display_name=top.display_name, dx=top.dx,
        confidence=round(ranked[0], 6),
        confidence_band=confidence_band(ranked[0]),
        probabilities=probs,
        malignant_probability=round(sum(probs[c.label] for c in cat.classes if c.malignant), 6),
        members=members,
        agreement=sum(m.top_label == top.label for m in members) / len(members) if members else 1.0,
        uncertainty=Uncertainty(entropy=round(entropy, 4), margin=round(ranked[0] - ranked[1], 6),
                                low_confidence=ranked[0] < policy.low_confidence),
        triage=triage(probs, policy),
        description=top.description,
        ood=OODVerdict(checked=False, reason="rebuilt from a /predict result"),
        image=ImageInfo(format=meta.format, width=meta.width, height=meta.height),
        timings=Timings(preprocess_ms=0.0, inference_ms=total_ms, total_ms=total_ms),
    )
