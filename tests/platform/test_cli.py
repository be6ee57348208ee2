"""flask commands: users create, seed-demo, ensure-demo-agent, simulate-call (against a live server)."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from app.devtools import demo_data
from app.devtools.simulator import parse_statuses, sign, voice_params
from app.extensions import db
from app.models import Call, Complaint, FollowUp, PhoneNumber, Survey, User, utcnow
from app.services.calls.recognition import recognize
from app.services.care import summary
from app.services.people import accounts
from app.services.phone_numbers import normalize
from app.settings import settings
from tests.factories import make_customer, make_user
from tests.support.services import free_port


def invoke(runner, *args: str):
    return runner.invoke(args=list(args), catch_exceptions=False)


# users create ------------------------------------------------------------------------------------

def test_users_create_makes_a_user_who_can_log_in(runner, app):
    result = invoke(runner, "users", "create", "lin", "--password", "s3cret-enough", "--role", "supervisor",
                    "--name", "Lin Chen")
    assert result.exit_code == 0, result.output
    assert "Created supervisor 'lin'" in result.output
    with app.app_context():
        user = accounts.authenticate("lin", "s3cret-enough")
        assert user is not None
        assert (user.role, user.display_name, user.reach_kind) == ("supervisor", "Lin Chen", "client")


def test_users_create_refuses_a_taken_username(runner, app):
    with app.app_context():
        make_user("lin")
    result = invoke(runner, "users", "create", "lin", "--password", "s3cret-enough", "--role", "agent")
    assert result.exit_code == 1
    assert "user 'lin' already exists" in result.output


def test_users_create_refuses_a_short_password(runner, app):
    result = invoke(runner, "users", "create", "lin", "--password", "short", "--role", "agent")
    assert result.exit_code == 1
    assert "password: between 8 and 1024 characters" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_users_create_refuses_an_unknown_role(runner):
    result = invoke(runner, "users", "create", "lin", "--password", "s3cret-enough", "--role", "boss")
    assert result.exit_code == 2
    assert "'boss' is not one of 'agent', 'supervisor', 'admin'" in result.output


def test_users_create_stores_a_phone_reach_address_in_e164(runner, app):
    result = invoke(runner, "users", "create", "lin", "--password", "s3cret-enough", "--reach-kind", "phone",
                    "--reach-address", "(415) 555-0177")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User.reach_address).where(User.username == "lin")) == "+14155550177"


def test_users_create_refuses_an_unreadable_phone_reach_address(runner):
    result = invoke(runner, "users", "create", "lin", "--password", "s3cret-enough", "--reach-kind", "phone",
                    "--reach-address", "not a number")
    assert result.exit_code == 2
    assert "'not a number' is not a valid phone number" in result.output


def test_every_documented_command_is_registered(app):
    commands = app.cli.commands
    assert {"users", "seed-demo", "ensure-demo-agent", "simulate-call", "import-customers",
            "export-customers"} <= set(commands)
    assert {"create", "list"} <= set(commands["users"].commands)


# seed-demo ---------------------------------------------------------------------------------------

def test_seed_demo_puts_alice_on_the_walkthrough_number(runner, app):
    result = invoke(runner, "seed-demo")
    assert result.exit_code == 0, result.output
    assert f"Seeded {demo_data.DEFAULT_CUSTOMERS} demo customers" in result.output
    with app.app_context():
        recognition = recognize("+14155550100", "US")
        assert recognition.match_kind == "single"
        alice = recognition.customer
        assert (alice.name, alice.tier) == ("Alice Wong", "vip")
        assert ("milk", "high-calcium") in [(p.key, p.value) for p in alice.preferences]
        assert [(c.subject, c.overdue) for c in alice.open_complaints] == [("Damaged parcel", True)]


def test_seed_demo_shares_numbers_between_a_household_and_a_switchboard(runner, app):
    invoke(runner, "seed-demo")
    with app.app_context():
        household = recognize(demo_data.HOUSEHOLD_NUMBER, "US")
        assert household.match_kind == "multiple"
        assert sorted(c.name for c in household.customers) == ["Mei Huang", "Wei Huang"]
        switchboard = recognize(demo_data.SWITCHBOARD_NUMBER, "US")
        assert switchboard.match_kind == "multiple"
        assert len(switchboard.customers) == 3


def test_seed_demo_tells_the_service_loop_stories(runner, app):
    invoke(runner, "seed-demo")
    invoke(runner, "ensure-demo-agent")
    with app.app_context():
        agent = db.session.scalar(select(User).where(User.username == "agent"))
        cards = {}
        for number in (demo_data.ALICE_NUMBER, demo_data.DETRACTOR_NUMBER, demo_data.ADVOCATE_NUMBER,
                       demo_data.LOYAL_NUMBER):
            customer = recognize(number, "US").customer
            cards[customer.name] = summary.of(customer, settings().care, utcnow())
        assert {name: card["stage"] for name, card in cards.items()} == {
            "Alice Wong": "at_risk", "Kenji Tanaka": "at_risk", "Priya Natarajan": "advocate", "Mei Huang": "loyal"}
        assert [f["kind"] for f in cards["Alice Wong"]["flags"]] == ["overdue_promise", "overdue_complaint"]
        assert [f["kind"] for f in cards["Kenji Tanaka"]["flags"]] == ["awaiting_recovery", "overdue_follow_up"]
        # ensure-demo-agent gives the demo's follow-ups to the demo agent: "My follow-ups" is not empty.
        assert [(f["reason"], f["owner"]["id"]) for f in cards["Kenji Tanaka"]["follow_ups"]] == [
            ("detractor", agent.id)]
        assert cards["Priya Natarajan"]["last_survey"]["score"] == 10
    replaced = invoke(runner, "seed-demo", "--replace")
    assert replaced.exit_code == 0, replaced.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Call).where(
            Call.call_sid.like(f"{demo_data.DEMO_CALL_PREFIX}%"))) == 8


def test_seed_demo_links_each_call_to_its_callers_previous_and_next_one(runner, app):
    """The month of traffic is bulk-inserted: the repeat-call figures still find each caller's calls."""
    from app.services.calls import neighbours

    invoke(runner, "seed-demo")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Call).where(Call.previous_call_at.is_not(None))) > 100
        db.session.remove()
        assert neighbours.relink_all(db.engine) == 0  # nothing left to correct


