"""`/api/v1/*`, the seed's routes (`/predict`, `/interpret`, `/analyze`) and the ops routes (`/health`,
`/ready`, `/metrics`). Services come from a getter so the app's startup hook can fill them in.
Every bad input is a 4xx `{"error": {"code", "message"}}` carrying the intake's code and message; the
messages are the catalogue's (api.*, intake.*), in the request's locale: a conversation's `locale` field,
else its `Accept-Language` (results, reports and conversations are worded in it too)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request, UploadFile
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.conversation.orchestrator import Analysis, Attachment, Conversation, Services, Turn
from assistant.core import metrics
from assistant.core.logs import request_id
from assistant.core.runtime import active_profile
from assistant.core.settings import Settings, get_settings
from assistant.edges.api import seed
from assistant.edges.api.cases import mount_clinic
from assistant.edges.api.errors import ApiError, error_response
from assistant.edges.api.limits import ClassifierQueue, RateLimiter, check_key
from assistant.edges.api.status import StatusCache
from assistant.report.model import Report, ReportChunk, ReportReady
from assistant.report.pdf import analysis_pdf as report_pdf_bytes
from assistant.report.writer import build_report, stream_report
from assistant.text.locale import LocaleChoice, accept_language, chosen, from_tags
from assistant.text.result import worded
from tools.intake import IntakeError
from tools.postprocess import rebuilt
from tools.result import ClassificationResult
from tools.text import msg, render, t, term

__all__ = ["ApiError", "ConversationStore", "mount", "read_capped", "request_id"]

log = logging.getLogger(__name__)
READ_CHUNK = 64 * 1024
SEED_PATHS = ("/predict", "/interpret", "/analyze")
BROWSER_TEXTS = ("wrong_type", "too_many", "too_large", "connecting", "layout_floating", "layout_sidebar")  # the catalogue's browser.*
OWN_PREFIXES = ("/api/", "/health", "/ready", "/metrics", *SEED_PATHS)


async def read_capped(upload: UploadFile, cap: int) -> bytes:
    """Reads at most `cap` bytes; more is a 413, whatever Content-Length said."""
    parts, total = [], 0
    while chunk := await upload.read(READ_CHUNK):
        total += len(chunk)
        if total > cap:
            raise ApiError(413, "too_large", msg("api.too_large", limit_mb=cap // (1024 * 1024)))
        parts.append(chunk)
    return b"".join(parts)


class ConversationStore:
    """Idle conversations expire; at most `capacity` live ones (503 when full of live ones)."""

    def __init__(self, capacity: int = 200, idle_s: float = 1800) -> None:
        self.capacity, self.idle_s = capacity, idle_s
        self._items: OrderedDict[str, tuple[Conversation, float]] = OrderedDict()

    def _evict(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_, seen) in self._items.items() if now - seen > self.idle_s]:
            del self._items[key]

    def add(self, conversation: Conversation) -> str:
        self._evict()
        if len(self._items) >= self.capacity:
            raise ApiError(503, "busy", msg("api.busy"))
        key = uuid.uuid4().hex
        self._items[key] = (conversation, time.monotonic())
        return key

    def get(self, key: str) -> Conversation:
        self._evict()
        if key not in self._items:
            raise ApiError(404, "not_found", msg("api.not_found"))
        conversation, _ = self._items[key]
        self._items[key] = (conversation, time.monotonic())
        return conversation

    def __len__(self) -> int:
        return len(self._items)


def _event_json(event: Any) -> dict:
    return {"type": type(event).__name__, **event.model_dump(mode="json")}


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event; `data` as one line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _sse_response(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def request_locale(request: Request) -> LocaleChoice:
    """The request's locale from its `?locale=` or `Accept-Language` (a conversation's body field is
    read by `turn_from`)."""
    explicit = chosen(request.query_params.get("locale", ""))
    return explicit or from_tags(accept_language(request.headers.get("accept-language")), "api")


def _wants_sse(request: Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "")


def _flag(value: object) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ApiError(422, "bad_flag", msg("api.bad_flag", value=str(value)[:40]))


def _locale_field(value: object) -> str | None:
    """A turn's `locale` field: a language we speak, or a 422 (a typo must not silently mean English)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or chosen(value) is None:
        raise ApiError(422, "bad_locale", msg("api.bad_locale", value=str(value)[:20]))
    return value


