"""Rows for tests, written straight through the models (the services have their own tests)."""
from __future__ import annotations

from datetime import timedelta

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


def make_customer(name: str = "Alice Wong", phones: tuple[str, ...] = ("+14155550100",), tier: str = "standard",
                  preferences: dict[str, str] | None = None, complaints: list[dict] | None = None,
                  **fields) -> Customer:
    customer = Customer(name=name, tier=tier, **fields)
    customer.phones = [PhoneNumber(e164=p, label="mobile") for p in phones]
    customer.preferences = [Preference(key=k, value=v) for k, v in (preferences or {}).items()]
    now = utcnow()
    customer.complaints = [
        Complaint(
            subject=c["subject"],
            severity=c.get("severity", "medium"),
            status=c.get("status", "open"),
            opened_at=now - timedelta(days=c.get("age_days", 1)),
            due_at=now + timedelta(days=c["due_in_days"]) if "due_in_days" in c else None,
            resolved_at=now if c.get("status") == "resolved" else None,
        )
        for c in (complaints or [])
    ]
    db.session.add(customer)
    db.session.commit()
    return customer


def make_call(call_sid: str, customer: Customer | None = None, agent: User | None = None, *, status: str = "ringing",
              from_e164: str | None = "+14155550100", started_at=None, **fields):
    """A call as the provider's webhook would have stored it; `customer` makes it a single match."""
    from app.models import Call

    call = Call(
        call_sid=call_sid, from_raw=from_e164, from_e164=from_e164, to_raw="+18005550199", to_e164="+18005550199",
        match_kind="single" if customer is not None else fields.pop("match_kind", "none"),
        customer=customer, agent=agent, status=status, started_at=started_at or utcnow(), **fields,
    )
    db.session.add(call)
    db.session.commit()
    return call
