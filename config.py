"""Configuration, read from the environment (or a `.env` file) once, when the app is created.

`create_app()` picks the class named by ``KNOWNCALLER_ENV`` (development, production, testing).
Secrets that are missing in development are generated once into ``instance/`` by the factory, so
signature validation is never switched off; production refuses to start without them.
"""
from __future__ import annotations

import os


def _database_url(raw: str | None) -> str | None:
    """Accept the URLs people paste from hosting dashboards and route them to psycopg 3."""
    if not raw:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, got {value!r}") from exc


def _bool(name: str, default: bool) -> bool:
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise RuntimeError(f"{name} must be true or false, got {value!r}")


def _fraction(name: str, default: float) -> float:
    """A target written as a fraction (0.8) or a percentage (80, 80%; "1%" is 1 %, "1" is all)."""
    raw = (os.environ.get(name) or "").strip()
    percent = raw.endswith("%")
    value = raw.rstrip("%").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a percentage (80, 80%) or a fraction (0.8), got {value!r}") from exc
    number = number / 100 if percent or number > 1 else number
    if not 0 < number <= 1:
        raise RuntimeError(f"{name} must be between 0 and 100 %, got {os.environ.get(name)!r}")
    return number


DEFAULT_DISPOSITIONS = (
    "resolved,follow-up needed,complaint opened,information given,transferred,wrong number,no action"
)
DEFAULT_COMPLAINT_SLA_HOURS = "low=168,medium=72,high=24,critical=4"
# The width of calls.disposition: a longer configured disposition could never be saved.
MAX_DISPOSITION_LENGTH = 50


def _dispositions(raw: str | None) -> tuple[str, ...]:
    """DISPOSITIONS="resolved,follow-up needed,...": the wrap-up choices, in the order agents see them."""
    items: list[str] = []
    for item in (raw if raw and raw.strip() else DEFAULT_DISPOSITIONS).split(","):
        item = item.strip()
        if not item or item in items:
            continue
        if len(item) > MAX_DISPOSITION_LENGTH:
            raise RuntimeError(f"DISPOSITIONS: {item!r} is longer than {MAX_DISPOSITION_LENGTH} characters")
        items.append(item)
    return tuple(items)


def _sla_hours(raw: str | None) -> dict[str, int]:
    """COMPLAINT_SLA_HOURS="high=24,critical=4": hours until a new complaint is due, per severity.

    Severities left out keep their default, so one can be tuned without restating the others.
    """
    hours = {}
    for text in (DEFAULT_COMPLAINT_SLA_HOURS, raw or ""):
        for pair in text.split(","):
            if not pair.strip():
                continue
            severity, sep, value = pair.partition("=")
            severity = severity.strip().lower()
            if not sep or severity not in ("low", "medium", "high", "critical"):
                raise RuntimeError(
                    f"COMPLAINT_SLA_HOURS: {pair.strip()!r} is not severity=hours "
                    "(severity one of low, medium, high, critical)"
                )
            try:
                hours[severity] = int(value)
            except ValueError:
                raise RuntimeError(f"COMPLAINT_SLA_HOURS: hours for {severity} must be a whole number, "
                                   f"got {value.strip()!r}") from None
            if hours[severity] <= 0:
                raise RuntimeError(f"COMPLAINT_SLA_HOURS: hours for {severity} must be positive")
    return hours