def _report_json(report: Report) -> dict:
    return {"report": report.model_dump(mode="json"), "markdown": report.markdown}


def _image_form(flag: str) -> dict:
    """The OpenAPI request body of a route that reads the form itself: multipart `file` and a flag."""
    schema = {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}, flag: {"type": "string", "enum": ["true", "false"]}}}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


_JSON_OBJECT = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}}
_TURN = {"requestBody": {"required": False, "content": {
    "application/json": {"schema": {"type": "object", "properties": {"text": {"type": "string"}}}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "text": {"type": "string"}, "file": {"type": "string", "format": "binary"}}}},
}}}


class Api:
    """The state the routes share: services getter, conversations, limits, cached status."""

    def __init__(self, get_services: Callable[[], Services | None], store: ConversationStore) -> None:
        self.get_services, self.store = get_services, store
        self.limiter, self.queue, self.status = RateLimiter(), ClassifierQueue(), StatusCache()

    def settings(self) -> Settings:
        s = self.get_services()
        return s.settings if s is not None else get_settings()

    def services(self) -> Services:
        s = self.get_services()
        if s is None:
            raise ApiError(503, "not_ready", msg("api.not_ready"))
        if s.classifier is None:
            raise ApiError(503, "classifier_unavailable", s.classifier_error or msg("api.classifier_unavailable"))
        return s

    async def guard(self, request: Request) -> None:
        """API key (when API_KEYS is set), then the rate limit (per key, else per client address)."""
        settings = self.settings()
        key = check_key(request, settings.api_keys)
        client = f"key:{key}" if key else f"ip:{request.client.host if request.client else '-'}"
        self.limiter.take(client, settings.api_rate_limit)

    async def classify(self, s: Services, data: bytes, tta: bool) -> ClassificationResult:
        async with self.queue.slot(s.settings.api_queue_limit):
            try:
                return await s.classifier.ainvoke({"image": data, "tta": tta})
            except IntakeError as exc:
                raise ApiError(422, exc.code, exc.text) from None


async def _form_file(request: Request, s: Services) -> tuple[bytes, Any]:
    form = await request.form()
    file = form.get("file")
    if not hasattr(file, "read"):
        raise ApiError(422, "missing_file", msg("api.missing_file"))
    return await read_capped(file, s.settings.max_image_bytes), form


