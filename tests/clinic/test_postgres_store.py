"""The store on PostgreSQL: replicas migrating at once (one migrates, the others wait), and a retry from
two replicas at once making one case."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from assistant.clinic.store import CaseStore
from tests.clinic.test_store import draft


def test_replicas_migrate_at_once_and_share_cases(pg_url: str) -> None:
    with ThreadPoolExecutor(3) as pool:
        stores = list(pool.map(CaseStore, [pg_url] * 3))
    try:
        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda s: s.create(draft("HK-PGPG-2345")), stores))
        assert sorted(created for _, created in results) == [False, False, True]
        assert len({case.id for case, _ in results}) == 1
        before = stores[0].counts()  # the session's cluster may hold other tests' cases
        assert "HK-PGPG-2345" in [c.reference for c in stores[2].list("staff:t")]
        assert stores[1].delete(results[0][0].id, "staff:t") and stores[0].get(results[0][0].id, "staff:t") is None
        assert stores[0].counts() == (before[0] - 1, before[1] - 2)
    finally:
        for store in stores:
            store.close()
