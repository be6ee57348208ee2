"""The browser phone's access token (SPEC §13): GET /api/v1/voice/token, read back with PyJWT the
way Twilio reads it, claim by claim; and the identity it registers is the one calls ring."""
from __future__ import annotations

from datetime import datetime, timezone

import jwt
import pytest

from app.models import isoformat, utcnow
from tests.factories import make_customer
from tests.support.api import assert_error
from tests.support.login import login
from tests.support.provider import ACCOUNT_SID
from tests.support.twilio_api import RunningStandIn

API_KEY = "SK" + "5" * 32
API_SECRET = "browser-phone-secret-0123456789abcdef"
APP_SID = "AP" + "7" * 32
VOICE = dict(TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_API_KEY=API_KEY, TWILIO_API_SECRET=API_SECRET,
             TWILIO_TWIML_APP_SID=APP_SID)
TOKEN_URL = "/api/v1/voice/token"

pytestmark = pytest.mark.app_config(**VOICE)


def decode(token: str) -> tuple[dict, dict]:
    """The token's header and claims, its signature checked with TWILIO_API_SECRET as Twilio does."""
    claims = jwt.decode(token, API_SECRET, algorithms=["HS256"], options={"verify_aud": False})
    return jwt.get_unverified_header(token), claims


def test_a_client_reached_agent_gets_a_twilio_access_token_with_every_claim(api_as):
    ann = api_as("agent", username="ann")
    before = int(utcnow().replace(tzinfo=timezone.utc).timestamp())
    response = ann.get(TOKEN_URL)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert set(body) == {"token", "identity", "expires_at"}
    assert body["identity"] == "ann"
    assert response.headers["Cache-Control"] == "no-store"

    header, claims = decode(body["token"])
    assert header == {"alg": "HS256", "typ": "JWT", "cty": "twilio-fpa;v=1"}
    assert claims["iss"] == API_KEY and claims["sub"] == ACCOUNT_SID
    assert claims["jti"].startswith(API_KEY + "-")
    # Twilio's access tokens carry nbf, not iat: valid from when it was issued, for the default hour.
    assert before <= claims["nbf"] <= before + 5
    assert claims["exp"] - claims["nbf"] == 3600
    assert body["expires_at"] == isoformat(datetime.fromtimestamp(claims["exp"], timezone.utc))
    assert claims["grants"] == {"identity": "ann",
                                "voice": {"incoming": {"allow": True}, "outgoing": {"application_sid": APP_SID}}}


def test_a_wrong_secret_does_not_verify_the_token(api_as):
    token = api_as("agent").get(TOKEN_URL).json["token"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-0123456789abcdef-xyz", algorithms=["HS256"])


def test_the_identity_is_the_client_address_when_one_is_set(api_as):
    desk = api_as("agent", username="bea", reach_kind="client", reach_address="bea_desk_2")
    body = desk.get(TOKEN_URL).json
    assert body["identity"] == "bea_desk_2"
    assert decode(body["token"])[1]["grants"]["identity"] == "bea_desk_2"


@pytest.mark.app_config(VOICE_TOKEN_TTL_SECONDS=600)
def test_the_token_lives_voice_token_ttl_seconds(api_as):
    body = api_as("agent").get(TOKEN_URL).json
    claims = decode(body["token"])[1]
    assert claims["exp"] - claims["nbf"] == 600
    assert body["expires_at"] == isoformat(datetime.fromtimestamp(claims["exp"], timezone.utc))


def test_every_role_reached_in_the_browser_gets_one(api_as):
    for role in ("agent", "supervisor", "admin"):
        api = api_as(role)
        body = api.get(TOKEN_URL).json
        assert body["identity"] == api.user.username, role


def test_the_desktops_login_session_gets_one_too(app, client, api_as):
    ann = api_as("agent", username="ann")
    assert login(client, ann.user).status_code == 302
    response = client.get(TOKEN_URL)
    assert response.status_code == 200
    assert decode(response.json["token"])[1]["grants"]["identity"] == "ann"


def test_without_a_login_there_is_no_token(client):
    assert_error(client.get(TOKEN_URL), 401)


@pytest.mark.parametrize("kind, address", [("phone", "+14155550123"), ("sip", "sip:bob@pbx.example.com")])
def test_a_user_reached_by_phone_or_sip_gets_409(api_as, kind, address):
    bob = api_as("agent", reach_kind=kind, reach_address=address)
    error = assert_error(bob.get(TOKEN_URL), 409, "conflict", field="reach_kind")
    assert kind in error["message"]


@pytest.mark.app_config(TWILIO_ACCOUNT_SID=None, TWILIO_API_KEY=None, TWILIO_API_SECRET=None,
                        TWILIO_TWIML_APP_SID=None)
def test_not_set_up_is_503_naming_every_missing_setting_in_order(api_as):
    error = assert_error(api_as("agent").get(TOKEN_URL), 503, "not_set_up")
    assert error["message"] == ("The browser phone is not set up: TWILIO_ACCOUNT_SID, TWILIO_API_KEY, "
                                "TWILIO_API_SECRET, TWILIO_TWIML_APP_SID are not set")


@pytest.mark.app_config(TWILIO_API_SECRET=None)
def test_one_missing_setting_is_named_alone(api_as):
    error = assert_error(api_as("agent").get(TOKEN_URL), 503, "not_set_up")
    assert error["message"] == "The browser phone is not set up: TWILIO_API_SECRET is not set"


def test_a_deactivated_user_gets_no_further_token(app, client, api_as):
    admin = api_as("admin", username="root")
    mallory = api_as("agent", username="mallory")
    assert login(client, mallory.user).status_code == 302
    assert mallory.get(TOKEN_URL).status_code == 200
    assert client.get(TOKEN_URL).status_code == 200

    assert admin.patch(f"/api/v1/users/{mallory.user.id}", json={"active": False}).status_code == 200
    assert_error(mallory.get(TOKEN_URL), 401)
    assert_error(client.get(TOKEN_URL), 401)


def test_a_callback_rings_the_very_identity_the_token_registers(app_with, api_as):
    """POST /api/v1/callbacks rings a client-reached agent as `client:<identity>`: the browser
    holding their token is what rings, whether the identity is their username or an address."""
    auth_token = "voice-callback-token-0123456789abcd"
    with RunningStandIn(ACCOUNT_SID, auth_token) as rest_api:
        calling = app_with(TWILIO_AUTH_TOKEN=auth_token, TWILIO_API_BASE_URL=rest_api.base_url,
                           TWILIO_CALLER_ID="+18005550199", **VOICE)
        mei = make_customer("Mei Huang", phones=("+14155550188",))
        for username, address in (("ann", None), ("bea", "bea_desk_2")):
            agent = api_as("agent", username=username, reach_kind="client", reach_address=address, app=calling)
            identity = agent.get(TOKEN_URL).json["identity"]
            placed = agent.post("/api/v1/callbacks", json={"customer_id": mei.id})
            assert placed.status_code == 201, placed.get_data(as_text=True)
            assert rest_api.created_calls[-1].value("To") == f"client:{identity}"
            assert identity == (address or username)
