"""customer search indexes: any part of a name, an email in any case

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

`/customers` searches a million customers by a piece of a name, an email, an external id or a
number. Numbers and external ids already have indexes. On PostgreSQL a trigram index serves
"any part of the name" (ILIKE '%wong%') and a lower(name) pattern index serves short prefixes;
both databases get lower(email). These are expression/operator-class indexes that the models do
not describe, so tests/test_migrations.py names them as known extras.
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX IF NOT EXISTS ix_customers_name_trgm ON customers USING gin (name gin_trgm_ops)")
        op.execute("CREATE INDEX IF NOT EXISTS ix_customers_name_lower ON customers (lower(name) varchar_pattern_ops)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_customers_email_lower ON customers (lower(email))")


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_customers_email_lower")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_customers_name_lower")
        op.execute("DROP INDEX IF EXISTS ix_customers_name_trgm")
