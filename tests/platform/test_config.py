"""Configuration: production refuses to start without its secrets; development makes its own."""
from __future__ import annotations

import dataclasses

import pytest

from app import create_app
from app.settings import settings
from config import _database_url


def test_production_refuses_to_start_without_secrets(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db", SECRET_KEY=None)


def test_development_generates_secrets_once_and_keeps_them(tmp_path):
    first = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db",
                       SECRET_KEY=None, TWILIO_AUTH_TOKEN=None)
    second = create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db",
                        SECRET_KEY=None, TWILIO_AUTH_TOKEN=None)
    assert first.config["TWILIO_AUTH_TOKEN"] and len(first.config["TWILIO_AUTH_TOKEN"]) >= 32
    assert first.config["TWILIO_AUTH_TOKEN"] == second.config["TWILIO_AUTH_TOKEN"]
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] != first.config["TWILIO_AUTH_TOKEN"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("postgres://u:p@db/kc", "postgresql+psycopg://u:p@db/kc"),
    ("postgresql://u@db/kc", "postgresql+psycopg://u@db/kc"),
    ("postgresql+psycopg://u@db/kc", "postgresql+psycopg://u@db/kc"),
    ("sqlite:////var/kc.db", "sqlite:////var/kc.db"),
    ("", None),
])
def test_database_url_is_routed_to_psycopg3(raw, expected):
    assert _database_url(raw) == expected


def test_unknown_environment_name_is_a_clear_error():
    with pytest.raises(RuntimeError, match="KNOWNCALLER_ENV"):
        create_app("staging")


def test_json_log_lines_carry_the_call_sid():
    import json
    import logging

    from app.logs import JsonFormatter

    record = logging.LogRecord("app.webhooks", logging.ERROR, __file__, 1, "lookup failed", None, None)
    record.call_sid = "CA123"
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["level"], entry["message"], entry["call_sid"]) == ("ERROR", "lookup failed", "CA123")


def test_settings_are_read_once_into_typed_objects_per_domain(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", DIAL_MAX_AGENTS=3,
                     COMPLAINT_SLA_HOURS={"low": 1, "medium": 2, "high": 3, "critical": 4},
                     TWILIO_ACCOUNT_SID="AC" + "3" * 32, SPOOL_DIR=str(tmp_path / "spool"))
    with app.app_context():
        current = settings()
        assert current.routing.dial_max_agents == 3
        assert current.customers.complaint_sla_hours["high"] == 3
        assert current.calls.spool_dir == str(tmp_path / "spool")
        assert current.provider.account.account_sid == "AC" + "3" * 32
        with pytest.raises(dataclasses.FrozenInstanceError):
            current.routing.dial_max_agents = 10
        with pytest.raises(TypeError):
            current.customers.complaint_sla_hours["high"] = 99


@pytest.mark.parametrize(("raw", "expected"), [("80", 0.8), ("80%", 0.8), ("0.8", 0.8), ("1%", 0.01), ("1", 1.0),
                                                ("0.5 %", 0.005), ("100%", 1.0)])
def test_a_target_reads_as_a_fraction_or_a_percentage(monkeypatch, raw, expected):
    from config import _fraction

    monkeypatch.setenv("KC_SOME_TARGET", raw)
    assert _fraction("KC_SOME_TARGET", 0.8) == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["0", "101%", "lots"])
def test_a_target_out_of_range_or_unreadable_is_a_clear_error(monkeypatch, raw):
    from config import _fraction

    monkeypatch.setenv("KC_SOME_TARGET", raw)
    with pytest.raises(RuntimeError, match="KC_SOME_TARGET"):
        _fraction("KC_SOME_TARGET", 0.8)
