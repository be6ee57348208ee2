"""surveys, survey_opt_outs, promises, customers.do_not_survey, follow_ups.complaint_id/done_by_id, and calls by
customer and time: the service loop (SPEC §10)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="SET NULL"), nullable=True),
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("to_e164", sa.String(20), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("message_sid", sa.String(64), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.UniqueConstraint("call_id"),
    )
    op.create_index("ix_surveys_to_sent", "surveys", ["to_e164", "sent_at"])
    op.create_index("ix_surveys_customer_sent", "surveys", ["customer_id", "sent_at"])
    op.create_index("ix_surveys_status", "surveys", ["status"])
    op.create_index("ix_surveys_agent_id", "surveys", ["agent_id"])

    op.create_table(
        "survey_opt_outs",
        sa.Column("e164", sa.String(20), primary_key=True),
        sa.Column("opted_out_at", sa.DateTime(), nullable=False),
    )

    op.create_table(
        "promises",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("call_id", sa.Integer(), sa.ForeignKey("calls.id", ondelete="SET NULL"), nullable=True),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("made_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_promises_customer_status", "promises", ["customer_id", "status"])
    op.create_index("ix_promises_status_due", "promises", ["status", "due_at"])
    op.create_index("ix_promises_made_by_id", "promises", ["made_by_id"])

    # A plain ADD COLUMN: a batch would rebuild customers on SQLite, losing its expression index.
    op.add_column("customers", sa.Column("do_not_survey", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("follow_ups") as batch:
        batch.add_column(sa.Column("complaint_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("done_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_follow_ups_complaint_id_complaints", "complaints", ["complaint_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_foreign_key("fk_follow_ups_done_by_id_users", "users", ["done_by_id"], ["id"],
                                 ondelete="SET NULL")
    # Every pop reads the caller's history by customer and time; the composite index also serves
    # every lookup the customer_id index did.
    op.create_index("ix_calls_customer_started", "calls", ["customer_id", "started_at"])
    op.drop_index("ix_calls_customer_id", table_name="calls")


def downgrade():
    op.create_index("ix_calls_customer_id", "calls", ["customer_id"])
    op.drop_index("ix_calls_customer_started", table_name="calls")
    with op.batch_alter_table("follow_ups") as batch:
        batch.drop_constraint("fk_follow_ups_done_by_id_users", type_="foreignkey")
        batch.drop_constraint("fk_follow_ups_complaint_id_complaints", type_="foreignkey")
        batch.drop_column("done_by_id")
        batch.drop_column("complaint_id")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("do_not_survey")
    op.drop_table("promises")
    op.drop_table("survey_opt_outs")
    op.drop_table("surveys")
