"""calls: an index on (status, agent_id), for who holds a live call

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Every inbound call asks which agents hold a live call, so routing can skip them; with this index
the database reads only live calls that an agent holds, not every call of the last hours.
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_calls_status_agent", "calls", ["status", "agent_id"])


def downgrade():
    op.drop_index("ix_calls_status_agent", table_name="calls")
