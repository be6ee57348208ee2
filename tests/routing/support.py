"""Shared by the routing tests: desktops that count as online, and reading the TwiML answers."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AgentPresence, Call, utcnow
from tests.support.provider import dialled as dialled_noun


def online(*users, seen_seconds_ago: int = 1) -> None:
    """A desktop socket row for each user, heard from just now (routing counts them online)."""
    seen = utcnow() - timedelta(seconds=seen_seconds_ago)
    for user in users:
        db.session.add(AgentPresence(sid=f"s-{user.id}-{uuid.uuid4().hex[:8]}", user_id=user.id,
                                     connected_at=seen, last_seen_at=seen))
    db.session.commit()


def xml(response) -> ET.Element:
    text = response.get_data(as_text=True) if hasattr(response, "get_data") else response.text
    assert response.status_code == 200, text
    assert response.headers["Content-Type"].startswith("text/xml")
    return ET.fromstring(text)


def dialled(root: ET.Element) -> list[str]:
    """The identities (or numbers) the <Dial> rings."""
    (dial,) = [el for el in root if el.tag == "Dial"]
    return [dialled_noun(noun) for noun in dial]


def call_row(call_sid: str) -> Call:
    db.session.rollback()
    return db.session.scalar(select(Call).where(Call.call_sid == call_sid))
