"""calls.news_at, checked_at, unsettled, closed_by_id: a call left ringing with no news is asked
about at the provider, and a supervisor can close what the provider cannot settle (SPEC §3)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("news_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("checked_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("unsettled", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_calls_closed_by_id_users", "users", ["closed_by_id"], ["id"],
                                 ondelete="SET NULL")
    op.execute("UPDATE calls SET news_at = COALESCE(ended_at, answered_at, started_at)")
    with op.batch_alter_table("calls") as batch:
        batch.alter_column("news_at", existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table("calls") as batch:
        batch.drop_constraint("fk_calls_closed_by_id_users", type_="foreignkey")
        batch.drop_column("closed_by_id")
        batch.drop_column("unsettled")
        batch.drop_column("checked_at")
        batch.drop_column("news_at")
