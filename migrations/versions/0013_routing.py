"""users.status/status_at/watch_all and the calls' routing and queue columns: availability, the
audience, the agent who knows them, and the queue (SPEC §11)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("status", sa.String(10), nullable=True))
        batch.add_column(sa.Column("status_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("watch_all", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("routing_reason", sa.String(20), nullable=True))
        batch.add_column(sa.Column("offered_to", sa.String(500), nullable=True))
        batch.add_column(sa.Column("known_because", sa.String(20), nullable=True))
        batch.add_column(sa.Column("known_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("queued_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("queue_state", sa.String(10), nullable=True))
        batch.add_column(sa.Column("queue_tier", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("queue_claimed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("queue_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("queue_agent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("queue_error", sa.String(500), nullable=True))
        batch.add_column(sa.Column("callback_base_url", sa.String(255), nullable=True))
        batch.create_foreign_key("fk_calls_queue_agent_id_users", "users", ["queue_agent_id"], ["id"],
                                 ondelete="SET NULL")
    op.create_index("ix_calls_queue", "calls", ["queue_state", "queue_tier", "queued_at"])
    op.create_index("ix_calls_ended_at", "calls", ["ended_at"])
    op.create_index("ix_calls_queue_agent", "calls", ["queue_agent_id", "queue_state"])


def downgrade():
    op.drop_index("ix_calls_queue_agent", table_name="calls")
    op.drop_index("ix_calls_ended_at", table_name="calls")
    op.drop_index("ix_calls_queue", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_constraint("fk_calls_queue_agent_id_users", type_="foreignkey")
        for column in ("callback_base_url", "queue_error", "queue_agent_id", "queue_attempts", "queue_claimed_at", "queue_tier",
                       "queue_state", "queued_at", "known_at", "known_because", "offered_to", "routing_reason"):
            batch.drop_column(column)
    with op.batch_alter_table("users") as batch:
        for column in ("watch_all", "status_at", "status"):
            batch.drop_column(column)
