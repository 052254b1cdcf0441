"""The API's conversations: kept in memory by id, idle ones expire; and which analysis a PDF or a hand-off is
about (the latest reported photo, or image N)."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict

from assistant.conversation.orchestrator import Analysis, Conversation
from assistant.edges.api.errors import ApiError
from tools.text import msg


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



def reported(conversation: Conversation, image: int | None) -> tuple[int, Analysis]:
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
