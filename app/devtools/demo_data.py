"""Demo customers for `flask seed-demo`: a believable book of business, the same on every run.

A handful of hand-written customers tell the stories the README walks through (Alice Wong on
+1 415 555 0100 with an overdue complaint and an overdue promise, a household sharing a landline,
a company switchboard, a detractor nobody has called back, an advocate, a loyal regular);
the rest are generated from a seeded `random.Random`, so `--customers 10000` is as reproducible as
the default. Rows go in with bulk inserts: ten thousand customers take seconds.
"""
from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import delete, func, insert, select, update

from app.devtools import demo_traffic
from app.extensions import db
from app.models import Call, Complaint, Customer, FollowUp, PhoneNumber, Preference, Promise, Survey, utcnow
from app.services.calls import neighbours
from app.services.errors import Conflict
from app.services.phone_numbers import normalize

# Demo rows are marked by their external_id, so they can be found (and replaced) later.
EXTERNAL_ID_PREFIX = "DEMO-"
# Their past calls by their CallSid (real ones are "CA" and 32 hex digits).
DEMO_CALL_PREFIX = "CAdemo"
DEFAULT_CUSTOMERS = 40
DEFAULT_SEED = 2026

# The numbers the README's walkthrough calls.
ALICE_NUMBER = "+14155550100"
HOUSEHOLD_NUMBER = "+14155550111"
SWITCHBOARD_NUMBER = "+14155550130"
DETRACTOR_NUMBER = "+14155550141"  # Kenji Tanaka: scored us 3/10, nobody called back
ADVOCATE_NUMBER = "+14155550132"  # Priya Natarajan's mobile: scored us 10/10
LOYAL_NUMBER = "+14155550112"  # Mei Huang's mobile: a regular, asked in Mandarin


@dataclass
class DemoComplaint:
    subject: str
    severity: str = "medium"
    status: str = "open"
    age_days: float = 3
    due_in_days: float | None = None  # negative: overdue
    description: str | None = None
    resolution: str | None = None


@dataclass
class DemoCall:
    """A past call an agent took (`age_days` ago), and what the caller scored it, if asked."""

    age_days: float
    duration: int = 240
    disposition: str | None = "information given"
    notes: str | None = None
    score: int | None = None  # the survey after it, answered
    comment: str | None = None
    channel: str = "ivr"


@dataclass
class DemoPromise:
    text: str
    age_days: float  # made this long ago
    due_in_days: float  # negative: overdue


@dataclass
class DemoCustomer:
    name: str
    phones: list[tuple[str, str]]  # (number as a person writes it, label)
    tier: str = "standard"
    email: str | None = None
    preferences: list[tuple[str, str]] = field(default_factory=list)
    complaints: list[DemoComplaint] = field(default_factory=list)
    calls: list[DemoCall] = field(default_factory=list)
    promises: list[DemoPromise] = field(default_factory=list)