def _reported(conversation: Conversation, image: int | None) -> tuple[int, Analysis]:
    """(number, analysis) of image `image`, or of the latest with a report; 404s otherwise."""
    analyses = conversation.analyses
    if image is None:
        numbered = [(n, a) for n, a in enumerate(analyses, start=1) if a.report is not None]
        if not numbered:
            raise ApiError(404, "no_report", msg("api.no_reports"))
        return numbered[-1]
    if not 1 <= image <= len(analyses):
        raise ApiError(404, "no_such_image", msg("api.no_such_image", number=image))
    if analyses[image - 1].report is None:
        raise ApiError(404, "no_report", msg("api.no_report", number=image))
    return image, analyses[image - 1]


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

    async def classify_upload(request: Request, flag: str, tta: bool) -> tuple[ClassificationResult, bytes, bool]:
        """The multipart `file` through the classifier; its TTA flag from the form field `flag` or the query."""
        s = api.services()
        data, form = await _form_file(request, s)
        if flag in form:
            tta = _flag(form[flag])
        result = await api.classify(s, data, tta)
        metrics.record_result(result)
        return result, data, tta

    @router.get("/api/v1/ui-texts")
    async def ui_texts(request: Request) -> dict:
        """The browser's own words (public/ham10k.js: upload refusals) in the request's locale. Public."""
        lang, max_mb = request_locale(request).locale, api.settings().max_image_mb
        return {"locale": lang, "texts": {code: render(term("browser", code, max_mb=max_mb), lang) for code in BROWSER_TEXTS}}

    @guarded.post("/api/v1/predict", openapi_extra=_image_form("tta"))
    async def predict(request: Request, tta: bool = True) -> dict:
        result, _, _ = await classify_upload(request, "tta", tta)
        return worded(result, request_locale(request).locale).model_dump(mode="json")

    @guarded.post("/api/v1/interpret", openapi_extra=_JSON_OBJECT)
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
            return _report_json(report)

        async def events() -> AsyncIterator[str]:
            async for event in stream_report(result, None, s.llm, locale=lang):
                if isinstance(event, ReportChunk):
                    for section in event.sections:
                        yield sse("section", section.model_dump(mode="json"))
                elif isinstance(event, ReportReady):
                    metrics.record_report(event.report.source)
                    yield sse("done", _report_json(event.report))

        return _sse_response(events())

    @guarded.post("/api/v1/analyze", openapi_extra=_image_form("tta"))
    async def analyze(request: Request, tta: bool = True) -> dict:
        result, data, _ = await classify_upload(request, "tta", tta)
        s, lang = api.services(), request_locale(request).locale
        out: dict = {"prediction": worded(result, lang).model_dump(mode="json"), "report": None}
        if result.status == "ok":
            report = await build_report(result, data, s.llm, locale=lang)
            metrics.record_report(report.source)
            out["report"] = _report_json(report)
        return out

    async def turn_from(request: Request, s: Services) -> Turn:
        if request.headers.get("content-type", "").startswith("multipart/"):
            form = await request.form()
            file = form.get("file")
            attachments = []
            if hasattr(file, "read"):
                data = await read_capped(file, s.settings.max_image_bytes)
                attachments.append(Attachment(name="image", data=data))
            return Turn(text=str(form.get("text") or ""), attachments=attachments,
                        locale=_locale_field(form.get("locale")))
        try:
            body = await request.json() if (await request.body()) else {}
        except Exception:
            raise ApiError(422, "bad_json", msg("api.bad_json")) from None
        if not isinstance(body, dict) or not isinstance(body.get("text", ""), str):
            raise ApiError(422, "bad_json", msg("api.turn_shape"))
        return Turn(text=body.get("text", ""), locale=_locale_field(body.get("locale")))

    async def answer(request: Request, s: Services, key: str, conversation: Conversation, turn: Turn,
                     opening: dict | None = None) -> Any:
        """The turn's events: JSON, or one SSE event per conversation event with `Accept: text/event-stream`."""
        limit = s.settings.api_queue_limit
        if not turn.attachments:
            limit = 1 << 30  # no classifier call: never refused
        if not _wants_sse(request):
            async with api.queue.slot(limit):
                events = [_event_json(e) async for e in conversation.handle(turn)]
                return {"id": key, "locale": conversation.lang, "events": events}
        api.queue.check(limit)  # refuse before the stream starts; the slot is taken inside it

        async def events() -> AsyncIterator[str]:
            if opening is not None:
                yield sse("conversation", opening)
            async with api.queue.slot(1 << 30):
                async for event in conversation.handle(turn):
                    yield sse(event.kind, _event_json(event))
            yield sse("done", {"id": key, "locale": conversation.lang})

        return _sse_response(events())

    @guarded.post("/api/v1/conversations", openapi_extra=_TURN)
    async def new_conversation(request: Request) -> Any:
        s = api.services()
        turn = await turn_from(request, s)
        conversation = Conversation(s, request_locale(request))
        key = store.add(conversation)
        return await answer(request, s, key, conversation, turn, opening={"id": key})

    @guarded.post("/api/v1/conversations/{key}/messages", openapi_extra=_TURN)
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
        number, analysis = _reported(store.get(key), image)
        pdf = await asyncio.to_thread(report_pdf_bytes, analysis, number)
        name = quote(t("pdf.file_name", analysis.locale, number=number))
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f"inline; filename=\"{analysis.reference}.pdf\"; filename*=UTF-8''{name}"})

    # ------------------------------------------------------------ the seed's routes

    async def seed_predict(request: Request, use_tta: bool) -> tuple[seed.SeedPrediction, ClassificationResult, bytes]:
        result, data, use_tta = await classify_upload(request, "use_tta", use_tta)
        if result.status != "ok":
            raise ApiError(422, "not_a_lesion", result.ood.refusal or msg("api.not_a_lesion"))
        return seed.to_seed(result, use_tta=use_tta, size_bytes=len(data)), result, data

    @guarded.post("/predict", tags=["seed"], openapi_extra=_image_form("use_tta"), response_model=seed.SeedPrediction)
    async def seed_predict_route(request: Request, use_tta: bool = True) -> seed.SeedPrediction:
        """The seed's /predict: multipart `file`, form or query `use_tta`."""
        return (await seed_predict(request, use_tta))[0]

    @guarded.post("/interpret", tags=["seed"], openapi_extra=_JSON_OBJECT, response_model=seed.SeedInterpretation)
    async def seed_interpret(request: Request) -> seed.SeedInterpretation:
        """The seed's /interpret: its /predict JSON in, the report out."""
        s = api.services()
        try:
            prediction = seed.SeedPrediction.model_validate(await request.json())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "body"
            raise ApiError(422, "bad_prediction", f"{where}: {first.get('msg', 'invalid')}"[:300]) from None
        except Exception:
            raise ApiError(422, "bad_json", msg("api.seed_body")) from None
        profile = active_profile(s.settings)
        result = seed.from_seed(prediction, profile.triage, profile.id)
        report = await build_report(result, None, s.llm, locale=request_locale(request).locale)
        metrics.record_report(report.source)
        return seed.SeedInterpretation(interpretation=report.markdown, report_source=report.source,
                                       sections=[x.model_dump(mode="json") for x in report.sections])

    @guarded.post("/analyze", tags=["seed"], openapi_extra=_image_form("use_tta"), response_model=seed.SeedAnalysis)
    async def seed_analyze(request: Request, use_tta: bool = True) -> seed.SeedAnalysis:
        """The seed's /analyze: a file in, the /predict fields and the report out."""
        prediction, result, data = await seed_predict(request, use_tta)
        report = await build_report(result, data, api.services().llm, locale=request_locale(request).locale)
        metrics.record_report(report.source)
        return seed.SeedAnalysis(**prediction.model_dump(), interpretation=report.markdown,
                                 report_source=report.source)

    router.include_router(guarded)
    return router, api


