"""What a hand-off request may become, decided without I/O: consent, name, contact (e-mail or phone),
message. Each decision is a code (`clinic.refused.<code>` in the catalogue words it); the edges word it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, Field

MAX_NAME = 200
MAX_MESSAGE = 2000
EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
PHONE_CHARS = re.compile(r"^\+?[0-9 ()./-]+$")

Refusal = Literal["off", "no_consent", "bad_name", "bad_contact", "message_too_long", "no_report"]


class HandoffRequest(BaseModel):
    """The body of POST /api/v1/conversations/{id}/handoff, and what the chat collects."""

    consent: bool = False
    name: str = Field("", max_length=1000)
    contact: str = Field("", max_length=1000)
    message: str | None = Field(None, max_length=20_000)
    include_conversation: bool = False
    image: int | None = Field(None, ge=1, description="1-based photo number; default the latest with a report.")


class Accepted(BaseModel):
    name: str
    contact: str
    contact_kind: Literal["email", "phone"]
    message: str | None
    include_conversation: bool


def _clean(text: str) -> str:
    """No control characters (a name or message is shown on a staff page and in a PDF); spaces collapsed."""
    kept = "".join(c if unicodedata.category(c)[0] != "C" or c == "\n" else " " for c in text)
    return re.sub(r"[ \t]+", " ", kept).strip()


def contact_of(text: str) -> tuple[Literal["email", "phone"], str] | None:
    """An e-mail address (lower-cased domain) or a phone number (7 to 15 digits, an optional leading +,
    E.164's limits), normalised; None when it is neither."""
    text = text.strip()
    if "@" in text:
        if not EMAIL.match(text) or len(text) > 254:
            return None
        local, _, domain = text.rpartition("@")
        return "email", f"{local}@{domain.lower()}"
    if not PHONE_CHARS.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15:
        return None
    return "phone", ("+" if text.startswith("+") else "") + digits


def same_contact(stored: str, given: str) -> bool:
    """Whether a contact given to withdraw a case is the one stored (compared normalised)."""
    parsed = contact_of(given)
    return parsed is not None and parsed[1].lower() == stored.lower()


def decide(request: HandoffRequest, *, enabled: bool, has_report: bool) -> Accepted | Refusal:
    """The request accepted (cleaned) or the first reason it is not: hand-off off, no consent, no report to
    send, name, contact, message."""
    if not enabled:
        return "off"
    if request.consent is not True:
        return "no_consent"
    if not has_report:
        return "no_report"
    name = _clean(request.name).replace("\n", " ")
    if not name or len(name) > MAX_NAME:
        return "bad_name"
    contact = contact_of(request.contact)
    if contact is None:
        return "bad_contact"
    message = _clean(request.message or "") or None
    if message is not None and len(message) > MAX_MESSAGE:
        return "message_too_long"
    return Accepted(name=name, contact=contact[1], contact_kind=contact[0], message=message,
                    include_conversation=request.include_conversation)


def idempotency_key(header: str | None, conversation_id: str) -> str | None:
    """A client's Idempotency-Key, scoped to its conversation (another conversation's same key is another
    case); hashed so any length or character fits the column. None without a header: the photo's reference
    alone then makes a retry the same case."""
    if not header or not header.strip():
        return None
    return hashlib.sha256(f"{conversation_id}\n{header.strip()}".encode()).hexdigest()
