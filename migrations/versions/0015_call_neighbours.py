"""calls.previous_call_at and calls.next_call_at: each inbound call remembers the same caller's
previous and next call, so the supervisor's figures read them instead of sorting a range's calls by
caller (SPEC §12; a year of 1,000,000 calls took 3.3 s that way); and an index on the outbound
calls by time (the callbacks counted in a range), and customers by tier and age (the care list's valued
customers nobody has called)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OUTBOUND = sa.text("direction = 'outbound'")

# The links as the app keeps them (app/services/calls/neighbours.py): each caller is the customer,
# or for an unknown caller the number; withheld unknown callers and outbound calls have none.
LINKS = """
SELECT id,
       lag(started_at) OVER caller AS previous_at,
       lead(started_at) OVER caller AS next_at
FROM calls
WHERE direction = 'inbound' AND (customer_id IS NOT NULL OR from_e164 IS NOT NULL)
WINDOW caller AS (PARTITION BY customer_id, CASE WHEN customer_id IS NULL THEN from_e164 END
                  ORDER BY started_at, id)
"""
BATCH = 20_000  # calls written per transaction on PostgreSQL


def upgrade():
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("previous_call_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("next_call_at", sa.DateTime(), nullable=True))
    op.create_index("ix_calls_outbound_started", "calls", ["started_at"], postgresql_where=OUTBOUND,
                    sqlite_where=OUTBOUND)
    op.create_index("ix_customers_tier_created", "customers", ["tier", "created_at"])
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.execute(f"UPDATE calls SET previous_call_at = linked.previous_at, next_call_at = linked.next_at "
                   f"FROM ({LINKS}) AS linked WHERE calls.id = linked.id")
        return
    # A million calls take a minute or two to write: in one transaction that would hold every call
    # written for that long, and the webhooks still being served would wait on it. So the links are
    # computed once into a temporary table, then written a batch at a time, each committed. Calls
    # stored meanwhile by the new code link themselves; `flask relink-calls` mends what processes
    # of the old version stored during a rolling upgrade.
    with op.get_context().autocommit_block():
        bind.exec_driver_sql(f"CREATE TEMPORARY TABLE call_links AS {LINKS}")
        bind.exec_driver_sql("CREATE INDEX ON call_links (id)")
        highest = bind.exec_driver_sql("SELECT max(id) FROM call_links").scalar() or 0
        for low in range(0, highest + 1, BATCH):
            bind.execute(sa.text(
                "UPDATE calls SET previous_call_at = l.previous_at, next_call_at = l.next_at FROM call_links l "
                "WHERE calls.id = l.id AND l.id >= :low AND l.id < :high "
                "AND (l.previous_at IS NOT NULL OR l.next_at IS NOT NULL)"), {"low": low, "high": low + BATCH})
        bind.exec_driver_sql("DROP TABLE call_links")


def downgrade():
    op.drop_index("ix_customers_tier_created", table_name="customers")
    op.drop_index("ix_calls_outbound_started", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("next_call_at")
        batch.drop_column("previous_call_at")
