"""The time range a figure is read over: `since` (included) to `until` (excluded), naive UTC like
every timestamp the database holds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from app.services.validation import FieldErrors, naive_utc_or_none

MAX_RANGE_DAYS = 366
BUCKETS = {"hour": 3600, "day": 86400}


@dataclass(frozen=True)
class TimeRange:
    since: datetime
    until: datetime

    @property
    def seconds(self) -> float:
        return (self.until - self.since).total_seconds()

    def aligned(self, bucket: str) -> "TimeRange":
        """The same range widened to whole buckets (hours or days, UTC): where a chart's bars start."""
        size = BUCKETS[bucket]
        epoch = datetime(1970, 1, 1)
        start = epoch + timedelta(seconds=int((self.since - epoch).total_seconds()) // size * size)
        buckets = -(-int((self.until - start).total_seconds()) // size)
        return TimeRange(start, start + timedelta(seconds=buckets * size))

    def starts(self, bucket: str) -> list[datetime]:
        """The start of every bucket of this (aligned) range."""
        size = timedelta(seconds=BUCKETS[bucket])
        count = int(self.seconds // size.total_seconds())
        return [self.since + i * size for i in range(count)]


def today(now: datetime) -> TimeRange:
    start = datetime.combine(now.date(), time())
    return TimeRange(start, start + timedelta(days=1))


def time_range(since: datetime | None, until: datetime | None, now: datetime,
               max_days: int = MAX_RANGE_DAYS) -> TimeRange:
    """The range asked for: by default today (UTC midnight to midnight); with only `since`, up to
    now. An `until` not after `since`, or a range over `max_days`, is refused naming the field."""
    since, until = naive_utc_or_none(since), naive_utc_or_none(until)
    if since is None and until is None:
        return today(now)
    if since is None:
        since = until - timedelta(days=1)
    if until is None:
        until = now
    errors = FieldErrors()
    if until <= since:
        errors.add("until", f"must be after since ({since.isoformat()}Z); got {until.isoformat()}Z")
    elif until - since > timedelta(days=max_days):
        errors.add("until", f"the range may span at most {max_days} days; "
                            f"{since.isoformat()}Z to {until.isoformat()}Z is {(until - since).days} days")
    errors.raise_if_any()
    return TimeRange(since, until)
