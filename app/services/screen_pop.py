"""The one place that defines what a screen pop and a call update look like (SPEC §5)."""
from __future__ import annotations

from app.models import Call, Customer, isoformat, utcnow
from app.services import phone_numbers


def customer_card(customer: Customer) -> dict:
    """What the agent sees of a customer while the phone rings: only open complaints."""
    return {
        "id": customer.id,
        "name": customer.name,
        "tier": customer.tier,
        "preferences": [p.to_dict() for p in customer.preferences],
        "open_complaints": [
            {
                "id": c.id,
                "subject": c.subject,
                "status": c.status,
                "severity": c.severity,
                "opened_at": isoformat(c.opened_at),
                "due_at": isoformat(c.due_at),
                "overdue": c.overdue,
            }
            for c in customer.open_complaints
        ],
    }


def build_screen_pop(call: Call, customers: list[Customer], region: str) -> dict:
    single = call.match_kind == "single" and len(customers) == 1
    return {
        "call_sid": call.call_sid,
        "status": call.status,
        "received_at": isoformat(call.started_at),
        "from": call.from_e164,
        "from_raw": call.from_raw,
        "from_display": phone_numbers.display(call.from_e164, region),
        "to": call.to_e164 or call.to_raw,
        "match": call.match_kind,
        "customer": customer_card(customers[0]) if single else None,
        "candidates": (
            [{"id": c.id, "name": c.name} for c in customers] if call.match_kind == "multiple" else []
        ),
        "agent": call.agent.summary() if call.agent else None,
    }


def build_call_update(call: Call) -> dict:
    return {
        "call_sid": call.call_sid,
        "status": call.status,
        "agent": call.agent.summary() if call.agent else None,
        "duration": call.duration,
        "at": isoformat(utcnow()),
    }
