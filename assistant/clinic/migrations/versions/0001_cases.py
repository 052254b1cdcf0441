"""Cases, their images and the audit table.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("urgency_rank", sa.Integer, nullable=False),
        sa.Column("top_class", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(320), nullable=False),
        sa.Column("contact_kind", sa.String(8), nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("staff_note", sa.Text, nullable=True),
        sa.Column("analysis", sa.JSON, nullable=False),
        sa.Column("conversation", sa.JSON, nullable=True),
        sa.UniqueConstraint("idempotency_key", name="uq_cases_idempotency_key"),
    )
    op.create_index("ix_cases_reference", "cases", ["reference"], unique=True)
    op.create_index("ix_cases_created_at", "cases", ["created_at"])
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_index("ix_cases_urgency", "cases", ["urgency"])
    op.create_index("ix_cases_urgency_rank", "cases", ["urgency_rank"])
    op.create_table(
        "case_images",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_case_images_case_id", "case_images", ["case_id"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTC, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
    )
    op.create_index("ix_audit_at", "audit", ["at"])
    op.create_index("ix_audit_case_id", "audit", ["case_id"])


def downgrade() -> None:
    op.drop_table("audit")
    op.drop_table("case_images")
    op.drop_table("cases")
