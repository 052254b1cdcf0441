"""Alembic's environment, run from code (assistant/clinic/store.py, `migrate`), never from an alembic.ini:
the connection comes in `config.attributes["connection"]`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from assistant.clinic.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")  # SQLite alters tables by copying them
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Replicas start together: one migrates, the others wait here and then find the work done.
        connection.execute(text("SELECT pg_advisory_xact_lock(7310021)"))
    context.run_migrations()
