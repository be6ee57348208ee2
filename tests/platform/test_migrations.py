"""Every model change ships its migration: upgrading an empty database gives exactly the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

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
