"""The chat's "Send this to the clinic" (CLINIC_HANDOFF=on): under each report, an action that first says
what is sent, to whom and for how long, asks for consent, a name, a contact (re-asked until valid), an
optional message and whether to include the conversation, then stores the case and answers with its
reference number. The answers never reach the conversation's history, the AI writer or the logs."""

from __future__ import annotations

import logging
import os

import chainlit as cl

from assistant.clinic.handoff import HandoffRequest, contact_of, decide
from assistant.clinic.store import CaseStore
from assistant.conversation.orchestrator import Conversation
from assistant.core.settings import get_settings
from assistant.edges.api.cases import Clinic, draft_of
from tools.text import render, t, term

log = logging.getLogger(__name__)
ACTION = "clinic_handoff"
ASK_TIMEOUT_S = 600  # a patient may need a while to decide, or to find a phone number
CONTACT_TRIES = 3

_clinic: Clinic | None = None


def use(clinic: Clinic | None) -> None:
    """The process's case store, from the API's mount (one store, one migration per process)."""
    global _clinic
    _clinic = clinic
    # Chainlit takes DATABASE_URL for its own chat-history layer (asyncpg, every message kept): here it is
    # the case database's, already read into the settings, and must not switch that layer on.
    os.environ.pop("DATABASE_URL", None)


async def offer(conversation: Conversation, number: int) -> None:
    """The action under image `number`'s report, when the hand-off is on."""
    if not get_settings().clinic_handoff or _clinic is None:
        return
    lang = conversation.lang
    await cl.Message(content=t("clinic.offer", lang, number=number), actions=[
        cl.Action(name=ACTION, payload={"image": number}, label=t("clinic.offer_button", lang), icon="send")]).send()


async def _choose(content: str, options: list[tuple[str, str]]) -> str | None:
    """The value of the button pressed, None on timeout. Chainlit then rewrites the question as English
    ("Selected: ..."): it is put back as it was asked."""
    ask = cl.AskActionMessage(content=content, timeout=ASK_TIMEOUT_S, actions=[
        cl.Action(name=f"{ACTION}_{value}", payload={"value": value}, label=label) for value, label in options])
    answer = await ask.send()
    ask.content = content
    await ask.update()
    return answer["payload"]["value"] if answer else None


async def _ask(content: str) -> str | None:
    answer = await cl.AskUserMessage(content=content, timeout=ASK_TIMEOUT_S).send()
    return (answer or {}).get("output")


async def _say(text: str) -> None:
    await cl.Message(content=text).send()


@cl.action_callback(ACTION)
async def on_handoff(action: cl.Action) -> None:
    conversation: Conversation | None = cl.user_session.get("conversation")
    if conversation is None or _clinic is None:
        return
    lang, number = conversation.lang, int(action.payload.get("image", 0))
    if not 1 <= number <= len(conversation.analyses) or conversation.analyses[number - 1].report is None:
        return await _say(t("clinic.refused.no_report", lang))
    analysis = conversation.analyses[number - 1]
    days = _clinic.settings.case_retention_days
    yes_no = [("yes", t("clinic.consent_yes", lang)), ("no", t("clinic.consent_no", lang))]
    if await _choose(t("clinic.explain", lang, number=number, days=days), yes_no) != "yes":
        return await _say(t("clinic.cancelled", lang))
    name = await _ask(t("clinic.ask_name", lang))
    if not name:
        return await _say(t("clinic.cancelled", lang))
    contact = None
    for _ in range(CONTACT_TRIES):
        contact = await _ask(t("clinic.ask_contact", lang))
        if contact is None or contact_of(contact) is not None:
            break
        await _say(t("clinic.refused.bad_contact", lang))
    if not contact or contact_of(contact) is None:
        return await _say(t("clinic.cancelled", lang))
    message = None
    if await _choose(t("clinic.ask_message", lang), [("yes", t("clinic.message_yes", lang)),
                                                    ("no", t("clinic.message_no", lang))]) == "yes":
        message = await _ask(t("clinic.ask_message_text", lang))
    include = await _choose(t("clinic.ask_conversation", lang), [("yes", t("clinic.include_yes", lang)),
                                                                 ("no", t("clinic.include_no", lang))])
    verdict = decide(HandoffRequest(consent=True, name=name, contact=contact, message=message,
                                    include_conversation=include == "yes"), enabled=True, has_report=True)
    if isinstance(verdict, str):
        return await _say(render(term("clinic.refused", verdict), lang))
    try:
        case, created = await _clinic.run(CaseStore.create, draft_of(number, analysis, verdict,
                                                                     list(conversation.history), None))
    except Exception:
        log.exception("hand-off from the chat failed")
        return await _say(t("clinic.failed", lang))
    log.info("hand-off from the chat: case %s %s (%s)", case.id, "stored" if created else "already stored", case.urgency)
    if not created:
        return await _say(t("clinic.already_sent", lang, number=number, reference=case.reference))
    await _say(t("clinic.sent", lang, reference=case.reference, contact=verdict.contact))
