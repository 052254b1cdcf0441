"""`/api/v1/*` and ops routes. Services come from a getter so the app's startup hook can fill them in.
Every bad input is a 4xx `{"error": {"code", "message"}}` carrying the intake's code and message."""

from __future__ import annotations

import contextvars
import time
import uuid
from collections import OrderedDict
from typing import Any, Callable

from fastapi import APIRouter, FastAPI, Request, UploadFile
from fastapi.responses import JSONResponse

from assistant.orchestrator import Attachment, Conversation, Services, Turn
from assistant.report import build_report
from tools.intake import IntakeError
from tools.result import ClassificationResult

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
READ_CHUNK = 64 * 1024


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def read_capped(upload: UploadFile, cap: int) -> bytes:
    """Reads at most `cap` bytes; more is a 413, whatever Content-Length said."""
    parts, total = [], 0
    while chunk := await upload.read(READ_CHUNK):
        total += len(chunk)
        if total > cap:
            raise ApiError(413, "too_large", f"The file is larger than the {cap // (1024 * 1024)} MB limit.")
        parts.append(chunk)
    return b"".join(parts)


class ConversationStore:
    """Idle conversations expire; at most `capacity` live ones (503 when full of live ones)."""

    def __init__(self, capacity: int = 200, idle_s: float = 1800) -> None:
        self.capacity, self.idle_s = capacity, idle_s
        self._items: OrderedDict[str, tuple[Conversation, float]] = OrderedDict()

    def _evict(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_, t) in self._items.items() if now - t > self.idle_s]:
            del self._items[key]

    def add(self, conversation: Conversation) -> str:
        self._evict()
        if len(self._items) >= self.capacity:
            raise ApiError(503, "busy", "Too many open conversations; try again later.")
        key = uuid.uuid4().hex
        self._items[key] = (conversation, time.monotonic())
        return key

    def get(self, key: str) -> Conversation:
        self._evict()
        if key not in self._items:
            raise ApiError(404, "not_found", "No such conversation (it may have expired).")
        conversation, _ = self._items[key]
        self._items[key] = (conversation, time.monotonic())
        return conversation

    def __len__(self) -> int:
        return len(self._items)


def _event_json(event: Any) -> dict:
    return {"type": type(event).__name__, **event.model_dump(mode="json")}


def build_router(get_services: Callable[[], Services | None], store: ConversationStore) -> APIRouter:
    router = APIRouter()

    def services() -> Services:
        s = get_services()
        if s is None:
            raise ApiError(503, "not_ready", "The models are still loading.")
        if s.classifier is None:
            raise ApiError(503, "classifier_unavailable", s.classifier_error or "Classifier unavailable.")
        return s

    async def classify(s: Services, data: bytes, tta: bool) -> ClassificationResult:
        try:
            return await s.classifier.ainvoke({"image": data, "tta": tta})
        except IntakeError as exc:
            raise ApiError(422, exc.code, exc.message) from None

    async def image_from(file: UploadFile | None, s: Services) -> bytes:
        if file is None:
            raise ApiError(422, "missing_file", "Send the image as the multipart field `file`.")
        return await read_capped(file, s.settings.max_image_bytes)

    @router.get("/health")
    async def health() -> dict:
        s = get_services()
        return {"status": "healthy", "models_loaded": bool(s and s.classifier), "request_id": request_id.get()}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        s = get_services()
        ok = bool(s and s.classifier)
        return JSONResponse({"ready": ok, "classifier": ok}, status_code=200 if ok else 503)

    @router.post("/api/v1/predict")
    async def predict(request: Request, tta: bool = True) -> dict:
        s = services()
        form = await request.form()
        file = form.get("file")
        if "tta" in form:
            tta = str(form["tta"]).lower() in ("1", "true", "yes", "on")
        data = await image_from(file if hasattr(file, "read") else None, s)
        return (await classify(s, data, tta)).model_dump(mode="json")

    @router.post("/api/v1/interpret")
    async def interpret(request: Request) -> dict:
        s = services()
        try:
            result = ClassificationResult.model_validate(await request.json())
        except Exception as exc:
            raise ApiError(422, "bad_result", f"Send a predict result as JSON ({type(exc).__name__}).") from None
        if result.status != "ok":
            raise ApiError(422, "not_a_lesion", result.ood.reason or "The image was not a skin spot.")
        report = await build_report(result, None, s.llm)
        return {"report": report.model_dump(mode="json"), "markdown": report.markdown}

    @router.post("/api/v1/analyze")
    async def analyze(request: Request, tta: bool = True) -> dict:
        s = services()
        form = await request.form()
        file = form.get("file")
        data = await image_from(file if hasattr(file, "read") else None, s)
        result = await classify(s, data, tta)
        out: dict = {"prediction": result.model_dump(mode="json"), "report": None}
        if result.status == "ok":
            report = await build_report(result, data, s.llm)
            out["report"] = {"report": report.model_dump(mode="json"), "markdown": report.markdown}
        return out

    async def run_turn(conversation: Conversation, turn: Turn) -> list[dict]:
        return [_event_json(e) async for e in conversation.handle(turn)]

    async def turn_from(request: Request, s: Services) -> Turn:
        if request.headers.get("content-type", "").startswith("multipart/"):
            form = await request.form()
            file = form.get("file")
            attachments = []
            if hasattr(file, "read"):
                data = await read_capped(file, s.settings.max_image_bytes)
                attachments.append(Attachment(name="image", data=data))
            return Turn(text=str(form.get("text") or ""), attachments=attachments)
        try:
            body = await request.json() if (await request.body()) else {}
        except Exception:
            raise ApiError(422, "bad_json", "The body is not valid JSON.") from None
        if not isinstance(body, dict) or not isinstance(body.get("text", ""), str):
            raise ApiError(422, "bad_json", "Send {\"text\": \"...\"}.")
        return Turn(text=body.get("text", ""))

    @router.post("/api/v1/conversations")
    async def new_conversation(request: Request) -> dict:
        s = services()
        turn = await turn_from(request, s)
        conversation = Conversation(s)
        key = store.add(conversation)
        return {"id": key, "events": await run_turn(conversation, turn)}

    @router.post("/api/v1/conversations/{key}/messages")
    async def message(key: str, request: Request) -> dict:
        s = services()
        conversation = store.get(key)
        turn = await turn_from(request, s)
        if not turn.text and not turn.attachments:
            raise ApiError(422, "empty", "Send text or an image.")
        return {"id": key, "events": await run_turn(conversation, turn)}

    return router


def mount(app: FastAPI, get_services: Callable[[], Services | None], store: ConversationStore | None = None) -> None:
    """Adds the routes ahead of Chainlit's SPA catch-all, the error handler and the request-id middleware."""
    router = build_router(get_services, store or ConversationStore())
    before = len(app.router.routes)
    app.include_router(router)
    new = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[:0] = new

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.middleware("http")
    async def _request_id(request: Request, call_next):
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        token = request_id.set(rid)
        try:
            response = await call_next(request)
        finally:
            request_id.reset(token)
        response.headers["X-Request-ID"] = rid
        return response
