"""The proactive-care worklist (SPEC §12): who we should call before they call us.

- detractor, voicemail, callback_requested: open follow-ups of those reasons (service recovery:
  the detractor, the voicemail, the caller who asked from the line), due or not;
- overdue_follow_up: any other open follow-up past its due time;
- overdue_promise: an open promise past its due time;
- overdue_complaint: an unresolved complaint past its due time;
- not_contacted: a gold or VIP customer with us for over CARE_SILENCE_DAYS with no call either
  way in that time, and nothing open with them (no follow-up, no promise).

Most urgent first: what was due soonest (the longest overdue) first, then the valued customers
nobody has called, VIPs first and the longest silent first. Agents see their own items and the
unowned ones; supervisors and admins see every item.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Call, Complaint, Customer, FollowUp, Promise, User
from app.services import validation
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.services.insight.metrics import count_if
from app.services.people import roles

REASONS = ("detractor", "overdue_promise", "overdue_follow_up", "overdue_complaint", "callback_requested",
           "voicemail", "not_contacted")
RECOVERY = ("detractor", "voicemail", "callback_requested")  # follow-up reasons listed as themselves
VALUED_TIERS = ("vip", "gold")
TIER_NAMES = {"vip": "VIP", "gold": "Gold"}
# Ties (the same due time) go to the more urgent reason.
RANK = {reason: rank for rank, reason in enumerate(
    ("callback_requested", "detractor", "voicemail", "overdue_promise", "overdue_complaint", "overdue_follow_up",
     "not_contacted"))}


@dataclass(frozen=True)
class Viewer:
    """Who reads the list: an agent gets their own and unowned items, a supervisor (`everything`) all."""

    user_id: int
    everything: bool


@dataclass
class CareItem:
    id: str
    reason: str
    customer: Customer | None
    since: datetime | None
    text: str
    owner: User | None = None
    due_at: datetime | None = None
    overdue: bool = False
    follow_up_id: int | None = None
    call_sid: str | None = None
    order: tuple = ()

    def as_dict(self) -> dict:
        return {
            "id": self.id, "reason": self.reason,
            "customer": ({"id": self.customer.id, "name": self.customer.name, "tier": self.customer.tier}
                         if self.customer is not None else None),
            "since": self.since, "text": self.text,
            "owner": {"id": self.owner.id, "name": self.owner.display_name} if self.owner is not None else None,
            "due_at": self.due_at, "overdue": self.overdue, "follow_up_id": self.follow_up_id,
            "call_sid": self.call_sid,
        }


def _day(at: datetime) -> str:
    return f"{at.day} {at:%b}"


def _moment(at: datetime) -> str:
    return f"{at.day} {at:%b %H:%M} UTC"


def _due(due_at: datetime, now: datetime) -> str:
    return f"overdue since {_moment(due_at)}" if due_at < now else f"due {_moment(due_at)}"


def _visible(column, viewer: Viewer, owner: str | None):
    """The owner filter: what the viewer may see, narrowed by `owner` (me, none, or an id)."""
    conditions = []
    if not viewer.everything:
        conditions.append(or_(column.is_(None), column == viewer.user_id))
    if owner == "me":
        conditions.append(column == viewer.user_id)
    elif owner == "none":
        conditions.append(column.is_(None))
    elif owner is not None:
        conditions.append(column == int(owner))
    return conditions


# An item shows its customer's id, name and tier, its owner's id and name, its call's CallSid:
# only those columns are read with it (every desktop reads the list each minute, and whole rows
# of four tables made each statement's result ~100 columns wide).
def _customer(relationship):
    return joinedload(relationship).load_only(Customer.name, Customer.tier)


def _person(relationship):
    return joinedload(relationship).load_only(User.display_name)


def _follow_up_text(f: FollowUp, now: datetime) -> str:
    due = _due(f.due_at, now)
    if f.reason == "detractor":
        return f"{f.note or 'Scored us 0-6'} on {_day(f.created_at)}: not called back yet; {due}"
    if f.reason == "voicemail":
        return f"Left a voicemail on {_moment(f.created_at)}; {due}"
    if f.reason == "callback_requested":
        return f"Asked to be called back from the line on {_moment(f.created_at)}; {due}"
    return f"Follow-up {due}: {f.note or f.reason.replace('_', ' ')}"


def _follow_ups(viewer: Viewer, owner: str | None, reason: str | None, now: datetime, limit: int):
    recovery = FollowUp.reason.in_(RECOVERY)
    overdue_other = (~recovery) & (FollowUp.due_at < now)
    wanted = {None: or_(recovery, overdue_other), "overdue_follow_up": overdue_other}.get(
        reason, FollowUp.reason == reason)
    base = [FollowUp.status == "open", wanted, *_visible(FollowUp.owner_id, viewer, owner)]
    rows = db.session.scalars(
        select(FollowUp).where(*base).options(_customer(FollowUp.customer), _person(FollowUp.owner),
                                              joinedload(FollowUp.call).load_only(Call.call_sid))
        .order_by(FollowUp.due_at, FollowUp.id).limit(limit))
    items = []
    for f in rows:
        kind = f.reason if f.reason in RECOVERY else "overdue_follow_up"
        items.append(CareItem(
            id=f"follow_up:{f.id}", reason=kind, customer=f.customer,
            since=f.created_at if kind in RECOVERY else f.due_at, text=_follow_up_text(f, now), owner=f.owner,
            due_at=f.due_at, overdue=f.due_at < now, follow_up_id=f.id,
            call_sid=f.call.call_sid if f.call is not None else None, order=(f.due_at, RANK[kind], f.id)))
    return items


def _follow_up_counts(viewer: Viewer, owner: str | None, now: datetime) -> dict[str, int]:
    """The open follow-ups of each recovery reason, and the other ones overdue: one statement."""
    visible = [FollowUp.status == "open", *_visible(FollowUp.owner_id, viewer, owner)]
    recovery = FollowUp.reason.in_(RECOVERY)
    row = db.session.execute(
        select(*(count_if(FollowUp.reason == reason) for reason in RECOVERY),
               count_if(~recovery & (FollowUp.due_at < now))).where(*visible)).one()
    counts = {reason: 0 for reason in REASONS}
    counts.update({reason: int(count or 0) for reason, count in zip((*RECOVERY, "overdue_follow_up"), row)})
    return counts


def _listed(model, where: list, stmt, limit: int | None):
    """`stmt`'s first `limit` rows, each with how many rows of `model` meet `where` in all (a
    window count, in the same statement); with `limit` None only that count, as `([], count)`."""
    if limit is None:
        return [], db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    rows = db.session.execute(stmt.add_columns(func.count().over()).limit(limit)).all()
    return [row[:-1] for row in rows], (rows[0][-1] if rows else 0)


def _promises(viewer: Viewer, owner: str | None, now: datetime, limit: int | None):
    """The overdue promises listed (at most `limit`; none with `limit` None), and how many there are."""
    where = [Promise.status == "open", Promise.due_at < now, *_visible(Promise.made_by_id, viewer, owner)]
    rows, count = _listed(Promise, where, select(Promise).where(*where)
                          .options(_customer(Promise.customer), _person(Promise.made_by))
                          .order_by(Promise.due_at, Promise.id), limit)
    return [CareItem(id=f"promise:{p.id}", reason="overdue_promise", customer=p.customer, since=p.due_at,
                     text=f"Promised \u201c{p.text}\u201d by {_moment(p.due_at)}: not kept yet", owner=p.made_by,
                     due_at=p.due_at, overdue=True, call_sid=p.call_sid,
                     order=(p.due_at, RANK["overdue_promise"], p.id)) for p, in rows], count


def _complaints(viewer: Viewer, owner: str | None, now: datetime, limit: int | None):
    """The overdue complaints listed (at most `limit`; none with `limit` None), and how many there are."""
    where = [Complaint.status != "resolved", Complaint.due_at < now,
             *_visible(Complaint.assigned_to_id, viewer, owner)]
    rows, count = _listed(Complaint, where, select(Complaint).where(*where)
                          .options(_customer(Complaint.customer), _person(Complaint.assigned_to),
                                   joinedload(Complaint.call).load_only(Call.call_sid))
                          .order_by(Complaint.due_at, Complaint.id), limit)
    return [CareItem(id=f"complaint:{c.id}", reason="overdue_complaint", customer=c.customer, since=c.due_at,
                     text=f"Complaint \u201c{c.subject}\u201d was due {_moment(c.due_at)}: still {c.status}",
                     owner=c.assigned_to, due_at=c.due_at, overdue=True,
                     call_sid=c.call.call_sid if c.call is not None else None,
                     order=(c.due_at, RANK["overdue_complaint"], c.id)) for c, in rows], count


def _silent(silence_days: int, now: datetime) -> tuple:
    """Valued customers with us longer than the silence, not called nor calling since, with
    nothing open: the conditions on `Customer`, for the list and for its count alike."""
    cutoff = now - timedelta(days=silence_days)
    return (Customer.tier.in_(VALUED_TIERS), Customer.created_at < cutoff,
            ~exists().where(Call.customer_id == Customer.id, Call.started_at >= cutoff),
            ~exists().where(FollowUp.customer_id == Customer.id, FollowUp.status == "open"),
            ~exists().where(Promise.customer_id == Customer.id, Promise.status == "open"))


def _not_contacted(silence_days: int, now: datetime, limit: int | None):
    """The valued customers nobody has spoken to, listed (at most `limit`; none with `limit`
    None), and how many there are."""
    silent = _silent(silence_days, now)
    # With `limit` None only the count is read (`_listed`): it needs no last call, which is read
    # only for the customers listed.
    last_call = (select(func.max(Call.started_at)).where(Call.customer_id == Customer.id)
                 .correlate(Customer).scalar_subquery().label("last_call"))
    stmt = select(Customer, last_call).where(*silent)
    vip_first = func.coalesce(func.nullif(Customer.tier, "vip"), "")  # "" (vip) sorts before "gold"
    rows, count = _listed(Customer, list(silent), stmt.order_by(vip_first, last_call.asc().nulls_first(), Customer.id),
                          limit)
    items = []
    for customer, last in rows:
        tier = TIER_NAMES.get(customer.tier, customer.tier)
        if last is None:
            text = f"{tier} customer since {_day(customer.created_at)} {customer.created_at.year}: never called"
        else:
            text = f"{tier} customer: no call for {(now - last).days} days (last {_day(last)} {last.year})"
        items.append(CareItem(id=f"customer:{customer.id}", reason="not_contacted", customer=customer,
                              since=last or customer.created_at, text=text,
                              order=(datetime.max, RANK["not_contacted"], customer.tier != "vip",
                                     last or datetime.min, customer.id)))
    return items, count


def care_list(viewer: Viewer, *, now: datetime, silence_days: int, reason: str | None = None,
              owner: str | None = None, limit: int = 100) -> tuple[list[CareItem], dict[str, int]]:
    """The worklist as `viewer` may see it, most urgent first, at most `limit` items; and how many
    items of each reason there are (all of them, not only those listed)."""
    if owner not in (None, "me", "none") and not validation.is_id_text(str(owner)):
        raise InvalidInput(f"owner must be me, none or a user id, got {owner!r}", {"owner": ["me, none or an id"]})
    if reason not in (None, *REASONS):
        raise InvalidInput(f"reason must be one of: {', '.join(REASONS)}", {"reason": ["unknown reason"]})
    wants = (lambda r: reason is None or reason == r)
    listed = (lambda r: limit if wants(r) else None)  # a reason not asked for is only counted
    items: list[CareItem] = []
    if reason is None or reason in RECOVERY or reason == "overdue_follow_up":
        items += _follow_ups(viewer, owner, reason, now, limit)
    counts = _follow_up_counts(viewer, owner, now)
    # Each of these lists its items and counts them all in one statement (a window count).
    promises, counts["overdue_promise"] = _promises(viewer, owner, now, listed("overdue_promise"))
    complaints, counts["overdue_complaint"] = _complaints(viewer, owner, now, listed("overdue_complaint"))
    items += promises + complaints
    if owner in (None, "none"):
        silent, counts["not_contacted"] = _not_contacted(silence_days, now, listed("not_contacted"))
        items += silent
    else:
        counts["not_contacted"] = 0
    items.sort(key=lambda item: item.order)
    return items[:limit], counts


# --- assigning -----------------------------------------------------------------------------------

def parse_item(item: str) -> tuple[str, int]:
    kind, _, raw_id = (item or "").partition(":")
    if kind not in ("follow_up", "promise", "complaint", "customer") or not validation.is_id_text(raw_id):
        raise InvalidInput(f"item must be follow_up:<id>, promise:<id>, complaint:<id> or customer:<id>, got {item!r}",
                           {"item": ["not a care-list item"]})
    return kind, int(raw_id)


def _refuse_taking_a_colleagues(kind: str, item_id: int, owner_id: int | None, acting: User) -> None:
    """From the care list an agent takes what nobody owns (or hands back their own): an item a
    colleague holds moves only by a supervisor, who sees who is overloaded."""
    if roles.has_role(acting, "supervisor"):
        return
    model, column = (FollowUp, FollowUp.owner_id) if kind == "follow_up" else (Complaint, Complaint.assigned_to_id)
    current = db.session.scalar(select(column).where(model.id == item_id))
    if current is not None and current != acting.id and owner_id != current:
        raise Forbidden(f"{kind} {item_id} is a colleague's: only a supervisor can move it",
                        {"item": ["owned by someone else"]})


def assign(item: str, owner_id: int | None, *, acting: User, now: datetime, follow_up_hours: int, silence_days: int):
    """Give a care-list item to `owner_id` (None: to nobody). A follow-up or complaint changes
    hands; a customer nobody has called gets a follow-up owned by them (so it leaves the list and
    sits on their desktop until done). A promise stays with who made it. Returns (owner, follow_up_id)."""
    from app.services.care import follow_ups
    from app.services.customers import complaints

    kind, item_id = parse_item(item)
    if kind in ("follow_up", "complaint"):
        _refuse_taking_a_colleagues(kind, item_id, owner_id, acting)
    if kind == "follow_up":
        follow_up = follow_ups.update_follow_up(item_id, {"owner_id": owner_id}, acting=acting, now=now)
        return follow_up.owner, follow_up.id
    if kind == "complaint":
        complaint = complaints.update_complaint(item_id, {"assigned_to_id": owner_id}, acting)
        return complaint.assigned_to, None
    if kind == "promise":
        if db.session.get(Promise, item_id) is None:
            raise NotFound(f"promise {item_id} does not exist")
        raise Conflict(f"promise {item_id} stays with whoever made it: mark it kept or broken, or open a follow-up",
                       {"item": ["a promise cannot be reassigned"]})
    customer = db.session.get(Customer, item_id)
    if customer is None:
        raise NotFound(f"customer {item_id} does not exist")
    if owner_id is None:
        raise InvalidInput("owner_id: say who will call them", {"owner_id": ["required"]})
    if not roles.may_assign(acting, owner_id, None):
        raise Forbidden("only a supervisor can give a customer to someone else")
    follow_up = follow_ups.add_follow_up(customer.id, {
        "note": f"Look in on them: no call for {silence_days}+ days", "owner_id": owner_id,
        "due_at": now + timedelta(hours=follow_up_hours)}, acting=acting, hours=follow_up_hours, now=now)
    return follow_up.owner, follow_up.id
