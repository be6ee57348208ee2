"""Provider events we could not store (database down) wait here, on local disk, until it returns.

One JSON file per event, named so that sorting replays them in arrival order. Any process on the
host may replay; an exclusive lock on the folder keeps two from replaying the same files at once.
The files hold caller numbers, so the folder is private to the service user.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Mapping

log = logging.getLogger(__name__)

# A call, its status callbacks, a voicemail, a survey answer pressed on the line, an SMS reply.
KINDS = ("voice", "status", "voicemail", "survey", "sms", "callback")


def spool_event(folder: str | Path, kind: str, params: Mapping[str, str], query: Mapping[str, str]) -> Path:
    """Write one event durably; returns its file. Raises OSError if the disk refuses."""
    if kind not in KINDS:
        raise ValueError(f"unknown spool kind {kind!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    received_ns = time.time_ns()
    name = f"{received_ns:020d}-{os.getpid()}-{kind}.json"
    # When the provider sent it: a replayed call keeps the time it first arrived (SPEC §9a).
    received_at = datetime.fromtimestamp(received_ns / 1e9, timezone.utc).replace(tzinfo=None)
    payload = {"kind": kind, "params": dict(params.items()), "query": dict(query.items()),
               "received_at": received_at.isoformat()}
    with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".tmp-", delete=False) as handle:
        json.dump(payload, handle)
        handle.flush()
        os.fsync(handle.fileno())
    final = folder / name
    os.replace(handle.name, final)
    return final


def pending(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))


@contextmanager
def _replay_lock(folder: Path) -> Iterator[bool]:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _received_at(event: dict, path: Path) -> datetime:
    if event.get("received_at"):
        return datetime.fromisoformat(event["received_at"])
    # Spooled before the time was written down: the file's name starts with it, in nanoseconds.
    return datetime.fromtimestamp(int(path.name.split("-", 1)[0]) / 1e9, timezone.utc).replace(tzinfo=None)


def replay(folder: str | Path, apply: Callable[[str, dict, dict, datetime], None]) -> tuple[int, int]:
    """Apply every spooled event in order; stops at the first failure so order is kept.

    Returns (replayed, left). `apply(kind, params, query, received_at)` raises when the database is
    still down; `received_at` is when the provider sent the event (naive UTC).
    """
    folder = Path(folder)
    done = 0
    with _replay_lock(folder) as locked:
        if not locked:
            return 0, len(pending(folder))
        for path in pending(folder):
            try:
                event = json.loads(path.read_text())
                received_at = _received_at(event, path)
            except (OSError, ValueError):
                log.error("unreadable spool file set aside", extra={"spool_file": path.name})
                path.rename(path.with_suffix(".bad"))
                continue
            apply(event["kind"], event["params"], event.get("query", {}), received_at)
            path.unlink()
            done += 1
    return done, len(pending(folder))
