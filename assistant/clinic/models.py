"""The case database's tables (SQLAlchemy 2). A case is one photo a patient chose to send, with its result,
report, heat-map and contact; the audit table records every staff read and change, and never holds a
contact, a message or an image (only codes, ids and who)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

STATUSES = ("new", "contacted", "closed")
URGENCY_RANK = {"urgent": 0, "high": 1, "moderate": 2, "low": 3}  # the staff list's order (tools/catalogue.py, Tier)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The photo's reference (the number on its PDF): one case per conversation and photo.
    reference: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    urgency: Mapped[str] = mapped_column(String(16), index=True)
    urgency_rank: Mapped[int] = mapped_column(Integer, index=True)
    top_class: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(320))
    contact_kind: Mapped[str] = mapped_column(String(8))
    message: Mapped[str | None] = mapped_column(Text)
    staff_note: Mapped[str | None] = mapped_column(Text)
    # The Analysis as JSON (result, report, reference, created, locale): enough to rebuild its PDF.
    analysis: Mapped[dict] = mapped_column(JSON)
    conversation: Mapped[list | None] = mapped_column(JSON)  # [[role, text], ...] only when the patient ticked it
    images: Mapped[list[CaseImage]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                                   passive_deletes=True, lazy="selectin")

    def image(self, kind: str) -> bytes | None:
        return next((i.data for i in self.images if i.kind == kind), None)


class CaseImage(Base):
    __tablename__ = "case_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # photo | heatmap
    data: Mapped[bytes] = mapped_column(LargeBinary)
    case: Mapped[Case] = relationship(back_populates="images")


class AuditEntry(Base):
    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # "staff:<key fingerprint>", "patient", "retention"
    action: Mapped[str] = mapped_column(String(16))  # create | list | read | report | update | delete | withdraw | purge
    case_id: Mapped[str | None] = mapped_column(String(32), index=True)  # no foreign key: outlives the case
    detail: Mapped[str | None] = mapped_column(String(200))  # codes only: fields changed, filters, counts