# The customers every demo starts with, in this order: the walkthrough depends on them.
STORY_CUSTOMERS: list[DemoCustomer] = [
    DemoCustomer(
        "Alice Wong", [("+1 415 555 0100", "mobile")], tier="vip", email="alice.wong@example.com",
        preferences=[("milk", "high-calcium"), ("callback", "evenings"), ("delivery", "leave with the concierge")],
        complaints=[
            DemoComplaint("Damaged parcel", "high", "open", age_days=6, due_in_days=-1,
                          description="Box arrived crushed; two bottles broken. Photos sent by email."),
            DemoComplaint("Late delivery", "low", "resolved", age_days=40,
                          resolution="Refunded the delivery fee."),
        ],
        calls=[DemoCall(40, disposition="complaint opened", notes="Delivery a week late.", score=8),
               DemoCall(6, disposition="complaint opened", notes="Parcel crushed, two bottles broken.")],
        promises=[DemoPromise("Refund the two broken bottles", age_days=6, due_in_days=-1)],
    ),
    # A household: one landline, two people; Mei also has her own mobile.
    DemoCustomer(
        "Wei Huang", [("(415) 555-0111", "home")], tier="gold", email="wei.huang@example.com",
        preferences=[("callback", "mornings"), ("billing", "every two months")],
        complaints=[DemoComplaint("Double charge", "high", "in-progress", age_days=2, due_in_days=3,
                                  description="Charged twice for the October order.")],
    ),
    DemoCustomer(
        "Mei Huang", [("(415) 555-0111", "home"), ("415.555.0112", "mobile")], tier="gold",
        preferences=[("language", "Mandarin"), ("milk", "lactose-free")],
        # A regular: four calls an agent took over three months, from her mobile.
        calls=[DemoCall(95, score=8), DemoCall(60), DemoCall(31), DemoCall(9, disposition="resolved")],
    ),
    # A company switchboard: three customers reach us from the same number.
    DemoCustomer(
        "David Okafor", [("+1 415 555 0130", "work"), ("+1 415 555 0131", "mobile")], tier="gold",
        email="david.okafor@harbor-logistics.example",
        preferences=[("billing", "monthly invoice"), ("contact", "email first")],
        complaints=[DemoComplaint("Missing items", "medium", "open", age_days=1, due_in_days=2)],
    ),
    DemoCustomer(
        "Priya Natarajan", [("+1 415 555 0130", "work"), ("+1 415 555 0132", "mobile")], tier="silver",
        email="priya.natarajan@harbor-logistics.example", preferences=[("callback", "after 2 pm")],
        # An advocate: she told us 10/10 last time.
        calls=[DemoCall(20, disposition="resolved", score=10, comment="Sorted in one call, thank you!",
                        channel="sms")],
    ),
    DemoCustomer(
        "Tom Becker", [("+1 415 555 0130", "work")], email="tom.becker@harbor-logistics.example",
        complaints=[DemoComplaint("Wrong invoice address", "low", "resolved", age_days=20,
                                  resolution="Address corrected; invoice reissued.")],
    ),
    DemoCustomer(
        "María García", [("+34 612 34 56 78", "mobile"), ("+1 415 555 0140", "home")], tier="silver",
        email="maria.garcia@example.com", preferences=[("language", "Spanish"), ("callback", "evenings")],
        complaints=[DemoComplaint("Late delivery", "medium", "open", age_days=2, due_in_days=1,
                                  description="Order promised for Monday, not arrived.")],
    ),
    # At risk: he scored us 3/10 two days ago and nobody has called him back.
    DemoCustomer(
        "Kenji Tanaka", [("+1 415 555 0141", "mobile")], preferences=[("delivery", "weekday mornings")],
        calls=[DemoCall(2, disposition="information given", notes="Asked why the courier skipped his street.",
                        score=3, comment="Third time I've asked.")],
    ),
    DemoCustomer(
        "Fatima Al-Sayed", [("+1 415 555 0142", "mobile")], tier="vip", email="fatima.alsayed@example.com",
        preferences=[("milk", "oat"), ("language", "Arabic"), ("billing", "every two months")],
        complaints=[
            DemoComplaint("Refund not received", "critical", "open", age_days=12, due_in_days=-5,
                          description="Refund promised on the 3rd; still nothing on the card."),
            DemoComplaint("Rude courier", "medium", "in-progress", age_days=4, due_in_days=2),
        ],
    ),
    DemoCustomer("Sam O'Brien", [("+1 415 555 0143", "mobile")], email="sam.obrien@example.com"),
]

FIRST_NAMES = [
    "Aisha", "Alejandro", "Amara", "Ana", "Ben", "Carlos", "Chen", "Chloe", "Chukwuemeka", "Daniel",
    "Elena", "Emma", "Fatou", "Hannah", "Hiroshi", "Ibrahim", "Isabella", "Jamal", "Jia", "José",
    "Julia", "Kwame", "Lars", "Layla", "Li", "Lucas", "Mateo", "Mohammed", "Nadia", "Ngozi", "Noah",
    "Olivia", "Omar", "Pedro", "Rahul", "Rosa", "Sakura", "Sara", "Sofia", "Thanh", "Tomás", "Yusuf",
    "Zainab", "Zoë", "Grace", "Henry", "Ingrid", "Marco", "Anjali", "Dmitri",
]
LAST_NAMES = [
    "Adeyemi", "Andersson", "Bianchi", "Brown", "Chen", "Cohen", "da Silva", "Dubois", "Fernández",
    "Fischer", "García", "Gupta", "Hassan", "Huang", "Ivanova", "Johnson", "Kim", "Kowalski", "Li",
    "López", "Martin", "Mensah", "Müller", "Nakamura", "Nguyen", "Novak", "Okafor", "O'Connor",
    "Patel", "Rossi", "Sato", "Singh", "Smith", "Tanaka", "Wang", "Williams", "Wong", "Yilmaz", "Zhang",
]
TIER_WEIGHTS = {"standard": 60, "silver": 22, "gold": 13, "vip": 5}
PREFERENCE_CHOICES = {
    "milk": ["high-calcium", "skimmed", "lactose-free", "oat", "whole"],
    "callback": ["evenings", "mornings", "after 2 pm", "weekends only"],
    "billing": ["every two months", "monthly invoice", "paper statement"],
    "language": ["Mandarin", "Cantonese", "Spanish", "French", "Arabic", "Vietnamese", "Portuguese"],
    "delivery": ["leave with a neighbour", "weekday mornings", "no Saturday delivery", "ring the bell twice"],
    "contact": ["email first", "text, never call at work", "prefers a female agent"],
}
COMPLAINT_SUBJECTS = [
    ("Damaged parcel", "high"), ("Late delivery", "medium"), ("Double charge", "high"),
    ("Missing items", "medium"), ("Wrong product delivered", "medium"), ("Refund not received", "critical"),
    ("Subscription not cancelled", "high"), ("Courier left parcel outside", "low"),
    ("Wrong invoice address", "low"), ("Website checkout error", "low"),
]
RESOLUTIONS = ["Refund issued.", "Replacement sent.", "Apologised; voucher sent.", "Billing corrected."]
# Area codes of real US cities; with 555-01xx lines they make valid, fictional numbers.
AREA_CODES = [
    "212", "213", "206", "303", "305", "312", "314", "404", "408", "415", "469", "503", "510", "512",
    "602", "612", "617", "619", "646", "650", "702", "713", "718", "720", "773", "786", "801", "808",
    "813", "817", "832", "858", "901", "916", "919", "925", "949", "971", "972", "978",
]
PHONE_LABELS = ["mobile", "mobile", "mobile", "home", "work"]