def _route_template(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def mount(app: FastAPI, get_services: Callable[[], Services | None], store: ConversationStore | None = None) -> Api:
    """Adds the routes ahead of Chainlit's SPA catch-all, the error handlers (for our paths) and the
    request-id and metrics middleware. Returns the routes' shared state (limits, queue, status)."""
    router, api = build_router(get_services, store or ConversationStore())
    before = len(app.router.routes)
    app.include_router(router)
    api.clinic = mount_clinic(app, api)  # the hand-off, staff routes and /staff page (assistant/edges/api/cases.py)
    new = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[:0] = new

    def ours(request: Request) -> bool:
        return request.url.path.startswith(OWN_PREFIXES)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.words(request_locale(request).locale), exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not ours(request):
            return await http_exception_handler(request, exc)
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        if not ours(request):
            return await request_validation_exception_handler(request, exc)
        first = (exc.errors() or [{}])[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "request"
        return error_response(422, "bad_request", f"{where}: {first.get('msg', 'invalid')}"[:300])

    @app.middleware("http")
    async def _request_id_and_metrics(request: Request, call_next):
        rid = request.headers.get("x-request-id", "")[:128] or uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            request_id.reset(token)
        route = _route_template(request)
        metrics.HTTP_REQUESTS.labels(route=route, method=request.method, status=str(response.status_code)).inc()
        metrics.HTTP_LATENCY.labels(route=route, method=request.method).observe(time.perf_counter() - started)
        response.headers["X-Request-ID"] = rid
        return response

    return api
