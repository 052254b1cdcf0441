"""Logs: LOG_FORMAT=json gives one JSON object per line with the request id; every line written while a
request is handled carries its id; no message text, file name or image bytes at INFO or above."""

from __future__ import annotations

import io
import json
import logging

import pytest

from assistant.core.logs import RequestIdFilter, configure_logging, make_handler, request_id
from assistant.conversation.orchestrator import Attachment, Conversation, Turn
from assistant.core.settings import Settings
from tests.api.conftest import PHOTOS

SECRET_TEXT = "zebra-quokka-7731 my mole itches"
SECRET_NAME = "patient-jane-doe-4411.jpg"


def test_json_lines_with_request_id():
    handler = make_handler(Settings(log_format="json"))
    handler.stream = io.StringIO()
    log = logging.getLogger("tests.api.json")
    log.addHandler(handler)
    log.propagate = False
    try:
        token = request_id.set("rid-123")
        log.warning("hello %s", "there")
        request_id.reset(token)
        log.error("outside")
    finally:
        log.removeHandler(handler)
    lines = [json.loads(line) for line in handler.stream.getvalue().splitlines()]
    assert lines[0]["message"] == "hello there" and lines[0]["request_id"] == "rid-123"
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "tests.api.json" and lines[0]["time"]
    assert lines[1]["request_id"] == "-"


def test_configure_logging_text_and_json():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        configure_logging(Settings(log_format="json", log_level="WARNING"))
        configure_logging(Settings(log_format="json", log_level="WARNING"))  # replaces, never doubles
        ours = [h for h in root.handlers if h not in handlers]
        assert len(ours) == 1 and root.level == logging.WARNING
        assert type(ours[0].formatter).__name__ == "JsonFormatter"
    finally:
        for h in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(h)
        root.setLevel(level)


def test_request_id_on_every_line_of_a_request(client, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RequestIdFilter())  # as configure_logging's handler does, at emission time
    client.post("/api/v1/conversations", files={"file": ("a.jpg", PHOTOS[0].read_bytes(), "image/jpeg")},
                headers={"X-Request-ID": "req-abc-42"})
    app_lines = [r for r in caplog.records if r.name.startswith(("assistant.", "tools."))]
    assert app_lines, "the report's LLM fallback logs a line while the request is handled"
    assert all(r.request_id == "req-abc-42" for r in app_lines), [(r.name, r.request_id) for r in app_lines]


@pytest.mark.asyncio
async def test_no_message_text_or_file_name_at_info(client, services, caplog):
    caplog.set_level(logging.DEBUG)
    photo = PHOTOS[1].read_bytes()
    r = client.post("/api/v1/conversations", data={"text": SECRET_TEXT},
                    files={"file": (SECRET_NAME, photo, "image/jpeg")})
    assert r.status_code == 200
    key = r.json()["id"]
    client.post(f"/api/v1/conversations/{key}/messages", json={"text": SECRET_TEXT + " should I worry?"})
    client.post("/api/v1/predict", files={"file": (SECRET_NAME, photo, "image/jpeg")})
    conversation = Conversation(services)
    for turn in (Turn(text=SECRET_TEXT, attachments=[Attachment(name=SECRET_NAME, data=photo)]),
                 Turn(text="I am bleeding a lot " + SECRET_TEXT),
                 Turn(attachments=[Attachment(name=SECRET_NAME, data=b"not an image " * 10)])):
        [e async for e in conversation.handle(turn)]
    assert len(caplog.records) > 0
    for record in caplog.records:
        if record.levelno < logging.INFO:
            continue
        line = record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        assert "zebra-quokka" not in line and "jane-doe" not in line, (record.name, line)
        assert "\ufffd" not in line and "/9j/" not in line and "\\xff\\xd8" not in line  # image bytes
