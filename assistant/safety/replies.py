"""The app's fixed replies to every route but IN_SCOPE (emergency, self-harm, declines, redirect), worded
by the catalogue (reply.*, emergency_lead.*) in the verdict's language: the decision is made elsewhere."""

from __future__ import annotations

from typing import Literal

from assistant.safety.rules import CALL_NOW_CATEGORIES
from assistant.safety.verdict import Route, Verdict
from tools.text import DEFAULT_LOCALE, has, render, t, term

# The fixed replies, worded by the catalogue's reply.<kind> in each locale.
ReplyKind = Literal["emergency", "emergency_now", "self_harm", "decline_diagnosis", "decline_prescription", "decline_jailbreak",
                    "off_topic", "no_image", "keep_appointment", "after_escalation"]


def fallback_note(language: str) -> str:
    """The one line saying "this answer is only available in English", in `language` ("" for English)."""
    return t("reply.english_only", language)


def reply_text(kind: ReplyKind, language: str, **values: object) -> str:
    """The fixed text `kind` in `language`, or in English after a one-line note in `language` when there
    is no translation. `values` fill the text's placeholders ("no_image" needs `max_mb`, the upload limit)."""
    message = term("reply", kind, **values)
    if has(message.id, language):
        return render(message, language)
    note = fallback_note(language)
    english = render(message)
    return f"{note}\n\n{english}" if note else english


def _emergency_reply(category: str, language: str) -> str:
    lang = language if has("reply.emergency", language) else DEFAULT_LOCALE
    lead = term("emergency_lead", category)
    body = reply_text("emergency_now" if category in CALL_NOW_CATEGORIES else "emergency", lang)
    return f"{render(lead, lang)}\n\n{body}" if has(lead.id, lang) else body


_DECLINE_KIND: dict[str, ReplyKind] = {
    "diagnosis": "decline_diagnosis",
    "prescription": "decline_prescription",
    "dose": "decline_prescription",
    "self_treatment": "decline_prescription",
    "jailbreak": "decline_jailbreak",
}


def fixed_reply(verdict: Verdict) -> str | None:
    """The app's own reply for every route except IN_SCOPE (None). Emergency and self-harm texts are in
    the verdict's language; the others may be English with a note in that language."""
    match verdict.route:
        case Route.IN_SCOPE:
            return None
        case Route.EMERGENCY:
            return _emergency_reply(verdict.category, verdict.language)
        case Route.SELF_HARM:
            return reply_text("self_harm", verdict.language)
        case Route.DECLINE:
            return reply_text(_DECLINE_KIND.get(verdict.category, "decline_diagnosis"), verdict.language)
        case Route.OFF_TOPIC:
            return reply_text("off_topic", verdict.language)
