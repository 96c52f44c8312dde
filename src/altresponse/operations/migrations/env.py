"""Alembic environment: runs the migrations on the engine `db.upgrade` hands over."""

from __future__ import annotations

from alembic import context

from altresponse.operations.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    context.run_migrations()