def test_seed_demo_stores_only_valid_e164_numbers(runner, app):
    result = invoke(runner, "seed-demo", "--customers", "300")
    assert result.exit_code == 0, result.output
    with app.app_context():
        numbers = db.session.scalars(select(PhoneNumber.e164)).all()
        assert len(numbers) >= 300
        assert [n for n in numbers if normalize(n) != n] == []


def test_seed_demo_has_open_overdue_in_progress_and_resolved_complaints(runner, app):
    invoke(runner, "seed-demo")
    with app.app_context():
        complaints = db.session.scalars(select(Complaint)).all()
        assert {c.status for c in complaints} == {"open", "in-progress", "resolved"}
        assert any(c.overdue for c in complaints)
        assert all(c.resolved_at is not None for c in complaints if c.status == "resolved")


def test_seed_demo_if_empty_seeds_once(runner, app):
    first = invoke(runner, "seed-demo", "--if-empty")
    second = invoke(runner, "seed-demo", "--if-empty")
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert "demo data not seeded" in second.output
    with app.app_context():
        assert demo_data.customer_count() == demo_data.DEFAULT_CUSTOMERS


def test_seed_demo_if_empty_leaves_a_real_customer_base_alone(runner, app):
    with app.app_context():
        make_customer("Real Customer", phones=("+14155550177",))
    result = invoke(runner, "seed-demo", "--if-empty")
    assert result.exit_code == 0
    with app.app_context():
        assert demo_data.customer_count() == 1


def test_seed_demo_refuses_a_second_copy_unless_replacing(runner, app):
    invoke(runner, "seed-demo", "--customers", "12")
    again = invoke(runner, "seed-demo", "--customers", "12")
    assert again.exit_code == 1
    assert "already holds 12 demo customers" in again.output
    replaced = invoke(runner, "seed-demo", "--customers", "20", "--replace")
    assert replaced.exit_code == 0, replaced.output
    with app.app_context():
        assert demo_data.customer_count() == 20
        assert recognize("+14155550100", "US").match_kind == "single"


