"""The chat's and the widget's "Send this to the clinic" (assistant/edges/chat/handoff.py) in process, with a
scripted patient in place of Chainlit's questions: what is sent, or not, when the patient declines, gives no
valid contact, presses twice, or the database fails; and no button at all with the hand-off off."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import chainlit as cl
import pytest
from sqlalchemy import text

from assistant.conversation.orchestrator import Conversation
from assistant.core.settings import Settings
from assistant.edges.chat import handoff
from tests.clinic.conftest import App, analysis
from tools.text import t


class Patient:
    """Answers the hand-off's buttons with `choices` and its questions with `answers`, in order; keeps what
    the chat said."""

    def __init__(self, choices: list[str], answers: list[str]) -> None:
        self.choices, self.answers, self.said = list(choices), list(answers), []

    async def choose(self, content: str, options: list) -> str:
        return self.choices.pop(0)

    async def ask(self, content: str) -> str:
        return self.answers.pop(0)

    async def say(self, content: str) -> None:
        self.said.append(content)


@pytest.fixture
def chat(make_app, monkeypatch):
    """A chat session holding a reported photo, on the app's case store; `chat(patient)` presses the button."""
    app: App = make_app()
    conversation = Conversation(app.services)
    conversation.analyses.append(analysis())
    monkeypatch.setattr(cl, "user_session", SimpleNamespace(get=lambda key: conversation))
    monkeypatch.setattr(handoff, "_clinic", app.api.clinic)

    async def press(patient: Patient) -> list[str]:
        for name in ("choose", "ask", "say"):
            monkeypatch.setattr(handoff, f"_{name}", getattr(patient, name))
        await handoff.on_handoff(SimpleNamespace(payload={"image": 1}))
        assert not patient.choices and not patient.answers, "every scripted answer was asked for"
        return patient.said

    press.cases = lambda: app.api.clinic.store().counts()[0]
    press.store = app.api.clinic.store
    return press


async def test_declined_consent_sends_nothing(chat) -> None:
    assert await chat(Patient(["no"], [])) == [t("clinic.cancelled", "en")]
    assert chat.cases() == 0


async def test_no_valid_contact_after_three_tries_sends_nothing(chat) -> None:
    said = await chat(Patient(["yes"], ["Ada Lovelace", "not a contact", "12345", "ada@"]))
    assert said == [t("clinic.refused.bad_contact", "en")] * 3 + [t("clinic.cancelled", "en")]
    assert chat.cases() == 0


async def test_pressing_twice_stores_one_case(chat) -> None:
    first = await chat(Patient(["yes", "no", "no"], ["Ada Lovelace", "ada@example.org"]))
    again = await chat(Patient(["yes", "no", "no"], ["Ada Lovelace", "ada@example.org"]))
    reference = chat.store().list("staff:test")[0].reference
    assert first == [t("clinic.sent", "en", reference=reference, contact="ada@example.org")]
    assert again == [t("clinic.already_sent", "en", number=1, reference=reference)] and chat.cases() == 1


async def test_a_failing_database_is_worded_and_its_log_holds_no_contact(chat, caplog) -> None:
    with chat.store().engine.begin() as connection:  # every insert into cases now fails inside the database
        connection.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON cases BEGIN SELECT RAISE(ABORT, 'disk I/O'); END"))
    with caplog.at_level(logging.INFO):
        said = await chat(Patient(["yes", "yes", "no"], ["Ada Lovelace", "ada@example.org", "Please call me."]))
    assert said == [t("clinic.failed", "en")] and chat.cases() == 0
    assert "hand-off from the chat failed" in caplog.text
    for private in ("Ada Lovelace", "ada@example.org", "Please call me"):
        assert private not in caplog.text, f"the log holds {private!r}"


@pytest.mark.parametrize("on", [True, False])
async def test_the_button_is_offered_only_with_the_hand_off_on(chat, monkeypatch, on: bool) -> None:
    sent = []

    class Message:
        def __init__(self, content: str, actions: list) -> None:
            self.content, self.actions = content, actions

        async def send(self) -> None:
            sent.append(self)

    monkeypatch.setattr(handoff, "get_settings", lambda: Settings(clinic_handoff=on))
    monkeypatch.setattr(cl, "Message", Message)
    await handoff.offer(SimpleNamespace(lang="en"), 1)
    assert [[a.name for a in m.actions] for m in sent] == ([[handoff.ACTION]] if on else [])
