"""What the service-loop tests share: playing an answered call, reading TwiML, reading back surveys."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlalchemy import select

from app.extensions import db
from app.models import Call, FollowUp, Survey
from tests.support.provider import ACCOUNT_SID, new_call_sid, status_params, twiml_of  # noqa: F401  (the care tests take it from here)


def tags(root: ET.Element) -> list[str]:
    return [element.tag for element in root]


def answered_call(provider, agent_id: int, from_: str = "+14155550100", **voice) -> str:
    """An inbound call an agent's phone answered (its agent leg in progress): the call's sid."""
    call_sid, response = provider.call(from_=from_, **voice)
    assert response.status_code == 200
    leg = status_params(new_call_sid(), "in-progress", ParentCallSid=call_sid)
    assert provider.post(f"/twilio/status?agent={agent_id}", leg).status_code == 200
    return call_sid


def dial_result(provider, call_sid: str, *, dial_status: str = "completed", call_status: str = "in-progress"):
    """The provider reports the agents' <Dial> finished (DialCallStatus), the caller's leg in CallStatus."""
    return provider.post("/twilio/dial-result", dict(status_params(call_sid, call_status),
                                                     DialCallStatus=dial_status))


def press(provider, call_sid: str, digits: str, attempt: int = 1):
    """The caller pressed `digits` after the survey question asked for the `attempt`th time."""
    return provider.post(f"/twilio/survey?attempt={attempt}",
                         {"CallSid": call_sid, "AccountSid": ACCOUNT_SID, "Digits": digits, "CallStatus": "in-progress"})


def sms_params(from_: str, body: str, to: str = "+18005550199") -> dict[str, str]:
    """An incoming SMS webhook's fields, as Twilio sends them."""
    return {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "MessageSid": "SM" + new_call_sid()[2:],
            "SmsSid": "SM" + new_call_sid()[2:], "From": from_, "To": to, "Body": body, "NumMedia": "0",
            "NumSegments": "1", "SmsStatus": "received", "FromCountry": "US", "ToCountry": "US"}


def survey_of(call_sid: str) -> Survey | None:
    db.session.rollback()  # read what other requests committed
    return db.session.scalar(select(Survey).join(Call, Survey.call_id == Call.id).where(Call.call_sid == call_sid))


def call_of(call_sid: str) -> Call:
    db.session.rollback()
    return db.session.scalar(select(Call).where(Call.call_sid == call_sid))


def follow_ups_of(call_sid: str, reason: str | None = None) -> list[FollowUp]:
    db.session.rollback()
    stmt = select(FollowUp).join(Call, FollowUp.call_id == Call.id).where(Call.call_sid == call_sid)
    if reason is not None:
        stmt = stmt.where(FollowUp.reason == reason)
    return list(db.session.scalars(stmt))


def all_surveys() -> list[Survey]:
    db.session.rollback()
    return list(db.session.scalars(select(Survey).order_by(Survey.id)))
