"""Rows for tests, written straight through the models (the services have their own tests).

Every factory that stamps a time takes it (`now=`, `started_at=`, `opened_at=`...), so a test of a
time window can be written at fixed times; left out, the time is `utcnow()` as the app would use.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from app.extensions import db
from app.models import Complaint, Customer, PhoneNumber, Preference, User, utcnow
from app.services.people import accounts

PASSWORD = "correct horse battery"


def make_user(username: str = "alice", role: str = "agent", password: str = PASSWORD, **fields) -> User:
    user = User(username=username, display_name=fields.pop("display_name", username.title()), role=role, **fields)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def make_token(user: User, ttl_hours: int = 1) -> str:
    plain, _ = accounts.issue_token(user, ttl_hours)
    return plain


def _complaint(spec: dict, now: datetime) -> Complaint:
    """One complaint from make_customer's short form: ages and due dates in days from `now`."""
    return Complaint(
        subject=spec["subject"],
        severity=spec.get("severity", "medium"),
        status=spec.get("status", "open"),
        opened_at=now - timedelta(days=spec.get("age_days", 1)),
        due_at=now + timedelta(days=spec["due_in_days"]) if "due_in_days" in spec else None,
        resolved_at=now if spec.get("status") == "resolved" else None,
    )


def make_customer(name: str = "Alice Wong", phones: tuple[str, ...] = ("+14155550100",), tier: str = "standard",
                  preferences: dict[str, str] | None = None, complaints: list[dict] | None = None,
                  *, now: datetime | None = None, **fields) -> Customer:
    """A customer; `complaints` are dicts with `subject` and optional `severity`, `status`, `age_days`
    and `due_in_days`, counted from `now` (default utcnow())."""
    now = now or utcnow()
    fields.setdefault("created_at", now)
    customer = Customer(name=name, tier=tier, **fields)
    customer.phones = [PhoneNumber(e164=p, label="mobile", created_at=now) for p in phones]
    customer.preferences = [Preference(key=k, value=v, recorded_at=now) for k, v in (preferences or {}).items()]
    customer.complaints = [_complaint(c, now) for c in (complaints or [])]
    db.session.add(customer)
    db.session.commit()
    return customer


def make_preference(customer: Customer, key: str, value: str, *, recorded_at: datetime | None = None,
                    **fields) -> Preference:
    preference = Preference(customer=customer, key=key, value=value, recorded_at=recorded_at or utcnow(), **fields)
    db.session.add(preference)
    db.session.commit()
    return preference


def make_complaint(customer: Customer, subject: str = "Late delivery", *, severity: str = "medium",
                   status: str = "open", opened_at: datetime | None = None, due_at: datetime | None = None,
                   resolved_at: datetime | None = None, **fields) -> Complaint:
    """A complaint as stored, at the times given (opened now by default; resolved now if resolved)."""
    opened_at = opened_at or utcnow()
    if status == "resolved" and resolved_at is None:
        resolved_at = utcnow()
    complaint = Complaint(customer=customer, subject=subject, severity=severity, status=status, opened_at=opened_at,
                          due_at=due_at, resolved_at=resolved_at, **fields)
    db.session.add(complaint)
    db.session.commit()
    return complaint


def make_call(call_sid: str, customer: Customer | None = None, agent: User | None = None, *, status: str = "ringing",
              from_e164: str | None = "+14155550100", started_at: datetime | None = None,
              now: datetime | None = None, **fields):
    """A call as the provider's webhook would have stored it; `customer` makes it a single match.

    It started at `started_at`, else at `now`, else at utcnow()."""
    from app.models import Call

    call = Call(
        call_sid=call_sid, from_raw=from_e164, from_e164=from_e164, to_raw="+18005550199", to_e164="+18005550199",
        match_kind="single" if customer is not None else fields.pop("match_kind", "none"),
        customer=customer, agent=agent, status=status, started_at=started_at or now or utcnow(), **fields,
    )
    db.session.add(call)
    db.session.commit()
    return call


def make_survey(call, *, score: int | None = None, channel: str = "ivr", status: str | None = None,
                sent_at: datetime | None = None, answered_at: datetime | None = None, **fields):
    """The survey asked after `call`: answered when it has a `score` (at `answered_at`, else when sent)."""
    from app.models import Survey

    sent_at = sent_at or call.ended_at or call.started_at
    survey = Survey(call=call, customer_id=call.customer_id, agent_id=call.agent_id, channel=channel,
                    to_e164=call.from_e164, status=status or ("answered" if score is not None else "sent"),
                    score=score, created_at=sent_at, sent_at=sent_at,
                    answered_at=answered_at or (sent_at if score is not None else None), **fields)
    db.session.add(survey)
    db.session.commit()
    return survey


def make_promise(customer: Customer, text: str = "Refund the delivery fee", *, due_at: datetime,
                 made_by: User | None = None, made_at: datetime | None = None, status: str = "open", **fields):
    from app.models import Promise

    promise = Promise(customer_id=customer.id, text=text, due_at=due_at, made_by_id=made_by.id if made_by else None,
                      made_at=made_at or utcnow(), status=status, **fields)
    db.session.add(promise)
    db.session.commit()
    return promise


def make_follow_up(customer: Customer | None, reason: str = "manual", *, due_at: datetime, owner: User | None = None,
                   created_at: datetime | None = None, status: str = "open", **fields):
    from app.models import FollowUp

    follow_up = FollowUp(customer_id=customer.id if customer else None, reason=reason, due_at=due_at,
                         owner_id=owner.id if owner else None, created_at=created_at or utcnow(), status=status,
                         **fields)
    db.session.add(follow_up)
    db.session.commit()
    return follow_up