@dataclass
class SeedReport:
    customers: int = 0
    phone_numbers: int = 0
    shared_numbers: int = 0
    preferences: int = 0
    complaints: int = 0
    calls: int = 0
    surveys: int = 0
    promises: int = 0
    follow_ups: int = 0
    traffic_calls: int = 0  # the month of calls the dashboard shows (demo_traffic)
    traffic_surveys: int = 0


def customer_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Customer)) or 0


def demo_customer_count() -> int:
    stmt = select(func.count()).select_from(Customer).where(Customer.external_id.like(f"{EXTERNAL_ID_PREFIX}%"))
    return db.session.scalar(stmt) or 0


def remove_demo_customers() -> int:
    """Delete every demo customer (their numbers, preferences, complaints, promises, follow-ups,
    and their made-up past calls with those calls' surveys go with them)."""
    demo = Customer.external_id.like(f"{EXTERNAL_ID_PREFIX}%")
    ids = select(Customer.id).where(demo)
    demo_traffic.remove()
    demo_calls = select(Call.id).where(Call.call_sid.like(f"{DEMO_CALL_PREFIX}%"))
    db.session.execute(delete(Survey).where(Survey.call_id.in_(demo_calls)))
    db.session.execute(delete(FollowUp).where(FollowUp.call_id.in_(demo_calls)))
    db.session.execute(delete(Call).where(Call.call_sid.like(f"{DEMO_CALL_PREFIX}%")))
    for model in (PhoneNumber, Preference, Complaint, Promise, FollowUp):
        db.session.execute(delete(model).where(model.customer_id.in_(ids)))
    removed = db.session.execute(delete(Customer).where(demo)).rowcount
    db.session.commit()
    return removed


def _generated_numbers(reserved: set[str]) -> Iterator[str]:
    """Valid, unique, fictional numbers: 555-0100…0199 in every area code first, then 555-0200 on."""
    for line in range(100, 10000):
        for area in AREA_CODES:
            number = normalize(f"+1{area}555{line:04d}")
            if number is not None and number not in reserved:
                yield number


def _email(name: str, rnd: random.Random) -> str | None:
    if rnd.random() < 0.25:
        return None
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    local = ".".join("".join(ch for ch in part if ch.isalnum()) for part in ascii_name.lower().split())
    return f"{local}@example.com"


