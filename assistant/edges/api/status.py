"""What /health and /ready report, from cached state: the services' load results, and an LLM
reachability check refreshed in the background at most every `status_check_s` seconds. A request
never waits for a forward pass or an LLM call (only the very first one waits for the first check)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from assistant.conversation.orchestrator import Services
from assistant.report.writer import standard_reports_ready


class StatusCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._llm: tuple[float, bool] | None = None  # (when checked, reachable)
        self._task: asyncio.Task | None = None
        self._fallback: bool | None = None

    @property
    def fallback_ready(self) -> bool:
        if self._fallback is None:
            self._fallback = standard_reports_ready()
        return self._fallback

    async def _check(self, services: Services) -> bool:
        try:
            reachable = (await services.llm.probe()).reachable
        except Exception:
            reachable = False
        self._llm = (self._clock(), reachable)
        return reachable

    async def llm_reachable(self, services: Services) -> bool:
        """The last check's answer; a stale one is refreshed in the background."""
        if self._llm is None:
            return await self._check(services)
        checked, reachable = self._llm
        if self._clock() - checked >= services.settings.status_check_s and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._check(services))
        return reachable

    async def snapshot(self, services: Services | None) -> dict:
        if services is None:
            return {"models_loaded": False, "classifier": "loading", "intent_router": "loading",
                    "llm_reachable": False, "fallback_ready": self.fallback_ready, "report_mode": "standard"}
        reachable = await self.llm_reachable(services)
        return {
            "models_loaded": services.classifier is not None,
            "classifier": "loaded" if services.classifier is not None else (services.classifier_error or "unavailable"),
            "intent_router": services.router_status,
            "llm_reachable": reachable,
            "fallback_ready": self.fallback_ready,
            "report_mode": "model" if reachable else "standard",
        }

    @staticmethod
    def is_ready(snap: dict) -> bool:
        return (snap["models_loaded"] and snap["intent_router"] == "loaded"
                and (snap["llm_reachable"] or snap["fallback_ready"]))
