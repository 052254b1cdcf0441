"""Retention: cases older than CASE_RETENTION_DAYS are erased with their images. Run when the store opens
and then, at most every `every_s`, on the way into any clinic request: no background task to start or stop
in each replica, and a replica that serves nothing has nothing to show."""

from __future__ import annotations

import logging
import threading
import time

from assistant.clinic.store import CaseStore

log = logging.getLogger(__name__)


class Retention:
    def __init__(self, store: CaseStore, days: int, every_s: float = 600.0) -> None:
        self.store, self.days, self.every_s = store, days, every_s
        self._last = float("-inf")
        self._lock = threading.Lock()

    def maybe_purge(self) -> int:
        """Purges when the last successful purge is older than `every_s`; the number of cases erased. A purge
        that raises is retried by the next call: expired cases must not outlive their days by another interval."""
        with self._lock:
            before = self._last
            if time.monotonic() - before < self.every_s:
                return 0
            self._last = time.monotonic()  # claimed: requests arriving while it runs do not purge too
        try:
            erased = self.store.purge(self.days)
        except BaseException:
            with self._lock:
                self._last = min(self._last, before)  # our claim given back: the next call purges
            raise
        if erased:
            log.info("retention: erased %d case(s) older than %d days", erased, self.days)
        return erased
