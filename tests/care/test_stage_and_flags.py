"""Where the caller stands and what to know before saying hello (SPEC §10): the pop's `stage` and
`flags`, read from a history written at exact times through the models; and a pop that costs the
same number of statements however long that history is."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, insert

from app.extensions import db
from app.models import Call, FollowUp, Promise, Survey, utcnow
from tests.factories import make_call, make_complaint, make_customer, make_token, make_user
from tests.support.api import assert_error, bearer
from tests.support.provider import new_call_sid

NUMBER = "+14155550100"


@pytest.fixture
def ann(api_as):
    return api_as("agent", display_name="Ann Lee")


@pytest.fixture
def alice(app_ctx):
    return make_customer("Alice Wong", phones=(NUMBER,))


def earlier_call(customer, *, ago: timedelta, answered: bool = True, agent=None) -> Call:
    at = utcnow() - ago
    return make_call(new_call_sid(), customer, agent, status="completed", started_at=at,
                     connected_at=at if answered else None, ended_at=at + timedelta(minutes=3))


def scored(customer, score: int, *, ago: timedelta, agent=None) -> Survey:
    call = earlier_call(customer, ago=ago, agent=agent)
    survey = Survey(call=call, customer_id=customer.id, agent_id=agent.id if agent else None, channel="ivr",
                    status="answered", score=score, created_at=call.started_at, sent_at=call.started_at,
                    answered_at=call.started_at + timedelta(minutes=4))
    db.session.add(survey)
    db.session.commit()
    return survey


def pop_card(provider, reader, from_: str = NUMBER) -> dict:
    """The customer card of a fresh call's pop, as the API gives it (`GET /api/v1/calls/<sid>`)."""
    call_sid, response = provider.call(from_=from_)
    assert response.status_code == 200
    shown = reader.get(f"/api/v1/calls/{call_sid}")
    assert shown.status_code == 200, shown.get_data(as_text=True)
    assert shown.json["pop"]["match"] == "single"
    return shown.json["pop"]["customer"]


def kinds(card: dict) -> list[str]:
    return [flag["kind"] for flag in card["flags"]]


def day(at: datetime) -> str:
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    return f"{at.day} {months[at.month - 1]}" + ("" if at.year == utcnow().year else f" {at.year}")


# --- the ladder ---------------------------------------------------------------------------------

def test_a_first_time_caller_is_new_and_says_so(provider, ann, alice):
    card = pop_card(provider, ann)
    assert card["stage"] == "new"
    assert card["flags"] == [{"kind": "first_call", "text": "First call", "level": "info"}]
    assert card["last_survey"] is None


def test_a_caller_with_an_earlier_call_is_a_customer(provider, ann, alice):
    earlier_call(alice, ago=timedelta(days=10), answered=False)
    card = pop_card(provider, ann)
    assert (card["stage"], card["flags"]) == ("customer", [])


def another(n: int):
    """The nth of a set of customers, each with a number of their own."""
    number = f"+1415555{600 + n:04d}"
    return make_customer(f"Customer {n}", phones=(number,)), number


def test_loyal_takes_enough_answered_calls_spread_over_enough_days(provider, ann):
    for n, (days_apart, calls, stage) in enumerate([(40, 3, "loyal"), (30, 3, "loyal"), (10, 3, "customer"),
                                                    (40, 2, "customer")]):
        customer, number = another(n)
        first = days_apart + 2
        for i in range(calls):
            earlier_call(customer, ago=timedelta(days=first - (days_apart * i / (calls - 1))))
        earlier_call(customer, ago=timedelta(days=60), answered=False)  # not answered: does not count
        assert pop_card(provider, ann, from_=number)["stage"] == stage, (days_apart, calls)


def test_calls_nobody_answered_do_not_make_a_caller_loyal(provider, ann, alice):
    for ago in (50, 30, 10):
        earlier_call(alice, ago=timedelta(days=ago), answered=False)
    assert pop_card(provider, ann)["stage"] == "customer"


def test_a_promoter_within_a_year_is_an_advocate(provider, ann):
    for n, (score, days_ago, stage) in enumerate([(9, 20, "advocate"), (10, 300, "advocate"),
                                                  (10, 400, "customer"), (8, 5, "customer")]):
        customer, number = another(n)
        scored(customer, score, ago=timedelta(days=days_ago))
        card = pop_card(provider, ann, from_=number)
        assert card["stage"] == stage, (score, days_ago)
        assert card["last_survey"]["score"] == score