def _generated_customer(rnd: random.Random, numbers: Iterator[str], previous: DemoCustomer | None) -> DemoCustomer:
    name = f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}"
    phones = [(next(numbers), rnd.choice(PHONE_LABELS))]
    if rnd.random() < 0.2:
        phones.append((next(numbers), "home"))
    if previous is not None and rnd.random() < 0.06:
        # Another household or office sharing the previous customer's first number.
        phones.append((previous.phones[0][0], previous.phones[0][1]))
    preferences = [(key, rnd.choice(PREFERENCE_CHOICES[key]))
                   for key in rnd.sample(sorted(PREFERENCE_CHOICES), rnd.choice([0, 1, 1, 2, 2, 3]))]
    complaints = []
    for _ in range(rnd.choice([0, 0, 0, 0, 1, 1, 2])):
        subject, severity = rnd.choice(COMPLAINT_SUBJECTS)
        status = rnd.choices(["open", "in-progress", "resolved"], weights=[4, 2, 5])[0]
        age = rnd.uniform(0.2, 30)
        complaints.append(DemoComplaint(
            subject, severity, status, age_days=age,
            due_in_days=None if status == "resolved" else round(rnd.uniform(-age / 2, 7), 1),
            resolution=rnd.choice(RESOLUTIONS) if status == "resolved" else None,
        ))
    tier = rnd.choices(list(TIER_WEIGHTS), weights=list(TIER_WEIGHTS.values()))[0]
    return DemoCustomer(name, phones, tier=tier, email=_email(name, rnd), preferences=preferences,
                        complaints=complaints)


def demo_customers(count: int, seed: int = DEFAULT_SEED, region: str = "US") -> list[DemoCustomer]:
    """The story customers first, then generated ones; numbers already in E.164."""
    story = [
        DemoCustomer(c.name, [(normalize(raw, region), label) for raw, label in c.phones], c.tier, c.email,
                     list(c.preferences), list(c.complaints), list(c.calls), list(c.promises))
        for c in STORY_CUSTOMERS[:count]
    ]
    rnd = random.Random(seed)
    # Every story number, and the rest of the 415 555 01xx block, stays free for hand-made examples.
    reserved = {f"+14155550{line}" for line in range(100, 200)}
    numbers = _generated_numbers(reserved)
    generated: list[DemoCustomer] = []
    for _ in range(count - len(story)):
        generated.append(_generated_customer(rnd, numbers, generated[-1] if generated else None))
    return story + generated


def _complaint_row(customer_id: int, complaint: DemoComplaint, now: datetime) -> dict:
    opened_at = now - timedelta(days=complaint.age_days)
    resolved = complaint.status == "resolved"
    return {
        "customer_id": customer_id,
        "subject": complaint.subject,
        "description": complaint.description,
        "severity": complaint.severity,
        "status": complaint.status,
        "opened_at": opened_at,
        "due_at": None if complaint.due_in_days is None else now + timedelta(days=complaint.due_in_days),
        "resolved_at": opened_at + timedelta(days=complaint.age_days / 2) if resolved else None,
        "resolution": complaint.resolution,
    }


def seed(count: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED, region: str = "US") -> SeedReport:
    """Insert `count` demo customers with their numbers, preferences and complaints; one commit."""
    existing = demo_customer_count()
    if existing:
        # A second copy would share every number with the first: Alice would pop as "multiple".
        raise Conflict(f"the database already holds {existing} demo customers",
                       {"customers": ["demo data already present"]})
    people = demo_customers(count, seed, region)
    now = utcnow()
    customer_rows = [
        {"name": p.name, "tier": p.tier, "email": p.email,
         "external_id": f"{EXTERNAL_ID_PREFIX}{i + 1:05d}", "created_at": now, "updated_at": now}
        for i, p in enumerate(people)
    ]
    ids = db.session.scalars(
        insert(Customer).returning(Customer.id, sort_by_parameter_order=True), customer_rows
    ).all()
    phone_rows, preference_rows, complaint_rows = [], [], []
    owners: dict[str, int] = {}
    for customer_id, person in zip(ids, people):
        for e164, label in person.phones:
            phone_rows.append({"customer_id": customer_id, "e164": e164, "label": label, "created_at": now})
            owners[e164] = owners.get(e164, 0) + 1
        preference_rows += [{"customer_id": customer_id, "key": k, "value": v, "recorded_at": now}
                            for k, v in person.preferences]
        complaint_rows += [_complaint_row(customer_id, c, now) for c in person.complaints]
    for model, rows in ((PhoneNumber, phone_rows), (Preference, preference_rows), (Complaint, complaint_rows)):
        if rows:
            db.session.execute(insert(model), rows)
    history = _seed_history(list(zip(ids, people)), now)
    generated = list(zip(ids, people))[len(STORY_CUSTOMERS):]
    quiet = [customer_id for customer_id, p in generated if p.tier in ("gold", "vip")][:3]
    callers = [(customer_id, p.phones[0][0]) for customer_id, p in generated if customer_id not in quiet]
    history.update(demo_traffic.seed_traffic(callers, quiet, now, seed))
    # The month of traffic went in as bulk inserts, past the hook that links each call to its
    # caller's previous and next one: link them all once (the repeat-call and FCR figures).
    neighbours.restitch_all(db.session.connection())
    db.session.commit()
    return SeedReport(
        customers=len(ids), phone_numbers=len(phone_rows),
        shared_numbers=sum(1 for n in owners.values() if n > 1),
        preferences=len(preference_rows), complaints=len(complaint_rows), **history,
    )


