"""The case store on its own: migrations, retention, and a writer killed with SIGKILL mid-way leaving whole
cases or none."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import inspect, select

from assistant.clinic.models import Case, CaseImage, utcnow
from assistant.clinic.store import CaseDraft, CaseStore

ROOT = Path(__file__).resolve().parents[2]


def draft(reference: str, photo: bytes = b"photo", **extra) -> CaseDraft:
    values = dict(reference=reference, idempotency_key=None, urgency="urgent", top_class="melanoma", locale="en",
                  name="N", contact="n@example.org", contact_kind="email", message=None, analysis={"number": 1},
                  conversation=None, photo=photo, heatmap=b"heat")
    return CaseDraft(**{**values, **extra})


def test_migrations_make_the_tables_and_run_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a' / 'cases.sqlite3'}"
    CaseStore(url).close()
    store = CaseStore(url)  # the second start finds the schema at head
    assert {"cases", "case_images", "audit", "alembic_version"} <= set(inspect(store.engine).get_table_names())


def test_retention_erases_old_cases_and_their_images(tmp_path: Path) -> None:
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    old, new = store.create(draft("HK-2222-2222"))[0], store.create(draft("HK-3333-3333"))[0]
    with store.sessions() as session:
        session.get(Case, old.id).created_at = utcnow() - timedelta(days=31)
        session.commit()
    assert store.purge(30) == 1 and store.purge(30) == 0
    assert store.counts() == (1, 2)
    assert store.get(new.id, "staff:t") is not None and store.get(old.id, "staff:t") is None
    assert [e.detail for e in store.audit() if e.action == "purge"] == ["n=1 days=30"]


WRITER = """
import sys, os
from tests.clinic.test_store import draft
from assistant.clinic.store import CaseStore
store = CaseStore(sys.argv[1])
print("ready", flush=True)
i = 0
while True:
    i += 1
    store.create(draft(f"K{os.getpid()}-{i}", photo=os.urandom(2_000_000)))
"""


def test_a_killed_writer_leaves_whole_cases_or_none(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.sqlite3'}"
    CaseStore(url).close()
    rng = random.Random(21)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, url], cwd=ROOT, stdout=subprocess.PIPE,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.3, 1.0))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    store = CaseStore(url)
    with store.sessions() as session:
        cases = list(session.scalars(select(Case)))
        orphans = session.scalars(select(CaseImage).where(CaseImage.case_id.not_in([c.id for c in cases]))).all()
        assert cases and not orphans
        for case in cases:
            assert sorted(i.kind for i in case.images) == ["heatmap", "photo"] and len(case.image("photo")) == 2_000_000
    assert len(store.audit()) == len(cases)  # each case's "create" row, written in its own transaction
