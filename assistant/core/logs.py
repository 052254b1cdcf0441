"""Logging for the server: the request id on every line written while a request is handled, and
`LOG_FORMAT=json` (one JSON object per line). Nothing here logs message text, file names or image bytes;
callers keep to that too (a log line at INFO names routes, categories and timings, never content)."""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import datetime, timezone

from assistant.core.settings import Settings

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_HANDLER_MARK = "_ham10k_handler"
# Loggers that bring their own handlers: sent through ours instead, so every line has one format.
_OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "chainlit")


class RequestIdFilter(logging.Filter):
    """Stamps `record.request_id` (the current request's id, "-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", request_id.get()),
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def make_handler(settings: Settings) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    setattr(handler, _HANDLER_MARK, True)
    return handler


def configure_logging(settings: Settings) -> None:
    """One handler on the root logger (replacing an earlier one of ours), at LOG_LEVEL; uvicorn's and
    Chainlit's loggers write through it."""
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(h)
    root.addHandler(make_handler(settings))
    root.setLevel(settings.log_level.upper())
    for name in _OWN_HANDLERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
