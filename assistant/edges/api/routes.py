"""`/api/v1/*` (predict, interpret, analyze, conversations and their PDFs) and the ops routes (`/health`,
`/ready`, `/metrics`); the seed's routes are seed_routes.py's, the clinic's cases.py's, and server.py mounts
them all. Services come from a getter so the app's startup hook can fill them in.
Every bad input is a 4xx `{"error": {"code", "message"}}` carrying the intake's code and message; the
messages are the catalogue's (api.*, intake.*), in the request's locale: a conversation's `locale` field,
else its `Accept-Language` (results, reports and conversations are worded in it too)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from assistant.conversation.orchestrator import Conversation, Services, Turn
from assistant.core import metrics
from assistant.core.logs import request_id
from assistant.core.runtime import active_profile
from assistant.edges.api.conversations import ConversationStore, reported
from assistant.edges.api.errors import ApiError
from assistant.edges.api.requests import (
    JSON_OBJECT,
    TURN,
    event_json,
    image_form,
    report_json,
    request_locale,
    sse,
    sse_response,
    turn_from,
    wants_sse,
)
from assistant.edges.api.seed_routes import add_seed_routes
from assistant.edges.api.state import Api
from assistant.edges.api.status import StatusCache
from assistant.report.model import ReportChunk, ReportReady
from assistant.report.pdf import analysis_pdf as report_pdf_bytes
from assistant.report.writer import build_report, stream_report
from assistant.text.result import worded
from tools.postprocess import rebuilt
from tools.result import ClassificationResult
from tools.text import msg, render, t, term

log = logging.getLogger(__name__)
BROWSER_TEXTS = ("wrong_type", "too_many", "too_large", "connecting", "layout_floating", "layout_sidebar")  # browser.*


def build_router(get_services: Callable[[], Services | None], store: ConversationStore) -> tuple[APIRouter, Api]:
    api = Api(get_services, store)
    router = APIRouter()
    guarded = APIRouter(dependencies=[Depends(api.guard)])

    # ------------------------------------------------------------ ops

    @router.get("/health")
    async def health() -> dict:
        """Liveness (always 200 while the process answers), with what the seed's /health said."""
        snap = await api.status.snapshot(get_services())
        return {"status": "healthy", **snap, "request_id": request_id.get()}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        """200 when the classifier and intent router are loaded and a report can be written (LLM reachable,
        or the standard reports in place); 503 otherwise. Cached: no forward pass, no LLM call per request."""
        snap = await api.status.snapshot(get_services())
        ok = StatusCache.is_ready(snap)
        return JSONResponse({"ready": ok, **snap}, status_code=200 if ok else 503)

    @router.get("/metrics")
    async def prometheus() -> Response:
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)

    # ------------------------------------------------------------ /api/v1

    @router.get("/api/v1/ui-texts")
    async def ui_texts(request: Request) -> dict:
        """The browser's own words (public/ham10k.js: upload refusals) in the request's locale. Public."""
        lang, max_mb = request_locale(request).locale, api.settings().max_image_mb
        texts = {code: render(term("browser", code, max_mb=max_mb), lang) for code in BROWSER_TEXTS}
        return {"locale": lang, "texts": texts}

    @guarded.post("/api/v1/predict", openapi_extra=image_form("tta"))
    async def predict(request: Request, tta: bool = True) -> dict:
        result, _, _ = await api.classify_upload(request, "tta", tta)
        return worded(result, request_locale(request).locale).model_dump(mode="json")

    @guarded.post("/api/v1/interpret", openapi_extra=JSON_OBJECT)
    async def interpret(request: Request, stream: bool = False) -> Any:
        """A predict result in, its report out; `?stream=true`: Server-Sent Events, one `section` event per
        checked section, then `done` with the whole report. Its words are recomputed (tools/postprocess.py)."""
        s = api.services()
        try:
            claimed = ClassificationResult.model_validate(await request.json())
            result = rebuilt(claimed, active_profile(s.settings).triage)
        except Exception as exc:
            raise ApiError(422, "bad_result", msg("api.bad_result", error=type(exc).__name__)) from None
        if claimed.status != "ok" or result.status != "ok":  # the client's result: its own reason, when it gives one
            raise ApiError(422, "not_a_lesion", result.ood.reason or msg("api.result_not_a_lesion"))
        lang = request_locale(request).locale
        if not stream:
            report = await build_report(result, None, s.llm, locale=lang)
            metrics.record_report(report.source)
            return report_json(report)

        async def events() -> AsyncIterator[str]:
            async for event in stream_report(result, None, s.llm, locale=lang):
                if isinstance(event, ReportChunk):
                    for section in event.sections:
                        yield sse("section", section.model_dump(mode="json"))
                elif isinstance(event, ReportReady):
                    metrics.record_report(event.report.source)
                    yield sse("done", report_json(event.report))

        return sse_response(events())

    @guarded.post("/api/v1/analyze", openapi_extra=image_form("tta"))
    async def analyze(request: Request, tta: bool = True) -> dict:
        result, data, _ = await api.classify_upload(request, "tta", tta)
        s, lang = api.services(), request_locale(request).locale
        out: dict = {"prediction": worded(result, lang).model_dump(mode="json"), "report": None}
        if result.status == "ok":
            report = await build_report(result, data, s.llm, locale=lang)
            metrics.record_report(report.source)
            out["report"] = report_json(report)
        return out

    async def answer(request: Request, s: Services, key: str, conversation: Conversation, turn: Turn,
                     opening: dict | None = None) -> Any:
        """The turn's events: JSON, or one SSE event per conversation event with `Accept: text/event-stream`."""
        limit = s.settings.api_queue_limit
        if not turn.attachments:
            limit = 1 << 30  # no classifier call: never refused
        if not wants_sse(request):
            async with api.queue.slot(limit):
                events = [event_json(e) async for e in conversation.handle(turn)]
                return {"id": key, "locale": conversation.lang, "events": events}
        api.queue.check(limit)  # refuse before the stream starts; the slot is taken inside it

        async def events() -> AsyncIterator[str]:
            if opening is not None:
                yield sse("conversation", opening)
            async with api.queue.slot(1 << 30):
                async for event in conversation.handle(turn):
                    yield sse(event.kind, event_json(event))
            yield sse("done", {"id": key, "locale": conversation.lang})

        return sse_response(events())

    @guarded.post("/api/v1/conversations", openapi_extra=TURN)
    async def new_conversation(request: Request) -> Any:
        s = api.services()
        turn = await turn_from(request, s)
        conversation = Conversation(s, request_locale(request))
        key = store.add(conversation)
        return await answer(request, s, key, conversation, turn, opening={"id": key})

    @guarded.post("/api/v1/conversations/{key}/messages", openapi_extra=TURN)
    async def message(key: str, request: Request) -> Any:
        s = api.services()
        conversation = store.get(key)
        turn = await turn_from(request, s)
        if not turn.text and not turn.attachments:
            raise ApiError(422, "empty", msg("api.empty_turn"))
        return await answer(request, s, key, conversation, turn)

    @guarded.get("/api/v1/conversations/{key}/report.pdf", response_class=Response, responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
              "description": "The report, a tagged PDF."},
        404: {"description": "Conversation, image or report missing."}})
    async def report_pdf(key: str, image: int | None = None) -> Response:
        """The report as a PDF in the conversation's language of the time (assistant/report/pdf.py):
        the latest photo that has one, or `?image=N` (1-based, as the chat numbers them)."""
        number, analysis = reported(store.get(key), image)
        pdf = await asyncio.to_thread(report_pdf_bytes, analysis, number)
        name = quote(t("pdf.file_name", analysis.locale, number=number))
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f"inline; filename=\"{analysis.reference}.pdf\"; filename*=UTF-8''{name}"})

    add_seed_routes(guarded, api)
    router.include_router(guarded)
    return router, api
