"""calls.wrapped_at and calls.callback_follow_up_id, surveys by answered time: the supervisor's
figures (handle time counts the wrap-up) and callbacks from the care list (SPEC §12)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("wrapped_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("callback_follow_up_id", sa.Integer(), nullable=True))
    op.create_index("ix_calls_callback_follow_up_id", "calls", ["callback_follow_up_id"])
    op.create_index("ix_surveys_answered_at", "surveys", ["answered_at"])


def downgrade():
    op.drop_index("ix_surveys_answered_at", table_name="surveys")
    op.drop_index("ix_calls_callback_follow_up_id", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("callback_follow_up_id")
        batch.drop_column("wrapped_at")