def test_a_detractor_nobody_called_back_is_at_risk_until_a_follow_up_is_done(provider, ann, alice):
    survey = scored(alice, 3, ago=timedelta(days=4), agent=ann.user)
    follow_up = FollowUp(customer_id=alice.id, call_id=survey.call_id, reason="detractor", owner_id=ann.user.id,
                         due_at=survey.answered_at + timedelta(hours=24), status="open",
                         created_at=survey.answered_at)
    db.session.add(follow_up)
    db.session.commit()
    card = pop_card(provider, ann)
    assert card["stage"] == "at_risk"
    assert card["last_survey"] == {"score": 3, "at": survey.answered_at.replace(microsecond=0).isoformat() + "Z"}
    awaiting = [f for f in card["flags"] if f["kind"] == "awaiting_recovery"]
    assert awaiting == [{"kind": "awaiting_recovery", "level": "alert",
                         "text": f"Scored us 3/10 on {day(survey.answered_at)} — nobody has called back"}]
    assert [f["id"] for f in card["follow_ups"]] == [follow_up.id]

    done = ann.patch(f"/api/v1/follow-ups/{follow_up.id}", json={"status": "done", "outcome": "Apologised, refunded"})
    assert done.status_code == 200
    card = pop_card(provider, ann)
    assert card["stage"] != "at_risk"
    assert "awaiting_recovery" not in kinds(card)
    assert card["follow_ups"] == []


def test_a_follow_up_done_before_the_low_score_does_not_recover_it(provider, ann, alice):
    earlier = earlier_call(alice, ago=timedelta(days=20))
    db.session.add(FollowUp(customer_id=alice.id, call_id=earlier.id, reason="manual", owner_id=ann.user.id,
                            due_at=earlier.started_at, status="done", outcome="called",
                            created_at=earlier.started_at, done_at=earlier.started_at + timedelta(hours=1)))
    db.session.commit()
    scored(alice, 5, ago=timedelta(days=2))
    card = pop_card(provider, ann)
    assert card["stage"] == "at_risk" and "awaiting_recovery" in kinds(card)


def test_a_low_score_older_than_90_days_is_no_longer_a_risk(provider, ann, alice):
    scored(alice, 2, ago=timedelta(days=95))
    card = pop_card(provider, ann)
    assert card["stage"] == "customer" and "awaiting_recovery" not in kinds(card)


def test_the_latest_score_is_the_one_that_counts(provider, ann, alice):
    scored(alice, 2, ago=timedelta(days=30))
    scored(alice, 10, ago=timedelta(days=3))
    card = pop_card(provider, ann)
    assert (card["stage"], card["last_survey"]["score"]) == ("advocate", 10)


def test_an_overdue_complaint_puts_the_caller_at_risk_and_is_flagged(provider, ann, alice):
    scored(alice, 10, ago=timedelta(days=3))  # at risk comes first, whatever they said
    due = utcnow() - timedelta(days=2)
    make_complaint(alice, "Broken kettle", due_at=due, opened_at=utcnow() - timedelta(days=9))
    card = pop_card(provider, ann)
    assert card["stage"] == "at_risk"
    (flag,) = [f for f in card["flags"] if f["kind"] == "overdue_complaint"]
    assert "Broken kettle" in flag["text"] and "overdue" in flag["text"] and day(due) in flag["text"]


def test_a_complaint_not_yet_due_is_no_risk(provider, ann, alice):
    make_complaint(alice, "Broken kettle", due_at=utcnow() + timedelta(days=2))
    assert pop_card(provider, ann)["stage"] == "new"


# --- flags --------------------------------------------------------------------------------------

def test_a_repeat_caller_is_told_which_call_this_is(provider, ann):
    for n, (hours_ago, text) in enumerate([((2, 5), "3rd call in 24 h"), ((20,), "2nd call in 24 h"),
                                           ((30,), None)]):
        customer, number = another(n)
        for hours in hours_ago:
            earlier_call(customer, ago=timedelta(hours=hours), answered=False)
        card = pop_card(provider, ann, from_=number)
        repeat = [f for f in card["flags"] if f["kind"] == "repeat_caller"]
        assert repeat == ([{"kind": "repeat_caller", "text": text, "level": "warn"}] if text else []), hours_ago
        assert "first_call" not in kinds(card)


def test_our_callback_is_not_a_repeat_call(provider, ann, alice):
    """We called Alice back an hour ago (SPEC §12): her call now is not her second in 24 h."""
    callback = earlier_call(alice, ago=timedelta(hours=1))
    callback.direction = "outbound"
    db.session.commit()
    assert "repeat_caller" not in kinds(pop_card(provider, ann))


@pytest.mark.app_config(REPEAT_CALL_HOURS=48)
def test_repeat_call_hours_is_read_from_the_settings(provider, ann, alice):
    earlier_call(alice, ago=timedelta(hours=30), answered=False)
    assert [f["text"] for f in pop_card(provider, ann)["flags"]] == ["2nd call in 48 h"]


