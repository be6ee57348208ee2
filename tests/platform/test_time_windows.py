"""Time windows are judged at a `now` the caller passes, so each is tested at fixed times."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.extensions import db
from app.models import Call
from app.services.calls import lifecycle
from app.services.calls.screen_pop import customer_card
from app.services.customers import complaints
from app.services.people import accounts
from tests.factories import make_customer, make_user

NOON = datetime(2026, 11, 23, 12, 0, 0)


def test_a_token_works_until_the_moment_it_expires(app_ctx):
    user = make_user("ann")
    plain, _ = accounts.issue_token(user, ttl_hours=2, now=NOON)
    assert accounts.user_for_token(plain, now=NOON + timedelta(hours=1, minutes=59)) == user
    assert accounts.user_for_token(plain, now=NOON + timedelta(hours=2)) is None


def test_a_complaint_is_due_after_its_severitys_hours_from_when_it_was_opened(app_ctx):
    customer = make_customer()
    complaint = complaints.open_complaint(customer.id, "Damaged parcel", severity="high", now=NOON,
                                          sla_hours={"high": 24})
    assert (complaint.opened_at, complaint.due_at) == (NOON, NOON + timedelta(hours=24))


def test_the_pop_says_overdue_as_of_its_own_now(app_ctx):
    customer = make_customer()
    complaints.open_complaint(customer.id, "Late delivery", due_at=NOON, now=NOON - timedelta(days=1))
    db.session.expire_all()
    before = customer_card(customer, NOON - timedelta(seconds=1))["open_complaints"]
    after = customer_card(customer, NOON + timedelta(seconds=1))["open_complaints"]
    assert [c["overdue"] for c in before] == [False]
    assert [c["overdue"] for c in after] == [True]


def test_a_call_with_no_final_status_stops_being_active_after_the_stale_window(app_ctx):
    db.session.add(Call(call_sid="CA-old", match_kind="none", status="ringing", started_at=NOON))
    db.session.commit()
    assert [c.call_sid for c in lifecycle.active_calls(4, now=NOON + timedelta(hours=3, minutes=59))] == ["CA-old"]
    assert lifecycle.active_calls(4, now=NOON + timedelta(hours=4, seconds=1)) == []
