"""Typed results that cross the classifier's boundary (CLI JSON, chat, API)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools.catalogue import Tier
from tools.text import Message


class ImageInfo(BaseModel):
    format: str
    width: int
    height: int


class MemberResult(BaseModel):
    name: str
    architecture: str
    top_label: str
    confidence: float
    probabilities: dict[str, float]


class Uncertainty(BaseModel):
    entropy: float = Field(description="Normalised entropy of the ensemble probabilities, 0 (certain) to 1.")
    margin: float = Field(description="Top probability minus the runner-up.")
    low_confidence: bool


class Triage(BaseModel):
    tier: Tier
    title: str
    action: str
    reason: str
    escalated: bool = Field(description="True when the probabilities raised the tier above the top class's own.")
    # What `reason` says, as codes (triage.*): for an edge that words it in another locale. Left out of the
    # JSON, whose shape integrators rely on.
    reasons: list[Message] = Field(default_factory=list, exclude=True)


class OODVerdict(BaseModel):
    checked: bool
    is_lesion: bool = True
    score: float | None = None
    threshold: float | None = None
    reason: str = ""
    refusal: Message | None = Field(None, exclude=True)  # what `reason` says, as a code (ood.*); not in the JSON


class Timings(BaseModel):
    preprocess_ms: float
    inference_ms: float
    total_ms: float


class ClassificationResult(BaseModel):
    profile: str
    status: Literal["ok", "not_a_lesion"]
    label: str
    display_name: str
    dx: str
    confidence: float
    confidence_band: Literal["high", "moderate", "low"]
    probabilities: dict[str, float]
    malignant_probability: float
    members: list[MemberResult]
    agreement: float = Field(description="Share of members whose top class equals the ensemble's.")
    uncertainty: Uncertainty
    triage: Triage
    description: str
    ood: OODVerdict
    image: ImageInfo
    timings: Timings

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        return sorted(self.probabilities.items(), key=lambda kv: kv[1], reverse=True)[:k]
