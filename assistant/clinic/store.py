"""The case database: opening it (migrations run here, at start-up), and every read and change of a case in
one transaction with its audit row. Synchronous SQLAlchemy; async callers use `asyncio.to_thread`.

A case and its images are written in one transaction: a process killed mid-way leaves the whole case or
none. Retries meet the unique `reference` (one case per conversation and photo) and `idempotency_key`."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, create_engine, delete, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from assistant.clinic.models import URGENCY_RANK, AuditEntry, Case, CaseImage, utcnow

MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATING = threading.Lock()  # Alembic's context is process-global: one migration at a time per process


class CaseFields(BaseModel):
    """What every view of a case carries: the photo's reference, the result in brief and the contact."""

    reference: str
    urgency: str
    top_class: str
    locale: str
    name: str
    contact: str
    contact_kind: str


class CaseDraft(CaseFields):
    """A case as the hand-off makes it, before it has an id."""

    model_config = ConfigDict(frozen=True)
    idempotency_key: str | None
    message: str | None
    analysis: dict
    conversation: list | None
    photo: bytes | None
    heatmap: bytes | None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE erases a case's images
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; a kill never tears a commit
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    # hide_parameters: a failed statement's error (logged with its traceback) would otherwise quote the values
    # bound to it, a patient's name, contact, message and report among them.
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)


def migrate(engine: Engine) -> None:
    """Alembic's `upgrade head`, from code: the app's own migrations on the app's own connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _MIGRATING, engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class CaseStore:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        migrate(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @staticmethod
    def _audit(session: Session, actor: str, action: str, case_id: str | None = None, detail: str | None = None) -> None:
        session.add(AuditEntry(actor=actor, action=action, case_id=case_id, detail=detail))

    # ------------------------------------------------------------ the patient's side

    def _existing(self, session: Session, draft: CaseDraft) -> Case | None:
        if draft.idempotency_key is not None:
            found = session.scalar(select(Case).where(Case.idempotency_key == draft.idempotency_key))
            if found is not None:
                return found
        return session.scalar(select(Case).where(Case.reference == draft.reference))

    def create(self, draft: CaseDraft) -> tuple[Case, bool]:
        """(case, True) when stored now; (the earlier case, False) for a retry."""
        with self.sessions() as session:
            if (found := self._existing(session, draft)) is not None:
                return found, False
            case = Case(id=uuid.uuid4().hex, reference=draft.reference, idempotency_key=draft.idempotency_key,
                        urgency=draft.urgency, urgency_rank=URGENCY_RANK.get(draft.urgency, 9),
                        top_class=draft.top_class, locale=draft.locale, name=draft.name, contact=draft.contact,
                        contact_kind=draft.contact_kind, message=draft.message, analysis=draft.analysis,
                        conversation=draft.conversation, status="new")
            case.images = [CaseImage(kind=kind, data=data) for kind, data in
                           (("photo", draft.photo), ("heatmap", draft.heatmap)) if data]
            session.add(case)
            self._audit(session, "patient", "create", case.id)
            try:
                session.commit()
            except IntegrityError:  # a concurrent retry (another replica) stored it first
                session.rollback()
                found = self._existing(session, draft)
                if found is None:
                    raise
                return found, False
            return case, True

    def withdraw(self, reference: str, contact_matches) -> bool:
        """Erases the case with this reference when `contact_matches(stored_contact)`; False otherwise (the
        caller cannot tell an unknown reference from a wrong contact)."""
        with self.sessions() as session:
            case = session.scalar(select(Case).where(Case.reference == reference.strip().upper()))
            if case is None or not contact_matches(case.contact):
                return False
            session.delete(case)
            self._audit(session, "patient", "withdraw", case.id)
            session.commit()
            return True

    # ------------------------------------------------------------ the staff's side

    def list(self, actor: str, *, status: str | None = None, urgency: str | None = None,
             limit: int = 100, offset: int = 0) -> list[Case]:
        """Newest first (the staff page sorts by urgency itself)."""
        with self.sessions() as session:
            query = select(Case).order_by(Case.created_at.desc(), Case.id)
            if status:
                query = query.where(Case.status == status)
            if urgency:
                query = query.where(Case.urgency == urgency)
            cases = list(session.scalars(query.limit(limit).offset(offset)))
            self._audit(session, actor, "list", detail=f"status={status or '*'} urgency={urgency or '*'} n={len(cases)}")
            session.commit()
            return cases

    def get(self, case_id: str, actor: str, action: str = "read") -> Case | None:
        with self.sessions() as session:
            case = session.get(Case, case_id)
            if case is not None:
                _ = case.images  # loaded before the session closes
                self._audit(session, actor, action, case_id)
                session.commit()
            return case

    def update(self, case_id: str, actor: str, *, status: str | None, note: str | None) -> Case | None:
        with self.sessions() as session:
            case = session.get(Case, case_id)
            if case is None:
                return None
            changed = []
            if status is not None:
                case.status, changed = status, [*changed, f"status={status}"]
            if note is not None:
                case.staff_note, changed = note, [*changed, "staff_note"]
            case.updated_at = utcnow()
            self._audit(session, actor, "update", case_id, " ".join(changed) or None)
            session.commit()
            _ = case.images
            return case

    def delete(self, case_id: str, actor: str) -> bool:
        with self.sessions() as session:
            case = session.get(Case, case_id)
            if case is None:
                return False
            session.delete(case)
            self._audit(session, actor, "delete", case_id)
            session.commit()
            return True

    def record(self, actor: str, action: str, case_id: str | None = None, detail: str | None = None) -> None:
        """An audit row on its own: a staff page's read or change, a login."""
        with self.sessions() as session:
            self._audit(session, actor, action, case_id, detail)
            session.commit()

    def audit(self, case_id: str | None = None) -> list[AuditEntry]:
        with self.sessions() as session:
            query = select(AuditEntry).order_by(AuditEntry.id)
            if case_id is not None:
                query = query.where(AuditEntry.case_id == case_id)
            return list(session.scalars(query))

    # ------------------------------------------------------------ retention

    def purge(self, older_than_days: int, now: datetime | None = None) -> int:
        """Erases the cases created more than `older_than_days` ago, with their images; the count."""
        cutoff = (now or utcnow()) - timedelta(days=older_than_days)
        with self.sessions() as session:
            ids = list(session.scalars(select(Case.id).where(Case.created_at < cutoff)))
            if ids:
                # Images first: a bulk delete does not cascade through the ORM (SQLite's foreign keys may be off).
                session.execute(delete(CaseImage).where(CaseImage.case_id.in_(ids)))
                session.execute(delete(Case).where(Case.id.in_(ids)))
                self._audit(session, "retention", "purge", detail=f"n={len(ids)} days={older_than_days}")
            session.commit()
            return len(ids)

    def counts(self) -> tuple[int, int]:
        """(cases, images): for tests and health checks."""
        with self.sessions() as session:
            return (session.scalar(select(func.count()).select_from(Case)) or 0,
                    session.scalar(select(func.count()).select_from(CaseImage)) or 0)
