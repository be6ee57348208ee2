"""phone numbers: a trigram index, for a search by part of a number ("555-0130")

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

The one search box finds a customer by 4 or more digits of any of their numbers, as
`e164 LIKE '%5550130%'`. On PostgreSQL a trigram index serves it across millions of numbers; it
is an operator-class index the models do not describe, so tests/platform/test_migrations.py
names it as a known extra. SQLite scans, which is fine at its sizes.
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX IF NOT EXISTS ix_phone_numbers_e164_trgm ON phone_numbers USING gin (e164 gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_phone_numbers_e164_trgm")
