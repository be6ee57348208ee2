"""The provider's REST API seam: the app's twilio client talks real HTTP to TWILIO_API_BASE_URL,
here a local stand-in that answers as Twilio does and records what it was asked."""
from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from app import create_app
from app.services import provider_api
from app.settings import settings
from tests.support.twilio_api import RunningStandIn

ACCOUNT = "AC" + "5" * 32
TOKEN = "stand-in-token-0123456789"


@pytest.fixture
def api():
    with RunningStandIn(ACCOUNT, TOKEN) as stand_in:
        yield stand_in


def client_for(api, **overrides):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", TWILIO_ACCOUNT_SID=ACCOUNT,
                     TWILIO_AUTH_TOKEN=TOKEN, TWILIO_API_BASE_URL=api.base_url, **overrides)
    return provider_api.rest_client(settings(app).provider.account)


def test_a_call_is_fetched_from_the_configured_api_with_the_accounts_credentials(api):
    api.calls["CA" + "1" * 32] = api.call_resource("CA" + "1" * 32, status="in-progress")
    call = client_for(api).calls("CA" + "1" * 32).fetch()
    assert call.status == "in-progress"
    (request,) = api.requests
    assert (request.method, request.path, request.username) == (
        "GET", f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{'CA' + '1' * 32}.json", ACCOUNT)


def test_an_sms_is_posted_as_twilio_expects_a_form(api):
    message = client_for(api).messages.create(to="+14155550100", from_="+18005550199", body="How did we do?")
    assert message.sid.startswith("SM") and message.status == "queued"
    (request,) = api.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert (request.value("To"), request.value("From"), request.value("Body")) == (
        "+14155550100", "+18005550199", "How did we do?")


def test_a_queued_call_is_moved_by_updating_its_url(api):
    sid = "CA" + "2" * 32
    client_for(api).calls(sid).update(url="https://cc.example.com/twilio/voice", method="POST")
    (request,) = api.requests
    assert (request.method, request.value("Url"), request.value("Method")) == (
        "POST", "https://cc.example.com/twilio/voice", "POST")


def test_the_providers_errors_reach_the_caller_as_twilio_errors(api):
    with pytest.raises(TwilioRestException) as missing:
        client_for(api).calls("CA" + "9" * 32).fetch()
    assert missing.value.status == 404 and missing.value.code == 20404
    wrong = provider_api.rest_client(provider_api.ProviderAccount(ACCOUNT, "wrong-token", api.base_url))
    with pytest.raises(TwilioRestException) as refused:
        wrong.calls("CA" + "9" * 32).fetch()
    assert refused.value.status == 401


def test_without_an_account_sid_the_rest_api_says_what_is_missing():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", TWILIO_ACCOUNT_SID=None)
    with pytest.raises(provider_api.ProviderNotConfigured, match="TWILIO_ACCOUNT_SID"):
        provider_api.rest_client(settings(app).provider.account)


def test_a_base_url_that_is_not_http_is_refused_naming_it():
    with pytest.raises(ValueError, match="ftp://example.com"):
        provider_api.rest_client(provider_api.ProviderAccount(ACCOUNT, TOKEN, "ftp://example.com"))