class Config:
    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
    # The queue channel: installations (or test runs) sharing one Redis keep their pops apart.
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL") or "knowncaller"

    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN")
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID") or None
    # The provider's REST API (SMS surveys, queue moves, callbacks); a Twilio-compatible provider or
    # a local stand-in elsewhere. TWILIO_CALLER_ID is the number outbound calls and SMS come from.
    TWILIO_API_BASE_URL = (os.environ.get("TWILIO_API_BASE_URL") or "https://api.twilio.com").rstrip("/")
    TWILIO_CALLER_ID = os.environ.get("TWILIO_CALLER_ID") or None
    # The browser phone (SPEC §13): an API key and its secret sign the agents' access tokens; the
    # TwiML App (Voice URL /twilio/client-voice) carries the calls an agent places from the browser.
    TWILIO_API_KEY = os.environ.get("TWILIO_API_KEY") or None
    TWILIO_API_SECRET = os.environ.get("TWILIO_API_SECRET") or None
    TWILIO_TWIML_APP_SID = os.environ.get("TWILIO_TWIML_APP_SID") or None
    VOICE_TOKEN_TTL_SECONDS = _int("VOICE_TOKEN_TTL_SECONDS", 3600)
    # Agents see callers' numbers masked ((415) •••-••00); supervisors and admins see them whole.
    MASK_NUMBERS = _bool("MASK_NUMBERS", False)
    PUBLIC_BASE_URL = (os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None
    DEFAULT_REGION = (os.environ.get("DEFAULT_REGION") or "US").upper()
    # How many reverse proxies sit in front of the app; their X-Forwarded-* headers are trusted.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

    # Routing: how long agents' phones ring, and where a call goes when nobody answers.
    DIAL_TIMEOUT_SECONDS = _int("DIAL_TIMEOUT_SECONDS", 20)
    # How many agents ring at once for one call (Twilio allows at most 10 in one <Dial>).
    DIAL_MAX_AGENTS = _int("DIAL_MAX_AGENTS", 10)
    FALLBACK_NUMBER = os.environ.get("FALLBACK_NUMBER") or None
    VOICEMAIL_GREETING = os.environ.get(
        "VOICEMAIL_GREETING",
        "Thank you for calling. All our agents are busy. Please leave a message after the tone.",
    )
    VOICEMAIL_MAX_SECONDS = _int("VOICEMAIL_MAX_SECONDS", 120)
    # Routing (SPEC §11): an agent is offered no call for this long after one ends, unless they
    # wrapped it up sooner; a returning caller rings the agent who knows them alone this long first.
    WRAPUP_SECONDS = _int("WRAPUP_SECONDS", 60)
    KNOWN_AGENT_DAYS = _int("KNOWN_AGENT_DAYS", 30)
    KNOWN_AGENT_RING_SECONDS = _int("KNOWN_AGENT_RING_SECONDS", 12)
    # The queue: callers wait at most this long before voicemail; a move to an agent that the
    # provider's REST API refused is tried again after QUEUE_RETRY_SECONDS.
    QUEUE_MAX_WAIT_SECONDS = _int("QUEUE_MAX_WAIT_SECONDS", 300)
    QUEUE_RETRY_SECONDS = _int("QUEUE_RETRY_SECONDS", 3)
    QUEUE_NAME = os.environ.get("QUEUE_NAME") or "support"
    # Browsers offer per-message compression on every websocket; accepting it costs the server
    # ~1.6-1.9x more CPU per message (docs/BENCHMARK.md) for pops of a few kB on a LAN.
    WEBSOCKET_COMPRESSION = _bool("WEBSOCKET_COMPRESSION", False)

    # The caller lookup may take this long on PostgreSQL before the call is routed without it.
    LOOKUP_TIMEOUT_MS = _int("LOOKUP_TIMEOUT_MS", 1500)
    # How long to wait for a database connection (connect, or a free one in the pool).
    DB_CONNECT_TIMEOUT_SECONDS = _int("DB_CONNECT_TIMEOUT_SECONDS", 2)
    # Provider events that could not be stored wait here until the database is back.
    SPOOL_DIR = os.environ.get("SPOOL_DIR") or None  # default: instance/spool
    SPOOL_RETRY_SECONDS = _int("SPOOL_RETRY_SECONDS", 2)
    # A status or voicemail callback for a call not stored yet waits this long for it (SPEC §9a).
    ORPHAN_EVENT_MINUTES = _int("ORPHAN_EVENT_MINUTES", 10)

    # An agent is online while one of their desktops has sent a heartbeat this recently.
    PRESENCE_TTL_SECONDS = _int("PRESENCE_TTL_SECONDS", 90)
    # A call with no final status after this long is no longer replayed as active.
    STALE_CALL_HOURS = _int("STALE_CALL_HOURS", 4)
    # A call still ringing or queued with no news from the provider this long is asked about at the
    # provider's REST API; what it cannot settle a supervisor may close (SPEC §3, "no ghost calls").
    RING_STALE_SECONDS = _int("RING_STALE_SECONDS", 120)
    # An agent's ended calls without a disposition are offered for wrap-up this long (SPEC §9a).
    WRAPUP_WINDOW_HOURS = _int("WRAPUP_WINDOW_HOURS", 24)
    # A follow-up (a voicemail to return, first) is due this long after it opens (SPEC §10).
    FOLLOW_UP_HOURS = _int("FOLLOW_UP_HOURS", 24)

    # The service loop (SPEC §10): how callers are asked, how often, and how long a reply counts.
    SURVEY_MODE = (os.environ.get("SURVEY_MODE") or "ivr").strip().lower()  # ivr | sms | off
    SURVEY_MIN_DAYS = _int("SURVEY_MIN_DAYS", 7)
    SURVEY_REPLY_HOURS = _int("SURVEY_REPLY_HOURS", 48)
    # How long an SMS survey may wait for the provider's REST API before it is marked failed.
    SURVEY_SEND_TIMEOUT_SECONDS = _int("SURVEY_SEND_TIMEOUT_SECONDS", 10)
    # The customer's ladder: loyal after this many answered calls spread over this many days; a
    # call within REPEAT_CALL_HOURS of an earlier one is a repeat.
    LOYAL_MIN_CALLS = _int("LOYAL_MIN_CALLS", 3)
    LOYAL_MIN_DAYS = _int("LOYAL_MIN_DAYS", 30)
    REPEAT_CALL_HOURS = _int("REPEAT_CALL_HOURS", 24)
    API_TOKEN_TTL_HOURS = _int("API_TOKEN_TTL_HOURS", 12)

    # The supervisor's view (SPEC §12): a call answered within SERVICE_LEVEL_SECONDS of arriving is
    # in service level; the dashboard marks SERVICE_LEVEL_TARGET (80 % = 80 of 100 such calls).
    # Gold and VIP customers nobody has spoken to for CARE_SILENCE_DAYS join the care list.
    SERVICE_LEVEL_SECONDS = _int("SERVICE_LEVEL_SECONDS", 20)
    SERVICE_LEVEL_TARGET = _fraction("SERVICE_LEVEL_TARGET", 0.8)
    CARE_SILENCE_DAYS = _int("CARE_SILENCE_DAYS", 90)

    # Working the call: the wrap-up dispositions agents choose from, and when a complaint is due.
    DISPOSITIONS = _dispositions(os.environ.get("DISPOSITIONS"))
    COMPLAINT_SLA_HOURS = _sla_hours(os.environ.get("COMPLAINT_SLA_HOURS"))

    # A browser login ends after this long without a request or a desktop heartbeat.
    SESSION_IDLE_MINUTES = _int("SESSION_IDLE_MINUTES", 60)
    # How often each process looks for sockets whose login or token has ended, and closes them.
    SOCKET_RECHECK_SECONDS = _int("SOCKET_RECHECK_SECONDS", 20)
    # The database connections the desktops' own socket work (connect, heartbeat, disconnect, the
    # status they announce) may hold at once, per process: a storm of reconnecting desktops waits
    # its turn, and the rest of the pool stays free for calls.
    DESKTOP_DB_CONNECTIONS = _int("DESKTOP_DB_CONNECTIONS", 4)
    # Failed logins allowed per LOGIN_WINDOW_MINUTES, per username and per client address.
    LOGIN_MAX_FAILURES_PER_USER = _int("LOGIN_MAX_FAILURES_PER_USER", 5)
    LOGIN_MAX_FAILURES_PER_IP = _int("LOGIN_MAX_FAILURES_PER_IP", 20)
    LOGIN_WINDOW_MINUTES = _int("LOGIN_WINDOW_MINUTES", 15)

    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    API_TITLE = "KnownCaller API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "test-secret-key"
    TWILIO_AUTH_TOKEN = "test-auth-token-0123456789abcdef"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None) -> type[Config]:
    name = (name or os.environ.get("KNOWNCALLER_ENV") or "development").lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"KNOWNCALLER_ENV must be one of {sorted(CONFIGS)}, got {name!r}") from None