def test_an_overdue_promise_names_the_promise_and_says_it_is_overdue(provider, ann, alice):
    due = utcnow() - timedelta(days=1)
    db.session.add_all([
        Promise(customer_id=alice.id, text="Refund the delivery fee", due_at=due, status="open",
                made_by_id=ann.user.id, made_at=due - timedelta(days=3)),
        Promise(customer_id=alice.id, text="Send a new kettle", due_at=utcnow() + timedelta(days=3), status="open",
                made_by_id=ann.user.id, made_at=due),
        Promise(customer_id=alice.id, text="Kept already", due_at=due, status="kept", made_by_id=ann.user.id,
                made_at=due - timedelta(days=3), closed_at=due),
    ])
    db.session.commit()
    card = pop_card(provider, ann)
    (flag,) = [f for f in card["flags"] if f["kind"] == "overdue_promise"]
    assert "Refund the delivery fee" in flag["text"] and "overdue" in flag["text"] and day(due) in flag["text"]
    assert flag["level"] == "alert"
    assert [(p["text"], p["overdue"]) for p in card["promises"]] == [("Refund the delivery fee", True),
                                                                     ("Send a new kettle", False)]


def test_flags_come_most_urgent_first(provider, ann, alice):
    earlier_call(alice, ago=timedelta(hours=3), answered=False)
    scored(alice, 4, ago=timedelta(hours=2))
    make_complaint(alice, "Broken kettle", due_at=utcnow() - timedelta(days=1))
    db.session.add(Promise(customer_id=alice.id, text="Refund", due_at=utcnow() - timedelta(hours=1), status="open",
                           made_by_id=ann.user.id, made_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    card = pop_card(provider, ann)
    assert kinds(card) == ["overdue_promise", "awaiting_recovery", "overdue_complaint", "repeat_caller"]
    levels = [flag["level"] for flag in card["flags"]]
    assert levels == sorted(levels, key=["alert", "warn", "info"].index)
    assert card["flags"][-1]["text"] == "3rd call in 24 h"


def test_the_live_pop_carries_stage_and_flags(live_server, socket_factory, api_as):
    ann = api_as("agent", base_url=live_server.base_url)
    alice = make_customer("Alice Wong", phones=(NUMBER,))
    scored(alice, 3, ago=timedelta(hours=3))
    desktop = socket_factory(token=ann.token)
    call_sid, _ = live_server.provider.call(from_=NUMBER)
    pop = desktop.wait_for("screen_pop", lambda p: p["call_sid"] == call_sid)
    assert pop["customer"]["stage"] == "at_risk"
    assert kinds(pop["customer"]) == ["awaiting_recovery", "repeat_caller"]


# --- the customer's own shape -------------------------------------------------------------------

def test_the_customer_shows_do_not_survey_stage_and_last_survey(ann, alice):
    survey = scored(alice, 9, ago=timedelta(days=2))
    shown = ann.get(f"/api/v1/customers/{alice.id}").json
    assert (shown["do_not_survey"], shown["stage"]) == (False, "advocate")
    assert shown["last_survey"] == {"score": 9, "at": survey.answered_at.replace(microsecond=0).isoformat() + "Z"}


def test_do_not_survey_is_set_by_patch_with_the_version(ann, alice):
    version = ann.get(f"/api/v1/customers/{alice.id}").json["version"]
    changed = ann.patch(f"/api/v1/customers/{alice.id}", json={"do_not_survey": True, "version": version})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert (changed.json["do_not_survey"], changed.json["version"]) == (True, version + 1)
    assert_error(ann.patch(f"/api/v1/customers/{alice.id}", json={"do_not_survey": False, "version": version}),
                 409, "conflict")
    assert_error(ann.patch(f"/api/v1/customers/{alice.id}", json={"do_not_survey": "maybe"}), 422,
                 field="do_not_survey")
    db.session.rollback()
    db.session.refresh(alice)
    assert alice.do_not_survey is True


# --- a pop costs the same however long the history ----------------------------------------------

def many_earlier_calls(customer, agent, count: int) -> None:
    """`count` answered calls over the past 200 days, two of them within the last day, in one insert."""
    now = utcnow()
    rows = []
    for n in range(count):
        at = now - timedelta(hours=5 + n) if n < 2 else now - timedelta(days=2) - timedelta(days=198 * n / count)
        rows.append({"call_sid": new_call_sid(), "from_raw": NUMBER, "from_e164": NUMBER, "to_raw": "+18005550199",
                     "to_e164": "+18005550199", "match_kind": "single", "customer_id": customer.id,
                     "agent_id": agent.id, "status": "completed", "started_at": at, "connected_at": at,
                     "ended_at": at + timedelta(minutes=4), "news_at": at})
    db.session.execute(insert(Call), rows)
    db.session.commit()


def statements_during(app, action) -> int:
    """Statements this thread sends while `action` runs (the test client serves the webhook on it;
    the background sweeps, on their own threads, are not counted)."""
    counted = []
    me = threading.get_ident()

    def count(*_args):
        if threading.get_ident() == me:
            counted.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(counted)


def test_a_pop_takes_as_many_statements_for_1000_earlier_calls_as_for_one(app, client, provider):
    # No app context is held here: each webhook gets its own, with a fresh session, as in production.
    with app.app_context():
        agent = make_user("ann")
        token = make_token(agent)
        short = make_customer("Sam Short", phones=("+14155550111",))
        long = make_customer("Lee Long", phones=("+14155550122",))
        for customer in (short, long):  # alike but for the length of their history
            db.session.add(Promise(customer_id=customer.id, text="Call back", due_at=utcnow() + timedelta(days=1),
                                   status="open", made_by_id=agent.id, made_at=utcnow()))
        db.session.commit()
        earlier_call(short, ago=timedelta(days=3), agent=agent)
        many_earlier_calls(long, agent, 1000)
    provider.call(from_="+14155550199")  # a first call warms what every call shares

    few = statements_during(app, lambda: provider.call(from_="+14155550111"))
    many = statements_during(app, lambda: provider.call(from_="+14155550122"))
    assert few == many, (few, many)
    # The customer with their history (one statement), the call, their promises, the agents online.
    assert few >= 4, (few, many)

    call_sid, _ = provider.call(from_="+14155550122")
    card = client.get(f"/api/v1/calls/{call_sid}", headers=bearer(token)).json["pop"]["customer"]
    assert card["stage"] == "loyal"
    assert [p["text"] for p in card["promises"]] == ["Call back"]
    # This call, the one measured before it and two of the day before: the 4th within 24 h.
    assert [f["text"] for f in card["flags"] if f["kind"] == "repeat_caller"] == ["4th call in 24 h"]


def test_the_call_popping_is_not_counted_in_its_own_history_once_answered(provider, ann, alice):
    for days_ago in (45, 5):
        earlier_call(alice, ago=timedelta(days=days_ago))
    call_sid, _ = provider.call(from_=NUMBER)
    assert ann.get(f"/api/v1/calls/{call_sid}").json["pop"]["customer"]["stage"] == "customer"
    answered = provider.post(f"/twilio/status?agent={ann.user.id}",
                             {"CallSid": new_call_sid(), "ParentCallSid": call_sid, "CallStatus": "in-progress",
                              "AccountSid": "AC" + "0" * 32})
    assert answered.status_code == 200
    # The same call's pop, once an agent took it: still two answered calls before it, not three.
    assert ann.get(f"/api/v1/calls/{call_sid}").json["pop"]["customer"]["stage"] == "customer"
    # A later call sees three, spread over 45 days.
    assert pop_card(provider, ann)["stage"] == "loyal"


def test_the_customer_shape_counts_their_latest_call_as_this_one(app, client, provider):
    # Fresh sessions per request, as in production (no app context held by the test).
    with app.app_context():
        token = make_token(make_user("ann"))
        once = make_customer("Una Once", phones=("+14155550111",)).id
        thrice = make_customer("Tre Thrice", phones=("+14155550122",))
        for hours in (5, 3):
            earlier_call(thrice, ago=timedelta(hours=hours), answered=False)
        thrice = thrice.id
    provider.call(from_="+14155550111")
    provider.call(from_="+14155550122")

    def flags(customer_id):
        shown = client.get(f"/api/v1/customers/{customer_id}", headers=bearer(token))
        assert shown.status_code == 200, shown.get_data(as_text=True)
        return [f["text"] for f in shown.json["flags"] if f["kind"] == "repeat_caller"]

    assert flags(once) == []  # one call: not a repeat, whatever the page
    assert flags(thrice) == ["3rd call in 24 h"]  # as their pop said


def test_a_merge_answers_the_kept_customer_as_their_page_sees_them_not_as_a_live_call_does(api_as, provider):
    supervisor = api_as("supervisor")
    kept = make_customer("Alice Wong", phones=(NUMBER,))
    earlier_call(kept, ago=timedelta(days=3))
    duplicate = make_customer("A. Wong", phones=("+14155550199",))
    provider.call(from_="+14155550199")  # live: its pop is built again, as the kept customer, by the merge
    merged = supervisor.post(f"/api/v1/customers/{kept.id}/merge", json={"duplicate_id": duplicate.id})
    assert merged.status_code == 200, merged.get_data(as_text=True)
    page = supervisor.get(f"/api/v1/customers/{kept.id}").json
    assert (merged.json["stage"], merged.json["flags"]) == (page["stage"], page["flags"])
    assert "First call" not in [f["text"] for f in merged.json["flags"]]
