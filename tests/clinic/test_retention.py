"""The retention clock (assistant/clinic/retention.py): a purge that fails is retried by the next request,
not an interval later; a purge that succeeds waits the interval."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from assistant.clinic.retention import Retention


class FlakyStore:
    """A store whose first `failures` purges raise (a locked or unreachable database), then erase 2 cases."""

    def __init__(self, failures: int) -> None:
        self.failures, self.calls = failures, 0

    def purge(self, days: int) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationalError("DELETE FROM cases", {}, Exception("database is locked"))
        return 2


def test_a_failed_purge_is_retried_on_the_next_call_then_waits_the_interval() -> None:
    store = FlakyStore(failures=1)
    retention = Retention(store, days=30, every_s=600)
    with pytest.raises(OperationalError):
        retention.maybe_purge()
    assert retention.maybe_purge() == 2 and store.calls == 2  # retried at once, not 600 s later
    assert retention.maybe_purge() == 0 and store.calls == 2  # succeeded: the clock now runs


def test_every_failure_is_retried() -> None:
    store = FlakyStore(failures=3)
    retention = Retention(store, days=30, every_s=600)
    for _ in range(3):
        with pytest.raises(OperationalError):
            retention.maybe_purge()
    assert retention.maybe_purge() == 2 and store.calls == 4
