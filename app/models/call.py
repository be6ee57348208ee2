"""One inbound call, keyed by the provider's CallSid."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow
from app.models.customer import Customer
from app.models.user import User

if TYPE_CHECKING:
    from app.models.care import Survey

MATCH_KINDS = ("single", "multiple", "none", "withheld")
DIRECTIONS = ("inbound", "outbound")
# Rank of each provider status: a call only ever moves to a higher rank. All terminal ones share
# the top rank, so once a call has ended no later event can change how it ended.
# Where a queued call is (SPEC §11): waiting in line, being moved to an agent, or gone from the line.
QUEUE_STATES = ("waiting", "moving", "moved", "callback", "voicemail", "left")
STATUS_RANK = {
    "queued": 0,
    "initiated": 1,
    "ringing": 2,
    "in-progress": 3,
    "completed": 4,
    "busy": 4,
    "no-answer": 4,
    "canceled": 4,
    "failed": 4,
}
TERMINAL_STATUSES = frozenset(s for s, rank in STATUS_RANK.items() if rank == 4)
LIVE_STATUSES = tuple(s for s in STATUS_RANK if s not in TERMINAL_STATUSES)


class Call(db.Model):
    __tablename__ = "calls"
    # Who holds a live call is read on every inbound call (routing skips busy agents): live
    # statuses are few, and within them the index skips the calls no agent holds yet.
    __table_args__ = (Index("ix_calls_status_agent", "status", "agent_id"),
                      # A customer's history on every pop (stage, repeat calls): their calls by time.
                      Index("ix_calls_customer_started", "customer_id", "started_at"),
                      # Who is wrapping up: the calls that ended within WRAPUP_SECONDS (routing's floor).
                      Index("ix_calls_ended_at", "ended_at"),
                      # The line: waiting calls in order (tier, then wait).
                      Index("ix_calls_queue", "queue_state", "queue_tier", "queued_at"),
                      # A caller on the way to an agent from the line (routing's floor, per agent).
                      Index("ix_calls_queue_agent", "queue_agent_id", "queue_state"),
                      # The callbacks placed in a range (SPEC §12): a few among all the inbound calls.
                      Index("ix_calls_outbound_started", "started_at", postgresql_where=text("direction = 'outbound'"),
                            sqlite_where=text("direction = 'outbound'")))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(10), default="inbound", server_default="inbound")
    account_sid: Mapped[str | None] = mapped_column(String(64))
    from_raw: Mapped[str | None] = mapped_column(String(255))
    from_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    to_raw: Mapped[str | None] = mapped_column(String(255))
    to_e164: Mapped[str | None] = mapped_column(String(20))
    match_kind: Mapped[str] = mapped_column(String(10))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="ringing", index=True)
    status_sequence: Mapped[int] = mapped_column(default=-1)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration: Mapped[int | None]
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None]
    # When an agent took the caller: their phone answered, or they claimed the call while it was live.
    connected_at: Mapped[datetime | None]
    # When an agent linked the call to a customer (unknown caller created, or one of several chosen).
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime | None]
    # The call arrived while the database was unavailable: it was routed by the fallback, its pop said
    # "lookup unavailable", and it was stored (and looked up) later from the spool.
    lookup_failed: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[str | None] = mapped_column(String(50))
    recording_url: Mapped[str | None] = mapped_column(String(500))
    # The last time the provider told us anything about the call (a webhook, a status, an answer to
    # our asking): a ringing call with no news for RING_STALE_SECONDS is a possible ghost (SPEC §3).
    news_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_at: Mapped[datetime | None]  # when we last asked the provider's REST API about it
    unsettled: Mapped[bool] = mapped_column(default=False)  # asked, and the provider could not say
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Routing (SPEC §11): why the call went where it went, and every agent it was offered to (ids,
    # space separated): with its holder, supervisors and watchers, they are its audience.
    routing_reason: Mapped[str | None] = mapped_column(String(20))
    offered_to: Mapped[str | None] = mapped_column(String(500))
    known_because: Mapped[str | None] = mapped_column(String(20))  # known_agent: last_call, follow_up, complaint
    known_at: Mapped[datetime | None]  # known_agent by last_call: when that agent took them
    # The queue: when the caller joined it (their place in line), where they are, and the claim a
    # process holds while it moves them to an agent through the provider's REST API.
    queued_at: Mapped[datetime | None]
    queue_state: Mapped[str | None] = mapped_column(String(10))
    queue_tier: Mapped[int | None]  # 0 for vip .. 3 for standard and unknown callers: the line's order
    queue_claimed_at: Mapped[datetime | None]
    queue_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    queue_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    queue_error: Mapped[str | None] = mapped_column(String(500))
    # Where the provider reached us for this call (scheme, host, root): a move made later by a
    # background job tells the provider the same webhook addresses.
    callback_base_url: Mapped[str | None] = mapped_column(String(255))
    # When its disposition was first saved: the end of the agent's wrap-up (handle time, SPEC §12).
    wrapped_at: Mapped[datetime | None]
    # An outbound callback placed from the care list: the follow-up it answers, closed when the
    # call is wrapped up. Not a foreign key: follow_ups.call_id already points here, and a cycle of
    # keys would tie the two tables' creation and deletion together; a follow-up gone is just None.
    callback_follow_up_id: Mapped[int | None] = mapped_column(index=True)
    # When the same caller (the customer, or an unknown caller's number) called before and after
    # this inbound call: repeat calls and first-contact resolution read them (SPEC §12). Kept by
    # app/services/calls/neighbours.py on every flush; None for outbound and withheld calls.
    previous_call_at: Mapped[datetime | None]
    next_call_at: Mapped[datetime | None]

    customer: Mapped[Customer | None] = relationship()
    agent: Mapped[User | None] = relationship(foreign_keys=[agent_id])
    survey: Mapped["Survey | None"] = relationship(back_populates="call", uselist=False)

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def offered_ids(self) -> tuple[int, ...]:
        return tuple(int(part) for part in (self.offered_to or "").split())

    def offer_to(self, agent_ids) -> None:
        """Add agents to those the call is offered to (they stay in its audience once offered)."""
        ids = list(dict.fromkeys([*self.offered_ids, *agent_ids]))
        self.offered_to = " ".join(str(i) for i in ids) or None

    @property
    def queue_seconds(self) -> int | None:
        """How long the caller waited before an agent took them, or None if none has (yet)."""
        if self.connected_at is None:
            return None
        return max(0, int((self.connected_at - self.started_at).total_seconds()))


class OrphanEvent(db.Model):
    """A provider event (status or voicemail callback) for a CallSid not stored yet: the call may
    still be waiting in some host's spool. It is applied when the call is stored (SPEC §9a)."""

    __tablename__ = "orphan_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # one of spool.KINDS other than "voice"
    # The provider's form and the callback URL's query, as JSON: applied exactly as if just received.
    params: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text, default="{}")
    received_at: Mapped[datetime]  # when the provider sent it: the times it sets on the call
    kept_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # kept at least ORPHAN_EVENT_MINUTES
