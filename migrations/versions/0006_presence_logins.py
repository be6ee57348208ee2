"""agent_presence: the login each socket stands on, so it closes when that login ends

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("agent_presence") as batch:
        batch.add_column(sa.Column("login_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch.create_index("ix_agent_presence_login_id", ["login_id"])


def downgrade():
    with op.batch_alter_table("agent_presence") as batch:
        batch.drop_index("ix_agent_presence_login_id")
        batch.drop_column("token_hash")
        batch.drop_column("login_id")
