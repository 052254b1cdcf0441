"""What the API reads from a request and how it answers in kind: capped uploads, a turn's text, photo and
locale, flags, the request's locale; Server-Sent Events and the OpenAPI bodies of routes that read the request
themselves. Every bad input is an `ApiError` carrying the catalogue's message."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request, UploadFile
from fastapi.responses import StreamingResponse

from assistant.conversation.orchestrator import Attachment, Services, Turn
from assistant.edges.api.errors import ApiError
from assistant.report.model import Report
from assistant.text.locale import LocaleChoice, accept_language, chosen, from_tags
from tools.text import msg

READ_CHUNK = 64 * 1024


async def read_capped(upload: UploadFile, cap: int) -> bytes:
    """Reads at most `cap` bytes; more is a 413, whatever Content-Length said."""
    parts, total = [], 0
    while chunk := await upload.read(READ_CHUNK):
        total += len(chunk)
        if total > cap:
            raise ApiError(413, "too_large", msg("api.too_large", limit_mb=cap // (1024 * 1024)))
        parts.append(chunk)
    return b"".join(parts)


async def form_file(request: Request, s: Services) -> tuple[bytes, Any]:
    """The multipart `file` (capped) and the whole form."""
    form = await request.form()
    file = form.get("file")
    if not hasattr(file, "read"):
        raise ApiError(422, "missing_file", msg("api.missing_file"))
    return await read_capped(file, s.settings.max_image_bytes), form



async def turn_from(request: Request, s: Services) -> Turn:
    """A conversation turn from JSON `{"text", "locale"}` or a multipart form with `text`, `file`, `locale`."""
    if request.headers.get("content-type", "").startswith("multipart/"):
        form = await request.form()
        file = form.get("file")
        attachments = []
        if hasattr(file, "read"):
            data = await read_capped(file, s.settings.max_image_bytes)
            attachments.append(Attachment(name="image", data=data))
        return Turn(text=str(form.get("text") or ""), attachments=attachments,
                    locale=locale_field(form.get("locale")))
    try:
        body = await request.json() if (await request.body()) else {}
    except Exception:
        raise ApiError(422, "bad_json", msg("api.bad_json")) from None
    if not isinstance(body, dict) or not isinstance(body.get("text", ""), str):
        raise ApiError(422, "bad_json", msg("api.turn_shape"))
    return Turn(text=body.get("text", ""), locale=locale_field(body.get("locale")))



def event_json(event: Any) -> dict:
    return {"type": type(event).__name__, **event.model_dump(mode="json")}


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event; `data` as one line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def sse_response(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def request_locale(request: Request) -> LocaleChoice:
    """The request's locale from its `?locale=` or `Accept-Language` (a conversation's body field is
    read by `turn_from`)."""
    explicit = chosen(request.query_params.get("locale", ""))
    return explicit or from_tags(accept_language(request.headers.get("accept-language")), "api")


def wants_sse(request: Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "")


def flag(value: object) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ApiError(422, "bad_flag", msg("api.bad_flag", value=str(value)[:40]))


def locale_field(value: object) -> str | None:
    """A turn's `locale` field: a language we speak, or a 422 (a typo must not silently mean English)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or chosen(value) is None:
        raise ApiError(422, "bad_locale", msg("api.bad_locale", value=str(value)[:20]))
    return value


def report_json(report: Report) -> dict:
    return {"report": report.model_dump(mode="json"), "markdown": report.markdown}


def image_form(flag: str) -> dict:
    """The OpenAPI request body of a route that reads the form itself: multipart `file` and a flag."""
    schema = {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}, flag: {"type": "string", "enum": ["true", "false"]}}}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


JSON_OBJECT = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}}
TURN = {"requestBody": {"required": False, "content": {
    "application/json": {"schema": {"type": "object", "properties": {"text": {"type": "string"}}}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "text": {"type": "string"}, "file": {"type": "string", "format": "binary"}}}},
}}}
