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
from tools.postprocess import ordered, reread_member, result_from_probabilities
from tools.result import ClassificationResult, ImageInfo, MemberResult, OODVerdict, Timings

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
    """A seed /predict JSON back as our result, rebuilt from `all_class_probabilities` by the classifier's own
    postprocess (tools/postprocess.py): the class, confidence, uncertainty, urgency, its reasons and the
    description are recomputed; the seed's `predicted_class`, `urgency`, `description` and `urgency_*` texts
    are not read, nor a model's class when it sent its probabilities."""
    meta = seed.image_metadata
    total_ms = round(seed.inference_time * 1000, 1)
    members = [MemberResult(name=key, architecture="unknown", top_label=m.predicted_class, confidence=m.confidence,
                            probabilities=m.all_class_probabilities)
               for key, m in seed.individual_predictions.items()]
    return result_from_probabilities(
        ordered(seed.all_class_probabilities), [reread_member(m) for m in members], policy, seed.profile or profile,
        ood=OODVerdict(checked=False, reason="rebuilt from a /predict result"),
        image=ImageInfo(format=meta.format, width=meta.width, height=meta.height),
        timings=Timings(preprocess_ms=0.0, inference_ms=total_ms, total_ms=total_ms),
    )
