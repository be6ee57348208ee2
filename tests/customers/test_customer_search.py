"""The one search box (SPEC §6 `q`): names without accents or case, parts of numbers in any format,
and a clear 422 for what it cannot search. Timing at 1,000,000 customers: scripts/bench_search.py."""
from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from app.devtools import demo_data
from app.extensions import db
from app.models import Customer
from app.services.customers import importing as customer_import
from app.services.customers import records as customers
from app.services.customers import search_box
from tests.factories import make_customer
from tests.support.api import assert_error
from tests.support.fixtures import _clear_test_app, _create_test_app


def found(api, q: str) -> list[str]:
    response = api.get("/api/v1/customers", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(c["name"] for c in response.json["items"])


def names(q: str, region: str = "US") -> list[str]:
    """The same search through the service, as the pages and the CLI call it."""
    return sorted(c.name for c in customers.search(region=region, q=q, per_page=100).items)


# --- names ---------------------------------------------------------------------------------------

def test_a_name_is_found_without_its_accents_in_any_case_and_word_order(api_as):
    agent = api_as("agent")
    make_customer("María García", phones=())
    make_customer("Søren Łukasz Kierkegaard", phones=())
    make_customer("Maria Lopez", phones=())
    make_customer("Seán O’Brien", phones=())
    for q in ("maria garcia", "MARÍA GARCÍA", "garcia maria", "GARCÍA", "arcí", "  maría   garcía "):
        assert found(agent, q) == ["María García"], q
    assert found(agent, "soren lukasz") == ["Søren Łukasz Kierkegaard"]
    assert found(agent, "maria") == ["Maria Lopez", "María García"]
    assert found(agent, "maria kierkegaard") == []
    assert found(agent, "sean obrien") == found(agent, "o'brien") == ["Seán O’Brien"]


def test_short_words_match_the_start_of_a_word_or_of_the_name(app_ctx):
    make_customer("María García", phones=())
    make_customer("Olga Petrova", phones=())
    make_customer("Gabriel Ortiz", phones=())
    assert names("garcia m") == ["María García"]
    assert names("petrova o") == ["Olga Petrova"]
    assert names("petrova ga") == []  # "ga" is inside Olga, not at the start of a word
    assert names("GA") == ["Gabriel Ortiz"]  # only short words: the start of the name
    assert names("ma") == ["María García"]


def test_a_created_or_renamed_customer_is_found_by_the_new_name_only(api_as):
    agent = api_as("agent")
    created = agent.post("/api/v1/customers", json={"name": "José Núñez"}).json
    assert found(agent, "jose nunez") == ["José Núñez"]
    renamed = agent.patch(f"/api/v1/customers/{created['id']}", json={"name": "Zoë Ångström"})
    assert renamed.status_code == 200, renamed.get_data(as_text=True)
    assert found(agent, "zoe angstrom") == ["Zoë Ångström"]
    assert found(agent, "nunez") == []


def test_imported_and_reimported_names_are_found_without_accents(app_ctx):
    customer_import.import_customers("name,external_id\nJosé Núñez,J-1\nFrançois Lefèvre,J-2\n".encode(),
                                     region="US")
    assert names("jose nunez") == ["José Núñez"]
    assert names("lefevre") == ["François Lefèvre"]
    customer_import.import_customers("name,external_id\nÉmilie Dubé,J-1\n".encode(), region="US")  # an update
    assert names("emilie dube") == ["Émilie Dubé"]
    assert names("nunez") == []


def test_demo_customers_are_found_without_accents(app_ctx):
    demo_data.seed()
    assert "María García" in names("maria garcia")


def test_a_merge_keeps_the_kept_customers_name_searchable(api_as):
    supervisor = api_as("supervisor")
    kept = make_customer("Renée Müller", phones=("+14155550100",))
    duplicate = make_customer("R Muller", phones=("+14155550101",))
    response = supervisor.post(f"/api/v1/customers/{kept.id}/merge", json={"duplicate_id": duplicate.id})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert found(supervisor, "renee muller") == ["Renée Müller"]
    assert found(supervisor, "555-0101") == ["Renée Müller"]


# --- numbers -------------------------------------------------------------------------------------

def test_part_of_a_number_is_found_however_it_is_written(api_as):
    agent = api_as("agent")
    make_customer("Alice Wong", phones=("+14155550130",))
    make_customer("Bob Stone", phones=("+14155550101",))
    make_customer("Carol Abbott", phones=("+441214155551",))  # holds "1415555", but not at the start
    for q in ("555-0130", "(415) 555-013", "0130", "+1 415-555-013", "555\u20130130", "555 \u2212 0130",
              "\uff15\uff15\uff15-\uff10\uff11\uff13\uff10", "\u0665\u0665\u0665\u0660\u0661\u0663\u0660",
              "+1 (415) 555-0130 ext. 9"):
        assert found(agent, q) == ["Alice Wong"], q
    assert found(agent, "+1 415-555") == ["Alice Wong", "Bob Stone"]  # the start of the number
    assert found(agent, "1415555") == ["Alice Wong", "Bob Stone", "Carol Abbott"]  # anywhere in it
    assert found(agent, "013") == []  # 3 digits are no piece of a number...


def test_a_short_all_digit_query_is_still_an_external_id_not_a_refused_number(api_as):
    agent = api_as("agent")
    make_customer("Alice Wong", phones=("+14155550130",), external_id="013")
    assert found(agent, "013") == ["Alice Wong"]  # ...but they may be an account number
    assert_error(agent.get("/api/v1/customers", query_string={"q": "01-3"}), 422, "invalid", field="q")


def test_a_national_number_with_its_trunk_zero_is_found(app_ctx):
    make_customer("Dev Patel", phones=("+442079460958",))
    assert names("020 7946") == ["Dev Patel"]
    assert names("020 7946 0958", region="GB") == ["Dev Patel"]
    assert names("0044 20 7946") == ["Dev Patel"]


# --- what the box cannot search ------------------------------------------------------------------

@pytest.mark.parametrize("q, says", [
    ("(41", "at least 4"),
    ("+1 4", "at least 4"),
    ("555-", "at least 4"),
    ("abc\x01", "control characters"),
    ("\u0301", "nothing to search for"),
    ("\u200b\u200d", "nothing to search for"),
])
def test_a_query_the_box_cannot_search_is_refused_naming_the_problem(api_as, q, says):
    agent = api_as("agent")
    make_customer("Alice Wong", phones=("+14155550141",))
    error = assert_error(agent.get("/api/v1/customers", query_string={"q": q}), 422, "invalid", field="q")
    assert says in error["message"] and says in " ".join(error["fields"]["q"])


# --- the migration and the indexes ---------------------------------------------------------------

def test_the_migration_fills_the_search_key_of_existing_customers(app_ctx):
    """Migration 0010 on a database that already holds customers (written as the old code did)."""
    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(revision="0010-1")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (name, tier, created_at, updated_at, version) "
                          "VALUES (:name, 'standard', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"),
                     [{"name": "María García"}, {"name": "ÅSA  Öberg"}])
    upgrade()
    db.session.remove()
    keys = db.session.execute(select(Customer.name, Customer.name_search).order_by(Customer.id)).all()
    assert [tuple(row) for row in keys] == [("María García", "maria garcia"), ("ÅSA  Öberg", "asa oberg")]
    assert names("maria garcia") == ["María García"]


@pytest.fixture
def postgresql_app(postgres_database, tmp_path):
    """The app on PostgreSQL, migrated, whichever database this run uses: the indexes are PostgreSQL's."""
    app = _create_test_app("testing", postgres_database, tmp_path)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        db.session.remove()
        yield app
    _clear_test_app(app)


def test_postgresql_serves_name_and_number_searches_from_trigram_indexes(postgresql_app):
    """EXPLAIN with sequential scans priced out: each branch of the search must be index-served."""
    make_customer("María García", phones=("+14155550130",), email="maria@example.com", external_id="CRM-7")
    for q, index in (("maria garcia", "ix_customers_name_search"), ("ga", "ix_customers_name_search_prefix"),
                     ("555-0130", "ix_phone_numbers_e164_trgm"), ("+1 415-555", "ix_phone_numbers_e164_trgm")):
        stmt = select(Customer.id).where(Customer.id.in_(search_box.ids_matching(q, "US")))
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        with db.engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql).scalars())
        assert index in plan, (q, plan)
        assert "Seq Scan on customers" not in plan and "Seq Scan on phone_numbers" not in plan, (q, plan)
