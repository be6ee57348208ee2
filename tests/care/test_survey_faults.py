"""A survey answer is never lost (SPEC §9a, §10): pressed on the line or texted while the database is
down, it is spooled like any provider event and applied when the database is back."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import FollowUp, Survey, utcnow
from app.services.care import wording
from tests.care.support import answered_call, dial_result, press, sms_params, survey_of, tags, twiml_of
from tests.factories import make_call, make_customer, make_user
from tests.support import services
from tests.support.provider import Provider, new_call_sid
from tests.support.sockets import wait_until


@pytest.fixture
def postgres_behind_proxy(tmp_path):
    """An app on a fresh PostgreSQL database reached through a relay the test can cut."""
    with services.postgres_behind_proxy(tmp_path / "spool", SPOOL_RETRY_SECONDS=0.5) as (app, proxy):
        yield app, proxy, tmp_path / "spool"


@pytest.mark.postgres
def test_answers_given_while_the_database_is_down_are_applied_when_it_is_back(postgres_behind_proxy):
    app, proxy, spool = postgres_behind_proxy
    provider = Provider.of(app)
    with app.app_context():
        ann = make_user("ann")
        ann_id = ann.id
        make_customer("Alice Wong", phones=("+14155550100",))
        bo = make_customer("Bo Chan", phones=("+14155550111",))
        # Bo was texted the question an hour ago.
        sent_at = utcnow() - timedelta(hours=1)
        texted = make_call(new_call_sid(), bo, ann, status="completed", from_e164="+14155550111", started_at=sent_at,
                           connected_at=sent_at)
        db.session.add(Survey(call=texted, customer_id=bo.id, agent_id=ann.id, channel="sms", to_e164="+14155550111",
                              status="sent", created_at=sent_at, sent_at=sent_at))
        db.session.commit()
        texted_sid = texted.call_sid
        call_sid = answered_call(provider, ann.id)
        assert "Gather" in tags(twiml_of(dial_result(provider, call_sid)))

    proxy.cut()
    thanked = twiml_of(press(provider, call_sid, "3"))
    assert tags(thanked) == ["Say", "Hangup"] and thanked.find("Say").text == wording.WORDINGS["en"].thanks
    answered_by_text = twiml_of(provider.post("/twilio/sms", sms_params("+14155550111", "8")))
    assert tags(answered_by_text) in ([], ["Message"])
    assert len(list(spool.glob("*.json"))) == 2

    proxy.restore()
    with app.app_context():
        assert wait_until(lambda: (s := survey_of(call_sid)) is not None and s.status == "answered", timeout=15)
        survey = survey_of(call_sid)
        assert survey.score == 3
        follow_up = db.session.scalar(select(FollowUp).where(FollowUp.call_id == survey.call_id))
        assert (follow_up.reason, follow_up.owner_id) == ("detractor", ann_id)
        assert wait_until(lambda: survey_of(texted_sid).status == "answered", timeout=15)
        assert survey_of(texted_sid).score == 8
    assert wait_until(lambda: list(spool.glob("*.json")) == [], timeout=5)


@pytest.mark.postgres
def test_a_dial_result_while_the_database_is_down_thanks_the_caller(postgres_behind_proxy):
    app, proxy, _ = postgres_behind_proxy
    provider = Provider.of(app)
    with app.app_context():
        ann = make_user("ann")
        call_sid = answered_call(provider, ann.id)
    proxy.cut()
    root = twiml_of(dial_result(provider, call_sid))
    assert tags(root) == ["Say", "Hangup"] and root.find("Say").text == wording.WORDINGS["en"].goodbye
