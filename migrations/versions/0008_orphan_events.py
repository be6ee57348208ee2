"""orphan_events: provider events for a call not stored yet wait for it instead of being dropped;
calls.direction and calls.connected_at for the call's API shape (SPEC §9a)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "orphan_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_sid", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("kept_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_orphan_events_call_sid", "orphan_events", ["call_sid"])
    op.create_index("ix_orphan_events_kept_at", "orphan_events", ["kept_at"])
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("direction", sa.String(10), server_default="inbound", nullable=False))
        batch.add_column(sa.Column("connected_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("connected_at")
        batch.drop_column("direction")
    op.drop_index("ix_orphan_events_kept_at", "orphan_events")
    op.drop_index("ix_orphan_events_call_sid", "orphan_events")
    op.drop_table("orphan_events")
