"""Every model change ships its migration: upgrading an empty database gives exactly the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.extensions import db

# Search indexes on expressions and operator classes (migrations 0002, 0004) that the models don't describe.
SEARCH_INDEXES = {"ix_customers_email_lower",
                  "ix_phone_numbers_e164_trgm"}


def _modelled(obj, name, type_, reflected, compare_to):
    return not (type_ == "index" and name in SEARCH_INDEXES)


def test_upgrade_of_an_empty_database_matches_the_models(database_url):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.drop_all()  # the fixture database may hold tables from create_all
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _modelled})
            reflected = set(conn.exec_driver_sql(  # expression indexes escape SQLAlchemy's reflection
                "SELECT indexname FROM pg_indexes WHERE tablename IN ('customers', 'phone_numbers')"
                if db.engine.dialect.name == "postgresql"
                else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customers'").scalars())
            expected = SEARCH_INDEXES if db.engine.dialect.name == "postgresql" else {"ix_customers_email_lower"}
            assert expected <= reflected
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()  # leave the schema as the other tests expect it
        db.engine.dispose()


def test_upgrade_to_0015_links_each_callers_existing_calls(database_url):
    """Calls stored before 0015 get their previous and next call from the same caller at once."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(revision="0014")
        rows = [  # sid, customer, number, direction, minute
            ("c1", 1, "+14155550101", "inbound", 0), ("c2", 1, "+14155550102", "inbound", 30),
            ("n1", None, "+14155550199", "inbound", 5), ("n2", None, "+14155550199", "inbound", 50),
            ("w1", None, None, "inbound", 7), ("w2", None, None, "inbound", 8),
            ("o1", 1, "+14155550101", "outbound", 10)]
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO customers (id, name, tier, created_at, updated_at, do_not_survey) "
                                 "VALUES (1, 'Ann', 'standard', '2025-03-10 08:00:00', '2025-03-10 08:00:00', false)")
            for sid, customer_id, number, direction, minute in rows:
                conn.execute(text(
                    "INSERT INTO calls (call_sid, direction, customer_id, from_e164, match_kind, status, status_sequence,"
                    " started_at, news_at, lookup_failed, unsettled, queue_attempts) VALUES (:sid, :direction,"
                    " :customer_id, :number, 'single', 'completed', 0, :at, :at, false, false, 0)"),
                    {"sid": sid, "direction": direction, "customer_id": customer_id, "number": number,
                     "at": f"2025-03-10 09:{minute:02d}:00"})
        upgrade()
        with db.engine.connect() as conn:
            links = {sid: (str(p)[11:16] if p else None, str(n)[11:16] if n else None) for sid, p, n in conn.execute(
                text("SELECT call_sid, previous_call_at, next_call_at FROM calls"))}
        assert links == {"c1": (None, "09:30"), "c2": ("09:00", None), "n1": (None, "09:50"), "n2": ("09:05", None),
                         "w1": (None, None), "w2": (None, None), "o1": (None, None)}
        with db.engine.begin() as conn:  # the database may be shared with the tests that follow
            conn.exec_driver_sql("DELETE FROM calls")
            conn.exec_driver_sql("DELETE FROM customers")
        db.engine.dispose()
