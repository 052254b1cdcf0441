"""The API on the Chainlit server: its routes (and the clinic's) ahead of Chainlit's SPA catch-all, the error
handlers for our paths (`{"error": {"code", "message"}}` in the request's locale) and the request-id and
metrics middleware."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.conversation.orchestrator import Services
from assistant.core import metrics
from assistant.core.logs import request_id
from assistant.edges.api.cases import Clinic, clinic_router
from assistant.edges.api.conversations import ConversationStore
from assistant.edges.api.errors import ApiError, error_response
from assistant.edges.api.requests import request_locale
from assistant.edges.api.routes import build_router
from assistant.edges.api.seed_routes import SEED_PATHS
from assistant.edges.api.staff_page import mount_staff_page
from assistant.edges.api.state import Api

OWN_PREFIXES = ("/api/", "/health", "/ready", "/metrics", *SEED_PATHS)

log = logging.getLogger(__name__)


def _route_template(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def mount_clinic(app: FastAPI, api: Any) -> Clinic:
    """The clinic's routes (cases.py) and the /staff page (staff_page.py) on `app`; the store is opened (and
    migrated) now when the hand-off or staff access is on, so a broken DATABASE_URL shows at start-up."""
    clinic = Clinic(api.settings)
    app.include_router(clinic_router(api, clinic))
    mount_staff_page(app, clinic)
    if clinic.wanted:
        try:
            clinic.store()
        except Exception:
            log.exception("case database could not be opened; hand-off and staff routes will retry")
    return clinic


def mount(app: FastAPI, get_services: Callable[[], Services | None], store: ConversationStore | None = None) -> Api:
    """Adds the routes ahead of Chainlit's SPA catch-all, the error handlers (for our paths) and the
    request-id and metrics middleware. Returns the routes' shared state (limits, queue, status)."""
    router, api = build_router(get_services, store or ConversationStore())
    before = len(app.router.routes)
    app.include_router(router)
    api.clinic = mount_clinic(app, api)
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
