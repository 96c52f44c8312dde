"""surveys: a contact's satisfaction survey after a call (no free text)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("respondent", sa.String(length=10), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("felt_safe", sa.Boolean(), nullable=True),
        sa.Column("would_call_again", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "respondent", name="uq_survey_incident_respondent"),
    )
    op.create_index(op.f("ix_surveys_incident_id"), "surveys", ["incident_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_surveys_incident_id"), table_name="surveys")
    op.drop_table("surveys")
