"""Drop the customer-name indexes 0002 made on PostgreSQL: searches read customers.name_search
(0010) now, and two unused indexes only slow every import and edit

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_customers_name_lower")
        op.execute("DROP INDEX IF EXISTS ix_customers_name_trgm")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX IF NOT EXISTS ix_customers_name_trgm ON customers USING gin (name gin_trgm_ops)")
        op.execute("CREATE INDEX IF NOT EXISTS ix_customers_name_lower ON customers (lower(name) varchar_pattern_ops)")