def test_seed_demo_is_the_same_on_every_run():
    assert demo_data.demo_customers(200, seed=7) == demo_data.demo_customers(200, seed=7)
    assert demo_data.demo_customers(200, seed=7) != demo_data.demo_customers(200, seed=8)


# ensure-demo-agent -------------------------------------------------------------------------------

def test_ensure_demo_agent_creates_the_agent_once_and_prints_the_same_login(runner, app, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    first = invoke(runner, "ensure-demo-agent")
    second = invoke(runner, "ensure-demo-agent")
    assert (first.exit_code, second.exit_code) == (0, 0)
    password = Path(tmp_path, "demo_agent_password").read_text().strip()
    assert f"username agent  password {password}" in first.output
    assert f"username agent  password {password}" in second.output
    with app.app_context():
        agent = accounts.authenticate("agent", password)
        assert (agent.role, agent.display_name) == ("agent", "Demo Agent")
        assert db.session.scalar(select(func.count()).select_from(User).where(User.username == "agent")) == 1


# simulate-call -----------------------------------------------------------------------------------

def test_simulated_call_is_recorded_and_walks_through_its_statuses(runner, live_server):
    with live_server.app.app_context():
        alice_id = make_customer("Alice Wong", phones=("+14155550100",)).id
    result = invoke(runner, "simulate-call", "--from", "+14155550100", "--base-url", live_server.base_url,
                    "--then", "in-progress,completed", "--delay", "0")
    assert result.exit_code == 0, result.output
    assert result.output.count("-> 200") == 3
    with live_server.app.app_context():
        call = db.session.scalar(select(Call))
        assert call.call_sid in result.output
        assert (call.match_kind, call.customer_id, call.status) == ("single", alice_id, "completed")
        assert call.status_sequence == 1
        assert call.answered_at is not None and call.ended_at is not None
        assert call.duration is not None


def test_simulated_call_put_in_line_hears_its_place_and_may_ask_for_a_callback(runner, live_server):
    from app.models import AgentPresence, FollowUp, utcnow

    with live_server.app.app_context():
        ann = make_user("ann", status="away")  # signed in, away: nobody offerable, the caller waits
        db.session.add(AgentPresence(sid="s-ann", user_id=ann.id, connected_at=utcnow(), last_seen_at=utcnow()))
        db.session.commit()
    result = invoke(runner, "simulate-call", "--from", "+14155550100", "--base-url", live_server.base_url,
                    "--callback", "--delay", "0")
    assert result.exit_code == 0, result.output
    assert "<Enqueue" in result.output and "number 1 in line" in result.output
    assert "call you back" in result.output
    with live_server.app.app_context():
        call = db.session.scalar(select(Call))
        assert (call.queue_state, call.status) == ("callback", "completed")
        assert db.session.scalar(select(FollowUp.reason).where(FollowUp.call_id == call.id)) == "callback_requested"


def test_simulated_call_from_a_shared_number_offers_every_candidate(runner, live_server):
    with live_server.app.app_context():
        make_customer("Wei Huang", phones=("+14155550111",))
        make_customer("Mei Huang", phones=("+14155550111",))
    result = invoke(runner, "simulate-call", "--from", "(415) 555-0111", "--base-url", live_server.base_url,
                    "--call-sid", "CA" + "1" * 32)
    assert result.exit_code == 0, result.output
    with live_server.app.app_context():
        call = db.session.scalar(select(Call).where(Call.call_sid == "CA" + "1" * 32))
        assert (call.match_kind, call.from_e164, call.status) == ("multiple", "+14155550111", "ringing")


@pytest.mark.app_config(TWILIO_ACCOUNT_SID="AC" + "7" * 32)
def test_simulated_call_uses_the_configured_account_sid(runner, live_server):
    result = invoke(runner, "simulate-call", "--from", "+14155550100", "--base-url", live_server.base_url)
    assert result.exit_code == 0, result.output
    with live_server.app.app_context():
        assert db.session.scalar(select(Call.account_sid)) == "AC" + "7" * 32


def test_simulated_call_signed_with_another_token_is_refused_and_says_why(live_server, app_with):
    other = app_with(TWILIO_AUTH_TOKEN="not-the-server-token")
    result = invoke(other.test_cli_runner(), "simulate-call", "--from", "+14155550100",
                    "--base-url", live_server.base_url)
    assert result.exit_code == 1
    assert "answered 403" in result.output
    assert "same TWILIO_AUTH_TOKEN" in result.output
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Call)) == 0


