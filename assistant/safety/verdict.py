"""Where a message goes: a `Route` and a `Verdict` (route, audit category, reply language, deciding layer)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Route(StrEnum):
    EMERGENCY = "emergency"  # a red flag: fixed escalation text, no LLM
    SELF_HARM = "self_harm"  # fixed, kind crisis text, no LLM
    DECLINE = "decline"  # diagnosis, prescription, dose, self-treatment, jailbreak: declined kindly
    OFF_TOPIC = "off_topic"  # redirected kindly
    IN_SCOPE = "in_scope"  # answered (model or curated)


class Verdict(BaseModel):
    """Where a message goes. `category` is a stable audit label: "bleeding", "rapid_change",
    "severe_pain", "fever_rash", "breathing", "ingestion", "self_harm", "diagnosis", "prescription", "dose",
    "self_treatment", "jailbreak", "off_topic", "skip_care" (IN_SCOPE: keep the appointment), "past_bleed"
    (IN_SCOPE: a bleed that is over), "skin_care" (IN_SCOPE: sunscreen, moisturiser, make-up), or "question". `language`: the reply language."""

    model_config = ConfigDict(frozen=True)
    route: Route
    category: str
    language: str
    layer: Literal["rules", "semantic", "default"] = "default"  # which layer decided ("default": in scope)