def _seed_history(customers: list[tuple[int, DemoCustomer]], now: datetime) -> dict[str, int]:
    """The story customers' past: calls an agent took, the surveys after them (a detractor's with
    the follow-up it opened, overdue by now), and promises. Returns how many of each."""
    counts = {"calls": 0, "surveys": 0, "promises": 0, "follow_ups": 0}
    for customer_id, person in customers:
        for index, past in enumerate(person.calls):
            started = now - timedelta(days=past.age_days)
            answered = started + timedelta(seconds=20)
            ended = answered + timedelta(seconds=past.duration)
            # From their mobile when they have one (a shared landline pops as several customers).
            from_e164 = next((e164 for e164, label in person.phones if label == "mobile"), person.phones[0][0])
            call = Call(call_sid=f"{DEMO_CALL_PREFIX}{customer_id:06d}{index:03d}", from_raw=from_e164,
                        from_e164=from_e164, to_raw="+18005550199", to_e164="+18005550199", match_kind="single",
                        customer_id=customer_id, status="completed", started_at=started, answered_at=answered,
                        connected_at=answered, ended_at=ended, duration=past.duration, news_at=ended,
                        disposition=past.disposition, notes=past.notes)
            db.session.add(call)
            counts["calls"] += 1
            if past.score is None:
                continue
            asked = ended + timedelta(minutes=1 if past.channel == "sms" else 0)
            survey = Survey(call=call, customer_id=customer_id, channel=past.channel, to_e164=from_e164,
                            status="answered", score=past.score, comment=past.comment, created_at=asked,
                            sent_at=asked, answered_at=asked + timedelta(minutes=2))
            db.session.add(survey)
            counts["surveys"] += 1
            if past.score <= 6:
                db.session.add(FollowUp(customer_id=customer_id, call=call, reason="detractor",
                                        due_at=survey.answered_at + timedelta(hours=24), status="open",
                                        created_at=survey.answered_at, note=f"Scored us {past.score}/10"))
                counts["follow_ups"] += 1
        for promise in person.promises:
            db.session.add(Promise(customer_id=customer_id, text=promise.text, status="open",
                                   made_at=now - timedelta(days=promise.age_days),
                                   due_at=now + timedelta(days=promise.due_in_days)))
            counts["promises"] += 1
    return counts


def adopt_history(agent_id: int) -> int:
    """Make the demo's past calls the demo agent's, and their follow-ups theirs to do, so the desktop
    shows "My follow-ups" on the first run (`flask ensure-demo-agent`). Returns the calls adopted."""
    demo_calls = Call.call_sid.like(f"{DEMO_CALL_PREFIX}%")
    adopted = db.session.execute(update(Call).where(demo_calls, Call.agent_id.is_(None)).values(agent_id=agent_id)
                                 .execution_options(synchronize_session=False)).rowcount
    call_ids = select(Call.id).where(demo_calls)
    for model in (Survey,):
        db.session.execute(update(model).where(model.call_id.in_(call_ids), model.agent_id.is_(None))
                           .values(agent_id=agent_id).execution_options(synchronize_session=False))
    # The demo agent's share of the month's traffic too (its follow-ups stay unowned: anyone may take them).
    traffic = Call.call_sid.like(f"{demo_traffic.TRAFFIC_CALL_PREFIX}%")
    adopted += db.session.execute(update(Call).where(traffic, Call.agent_id.is_(None), Call.connected_at.is_not(None))
                                  .values(agent_id=agent_id).execution_options(synchronize_session=False)).rowcount
    db.session.execute(update(Survey).where(Survey.call_id.in_(select(Call.id).where(traffic)),
                                            Survey.agent_id.is_(None)).values(agent_id=agent_id)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(FollowUp).where(FollowUp.call_id.in_(call_ids), FollowUp.owner_id.is_(None))
                       .values(owner_id=agent_id).execution_options(synchronize_session=False))
    db.session.execute(update(Promise).where(Promise.made_by_id.is_(None), Promise.customer_id.in_(
        select(Customer.id).where(Customer.external_id.like(f"{EXTERNAL_ID_PREFIX}%"))))
        .values(made_by_id=agent_id).execution_options(synchronize_session=False))
    db.session.commit()
    return adopted