def test_simulated_call_without_a_server_tells_how_to_start_one(runner):
    result = invoke(runner, "simulate-call", "--from", "+14155550100",
                    "--base-url", f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 1
    assert "is the server running? start it with make run" in result.output


def test_simulated_call_with_a_survey_plays_the_whole_call_and_stores_the_score(runner, live_server):
    with live_server.app.app_context():
        alice_id = make_customer("Alice Wong", phones=("+14155550100",)).id
        ann_id = make_user("ann", display_name="Ann Lee").id
    result = invoke(runner, "simulate-call", "--from", "+14155550100", "--base-url", live_server.base_url,
                    "--agent", "ann", "--survey", "3", "--delay", "0")
    assert result.exit_code == 0, result.output
    assert "/twilio/dial-result" in result.output and "<Gather" in result.output
    assert "/twilio/survey?attempt=1" in result.output and "Thank you for your answer" in result.output
    with live_server.app.app_context():
        call = db.session.scalar(select(Call))
        survey = db.session.scalar(select(Survey))
        follow_up = db.session.scalar(select(FollowUp))
        assert (call.status, call.agent_id, call.customer_id) == ("completed", ann_id, alice_id)
        assert (survey.call_id, survey.score, survey.status, survey.agent_id) == (call.id, 3, "answered", ann_id)
        assert (follow_up.reason, follow_up.owner_id, follow_up.customer_id) == ("detractor", ann_id, alice_id)


def test_simulated_survey_with_nonsense_is_asked_twice_then_ends_politely(runner, live_server):
    with live_server.app.app_context():
        make_customer("Alice Wong", phones=("+14155550100",))
    result = invoke(runner, "simulate-call", "--from", "+14155550100", "--base-url", live_server.base_url,
                    "--survey", "#", "--delay", "0")
    assert result.exit_code == 0, result.output
    assert "/twilio/survey?attempt=1" in result.output and "/twilio/survey?attempt=2" in result.output
    assert "Thank you for calling. Goodbye." in result.output
    with live_server.app.app_context():
        survey = db.session.scalar(select(Survey))
        assert (survey.score, survey.status) == (None, "expired")


@pytest.mark.app_config(SURVEY_MODE="off")
def test_simulated_survey_says_when_nobody_asked(runner, live_server):
    result = invoke(runner, "simulate-call", "--from", "+14155550100", "--base-url", live_server.base_url,
                    "--survey", "9", "--delay", "0")
    assert result.exit_code == 0, result.output
    assert "No survey was asked" in result.output
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Survey)) == 0


def test_simulate_call_refuses_an_unknown_agent(runner):
    result = invoke(runner, "simulate-call", "--from", "+14155550100", "--agent", "nobody", "--survey", "9")
    assert result.exit_code == 2
    assert "no user 'nobody'" in result.output


def test_simulate_call_refuses_an_unknown_status(runner):
    result = invoke(runner, "simulate-call", "--from", "+14155550100", "--then", "in-progress,hung-up")
    assert result.exit_code == 2
    assert "unknown call status hung-up" in result.output


# the simulator's forms ---------------------------------------------------------------------------

def test_voice_form_carries_blank_fields_and_validates_as_twilio_signed_it():
    params = voice_params(from_="+34612345678")
    assert params["CallerName"] == "" and params["FromCity"] == ""
    assert params["FromCountry"] == "ES" and params["CallSid"].startswith("CA") and len(params["CallSid"]) == 34
    url = "https://cc.example.com/twilio/voice"
    assert RequestValidator("token").validate(url, params, sign("token", url, params))


@pytest.mark.parametrize("text, expected", [("", []), ("in-progress, completed", ["in-progress", "completed"])])
def test_status_list_is_read_from_commas(text, expected):
    assert parse_statuses(text) == expected
