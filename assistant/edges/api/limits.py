"""Limits for the integrator API: optional API keys, a per-client token bucket, and a bounded queue in
front of the classifier. Each raises `ApiError` (401 / 429 / 503, the last two with Retry-After)."""

from __future__ import annotations

import hmac
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import Request

from assistant.edges.api.errors import ApiError
from tools.text import msg


def presented_key(request: Request) -> str | None:
    """The key from `X-API-Key`, or `Authorization: Bearer <key>`."""
    if key := request.headers.get("x-api-key"):
        return key.strip()
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def check_key(request: Request, keys: list[str]) -> str | None:
    """The caller's key when keys are configured (401 without or with a wrong one); None when they are off."""
    if not keys:
        return None
    key = presented_key(request)
    if key is None:
        raise ApiError(401, "unauthorized", msg("api.no_key"), headers={"WWW-Authenticate": "Bearer"})
    if not any(hmac.compare_digest(key.encode(), k.encode()) for k in keys):
        raise ApiError(401, "unauthorized", msg("api.bad_key"), headers={"WWW-Authenticate": "Bearer"})
    return key


class RateLimiter:
    """A token bucket per client: `per_minute` requests a minute, bursts up to `per_minute`. The rate is
    passed on each call, so a change of settings applies at once; 0 turns it off."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_clients: int = 10_000) -> None:
        self._clock, self._max = clock, max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, when)

    def take(self, client: str, per_minute: int) -> None:
        if per_minute <= 0:
            return
        now, rate = self._clock(), per_minute / 60.0
        tokens, when = self._buckets.pop(client, (float(per_minute), now))
        tokens = min(float(per_minute), tokens + (now - when) * rate)
        if tokens < 1:
            self._buckets[client] = (tokens, now)
            retry = max(1, math.ceil((1 - tokens) / rate))
            raise ApiError(429, "rate_limited", msg("api.rate_limited", retry=retry),
                           headers={"Retry-After": str(retry)})
        self._buckets[client] = (tokens - 1, now)
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)


class ClassifierQueue:
    """Counts classifier calls from the API: one runs (the classifier has one worker), the others wait.
    When `limit` are already waiting, another call is refused with 503 instead of queueing without end."""

    def __init__(self, retry_after_s: int = 5) -> None:
        self.pending = 0
        self.retry_after_s = retry_after_s

    def check(self, limit: int) -> None:
        """503 when `limit` calls are already waiting behind the one running."""
        if self.pending - 1 >= limit:
            raise ApiError(503, "queue_full", msg("api.queue_full"), headers={"Retry-After": str(self.retry_after_s)})

    @asynccontextmanager
    async def slot(self, limit: int):
        self.check(limit)
        self.pending += 1
        try:
            yield
        finally:
            self.pending -= 1
