"""Each inbound call knows the same caller's previous and next call (calls.previous_call_at,
next_call_at), whichever way it was stored, moved or removed; the figures of SPEC §12 read them."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import Call
from app.services.calls import neighbours
from app.services.customers.merge import merge_customers
from tests.factories import make_customer

T = datetime(2025, 3, 10, 9, 0)
NUMBER = "+14155550199"


def _call(sid: str, minutes: int, *, customer=None, number: str | None = NUMBER, direction: str = "inbound") -> Call:
    call = Call(call_sid=sid, direction=direction, from_e164=number, match_kind="single" if customer else "none",
                customer=customer, status="completed", started_at=T + timedelta(minutes=minutes))
    db.session.add(call)
    return call


def _links() -> dict[str, tuple]:
    db.session.expire_all()
    rows = db.session.execute(select(Call.call_sid, Call.previous_call_at, Call.next_call_at))
    return {sid: (previous, following) for sid, previous, following in rows}


def _at(minutes: int | None):
    return None if minutes is None else T + timedelta(minutes=minutes)


def _expected(**links):
    return {sid: (_at(p), _at(n)) for sid, (p, n) in links.items()}


def test_a_customers_next_call_links_to_the_one_before(app_ctx):
    ann = make_customer("Ann", phones=("+14155550101",))
    _call("a1", 0, customer=ann)
    db.session.commit()
    _call("a2", 30, customer=ann)
    db.session.commit()
    assert _links() == _expected(a1=(None, 30), a2=(0, None))


def test_an_unknown_caller_is_linked_by_number_and_a_withheld_one_not_at_all(app_ctx):
    _call("u1", 0)
    _call("other", 5, number="+14155550777")
    db.session.commit()
    _call("u2", 10)
    _call("w1", 12, number=None)
    _call("w2", 14, number=None)
    db.session.commit()
    assert _links() == _expected(u1=(None, 10), other=(None, None), u2=(0, None), w1=(None, None), w2=(None, None))


def test_outbound_calls_are_nobodys_neighbours(app_ctx):
    ann = make_customer("Ann", phones=("+14155550101",))
    _call("a1", 0, customer=ann)
    _call("out", 5, customer=ann, direction="outbound")
    db.session.commit()
    _call("a2", 10, customer=ann)
    db.session.commit()
    assert _links() == _expected(a1=(None, 10), out=(None, None), a2=(0, None))


def test_a_call_stored_late_slots_in_between(app_ctx):
    """A call replayed from the spool arrives after calls that came later than it."""
    _call("u1", 0)
    _call("u3", 60)
    db.session.commit()
    _call("u2", 20)
    db.session.commit()
    assert _links() == _expected(u1=(None, 20), u2=(0, 60), u3=(20, None))


def test_linking_an_unknown_callers_call_moves_it_into_the_customers_history(app_ctx):
    ann = make_customer("Ann", phones=("+14155550101",))
    _call("a1", 0, customer=ann)
    _call("u1", 10)
    unknown = _call("u2", 20)
    _call("u3", 30)
    db.session.commit()
    unknown.customer = ann  # as an agent's link does (lifecycle.update_call)
    unknown.match_kind = "single"
    db.session.commit()
    assert _links() == _expected(a1=(None, 20), u2=(0, None), u1=(None, 30), u3=(10, None))
    # What the session holds agrees with the rows.
    assert (unknown.previous_call_at, unknown.next_call_at) == (_at(0), None)


def test_removing_a_call_closes_the_gap(app_ctx):
    _call("u1", 0)
    middle = _call("u2", 10)
    _call("u3", 20)
    db.session.commit()
    db.session.delete(middle)
    db.session.commit()
    assert _links() == _expected(u1=(None, 20), u3=(0, None))


def test_merging_customers_interleaves_their_histories(app_ctx):
    ann = make_customer("Ann", phones=("+14155550101",))
    dup = make_customer("Ann W.", phones=("+14155550102",))
    _call("a1", 0, customer=ann)
    _call("d1", 10, customer=dup)
    _call("a2", 20, customer=ann)
    db.session.commit()
    merge_customers(ann.id, dup.id, acting_user_id=None)
    assert _links() == _expected(a1=(None, 10), d1=(0, 20), a2=(10, None))


def _window_links() -> dict[str, tuple]:
    """What a window over every caller's calls gives: the definition the links must match."""
    rows = db.session.execute(text("""
        SELECT call_sid,
               CASE WHEN direction = 'inbound' AND (customer_id IS NOT NULL OR from_e164 IS NOT NULL)
                    THEN lag(started_at) OVER w END,
               CASE WHEN direction = 'inbound' AND (customer_id IS NOT NULL OR from_e164 IS NOT NULL)
                    THEN lead(started_at) OVER w END
        FROM calls
        WINDOW w AS (PARTITION BY direction, customer_id, CASE WHEN customer_id IS NULL THEN from_e164 END
                     ORDER BY started_at, id)"""))
    return {sid: (_parse(p), _parse(n)) for sid, p, n in rows}


def _parse(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@pytest.mark.parametrize("seed", [1, 2])
def test_calls_stored_in_any_order_and_moved_agree_with_the_window(app_ctx, seed):
    shuffle = random.Random(seed)
    customers = [make_customer(f"C{i}", phones=(f"+1415555020{i}",)) for i in range(3)]
    numbers = ["+14155550301", "+14155550302", None]
    stored = []
    for i in range(60):
        who = shuffle.choice(customers + [None, None])
        stored.append(_call(f"r{i}", shuffle.randrange(0, 600), customer=who,
                            number=shuffle.choice(numbers) if who is None else who.phones[0].e164,
                            direction=shuffle.choice(["inbound"] * 5 + ["outbound"])))
        if shuffle.random() < 0.3:
            db.session.commit()
    db.session.commit()
    for call in shuffle.sample(stored, 10):
        call.customer = shuffle.choice(customers)
    for call in shuffle.sample(stored, 5):
        db.session.delete(call)
    db.session.commit()
    expected = _window_links()
    assert _links() == expected
    db.session.commit()
    with db.engine.begin() as connection:  # recomputed from scratch, the links come out the same
        connection.execute(text("UPDATE calls SET previous_call_at = NULL, next_call_at = NULL"))
    db.session.remove()
    assert neighbours.relink_all(db.engine, batch=7) > 0
    assert _links() == expected
    assert neighbours.relink_all(db.engine, batch=7) == 0  # nothing left to correct


def test_relink_calls_mends_calls_stored_without_the_hook(app_ctx, app):
    """A process of the version before 0015, during a rolling upgrade, stores calls without links."""
    _call("u1", 0)
    db.session.commit()
    db.session.execute(Call.__table__.insert().values(
        call_sid="old", direction="inbound", from_e164=NUMBER, match_kind="none", status="completed",
        status_sequence=0, started_at=T + timedelta(minutes=10), news_at=T, lookup_failed=False, unsettled=False,
        queue_attempts=0))
    db.session.commit()
    assert _links()["u1"] == (None, None)
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["relink-calls"])
    assert result.exit_code == 0 and "corrected 2 calls" in result.output
    assert _links() == _expected(u1=(None, 10), old=(0, None))
