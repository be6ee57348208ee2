"""customers.name_search: the search box finds "María García" by "maria garcia" on every database

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

The app keeps `name_search` = the name without accents, case-folded, single-spaced (the model's
`search_key`), so the search needs neither `unaccent` nor the database's Unicode rules and works
alike on SQLite and PostgreSQL. On PostgreSQL a trigram GIN index serves "any part of the name"
(`name_search LIKE '%garcia%'`) and a text_pattern_ops B-tree "the start of the name" (a query of
one or two letters, `LIKE 'al%'`); the model describes both, so SQLite gets plain indexes of the
same names. Existing rows are filled here, in batches, by a frozen copy of `search_key` (a migration
must not change meaning when the app's code does).
"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 10_000

_PLAIN_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "ŀ": "l",
                                "æ": "ae", "œ": "oe", "þ": "th", "'": None, "\u2019": None, "\u2018": None,
                                "\u02bc": None, "\u2010": "-", "\u2011": "-"})


def search_key(text: str) -> str:
    """app.models.customer.search_key as of this revision."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    kept = "".join(ch for ch in folded if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf")
    return " ".join(kept.translate(_PLAIN_LETTERS).split())


def _backfill(bind) -> None:
    customers = sa.table("customers", sa.column("id", sa.Integer), sa.column("name", sa.String),
                         sa.column("name_search", sa.Text))
    postgresql = bind.dialect.name == "postgresql"
    last = 0
    while True:
        rows = bind.execute(sa.select(customers.c.id, customers.c.name)
                            .where(customers.c.id > last).order_by(customers.c.id).limit(BATCH)).all()
        if not rows:
            return
        keyed = [(cid, None if name is None else search_key(name)) for cid, name in rows]
        if postgresql:  # one statement per batch instead of one per row
            bind.execute(sa.text(
                "UPDATE customers AS c SET name_search = v.key "
                "FROM unnest(CAST(:ids AS integer[]), CAST(:keys AS text[])) AS v(id, key) WHERE c.id = v.id"),
                {"ids": [cid for cid, _ in keyed], "keys": [key for _, key in keyed]})
        else:
            bind.execute(sa.update(customers).where(customers.c.id == sa.bindparam("cid"))
                         .values(name_search=sa.bindparam("key")),
                         [{"cid": cid, "key": key} for cid, key in keyed])
        last = rows[-1][0]


def upgrade():
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("name_search", sa.Text(), nullable=True))
    bind = op.get_bind()
    _backfill(bind)
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # After the backfill: one index build is much cheaper than a million index updates.
    op.create_index("ix_customers_name_search", "customers", ["name_search"],
                    postgresql_using="gin", postgresql_ops={"name_search": "gin_trgm_ops"})
    op.create_index("ix_customers_name_search_prefix", "customers", ["name_search"],
                    postgresql_ops={"name_search": "text_pattern_ops"})


def downgrade():
    op.drop_index("ix_customers_name_search_prefix", "customers")
    op.drop_index("ix_customers_name_search", "customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("name_search")
