"""What the API's routes share: the services getter, the conversations, the rate limiter and classifier queue,
the cached status; and the classifier call every photo route makes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from assistant.conversation.orchestrator import Services
from assistant.core import metrics
from assistant.core.settings import Settings, get_settings
from assistant.edges.api.conversations import ConversationStore
from assistant.edges.api.errors import ApiError
from assistant.edges.api.limits import ClassifierQueue, RateLimiter, check_key
from assistant.edges.api.requests import flag as parse_flag
from assistant.edges.api.requests import form_file
from assistant.edges.api.status import StatusCache
from tools.intake import IntakeError
from tools.result import ClassificationResult
from tools.text import msg


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

    async def classify_upload(self, request: Request, flag: str, tta: bool) -> tuple[ClassificationResult, bytes, bool]:
        """The multipart `file` through the classifier; its TTA flag from the form field `flag` or the query."""
        s = self.services()
        data, form = await form_file(request, s)
        if flag in form:
            tta = parse_flag(form[flag])
        result = await self.classify(s, data, tta)
        metrics.record_result(result)
        return result, data, tta
