"""The app's settings, read once from its config when the app is created, as small typed objects
per domain. Code asks `settings()` (inside an app context) instead of looking names up in
`current_app.config`; `config.py` says where each value comes from and what it defaults to.

Framework and infrastructure settings (database, message queue, cookies, CSRF) stay in the Flask
config, where Flask and its extensions read them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Mapping

from flask import Flask, current_app

from app.services.people.sessions import Throttle
from app.services.provider_api import TWILIO_API_BASE_URL, ProviderAccount

EXTENSION_KEY = "knowncaller.settings"
# A browser import larger than this is refused; IMPORT_MAX_BYTES overrides it.
DEFAULT_IMPORT_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class CallSettings:
    """Recognising callers, popping calls, and keeping provider events."""

    region: str  # DEFAULT_REGION: how numbers without a country code are read
    presence_ttl_seconds: int
    stale_call_hours: int
    ring_stale_seconds: int
    wrapup_window_hours: int
    follow_up_hours: int
    lookup_timeout_ms: int
    dispositions: tuple[str, ...]
    spool_dir: str
    spool_retry_seconds: int
    orphan_event_minutes: int


@dataclass(frozen=True)
class RoutingSettings:
    """Whose phones ring, for how long, and where a call goes when nobody answers."""

    dial_timeout_seconds: int
    dial_max_agents: int
    fallback_number: str | None
    voicemail_greeting: str
    voicemail_max_seconds: int
    wrapup_seconds: int  # WRAPUP_SECONDS: no call offered this long after one ends, unless wrapped up
    known_agent_days: int
    known_agent_ring_seconds: int
    queue_max_wait_seconds: int
    queue_retry_seconds: int
    queue_name: str


@dataclass(frozen=True)
class ProviderSettings:
    """The telephony provider: webhook signatures, the account, its REST API."""

    auth_token: str
    account_sid: str | None
    public_base_url: str | None
    api_base_url: str
    caller_id: str | None
    voice: "VoiceSettings"

    @property
    def account(self) -> ProviderAccount:
        return ProviderAccount(self.account_sid, self.auth_token, self.api_base_url)


MAX_VOICE_TOKEN_TTL_SECONDS = 86400  # Twilio's own limit for an access token


@dataclass(frozen=True)
class VoiceSettings:
    """The browser phone (SPEC §13): what signs the agents' access tokens, and for how long."""

    api_key: str | None  # TWILIO_API_KEY (SK...)
    api_secret: str | None  # TWILIO_API_SECRET
    twiml_app_sid: str | None  # TWILIO_TWIML_APP_SID (AP...), Voice URL /twilio/client-voice
    token_ttl_seconds: int  # VOICE_TOKEN_TTL_SECONDS, 1 .. 86400

    def missing(self, account_sid: str | None) -> list[str]:
        """The settings the browser phone still needs, in the order to set them."""
        wanted = (("TWILIO_ACCOUNT_SID", account_sid), ("TWILIO_API_KEY", self.api_key),
                  ("TWILIO_API_SECRET", self.api_secret), ("TWILIO_TWIML_APP_SID", self.twiml_app_sid))
        return [name for name, value in wanted if not value]


SURVEY_MODES = ("ivr", "sms", "off")


@dataclass(frozen=True)
class CareSettings:
    """The service loop (SPEC §10): surveys, follow-ups, and the customer's ladder."""

    survey_mode: str  # SURVEY_MODE: ivr (ask on the line), sms (text them), off
    survey_min_days: int
    survey_reply_hours: int
    survey_send_timeout_seconds: int
    follow_up_hours: int
    loyal_min_calls: int
    loyal_min_days: int
    repeat_call_hours: int


@dataclass(frozen=True)
class InsightSettings:
    """The supervisor's view (SPEC §12): what the figures count, the target, the care list."""

    service_level_seconds: int
    service_level_target: float  # a fraction: 0.8 for 80 %
    wrapup_seconds: int
    repeat_call_hours: int
    care_silence_days: int

    @property
    def definitions(self):
        from app.services.insight.metrics import Definitions

        return Definitions(self.service_level_seconds, self.wrapup_seconds, self.repeat_call_hours)


@dataclass(frozen=True)
class CustomerSettings:
    region: str
    complaint_sla_hours: Mapping[str, int]
    import_max_bytes: int


@dataclass(frozen=True)
class PeopleSettings:
    session_idle_minutes: int
    socket_recheck_seconds: int
    desktop_db_connections: int  # DESKTOP_DB_CONNECTIONS: the sockets' own database work, at once
    api_token_ttl_hours: int
    login_throttle: Throttle


@dataclass(frozen=True)
class PrivacySettings:
    mask_numbers: bool  # MASK_NUMBERS: agents see callers' numbers masked (SPEC §13)


def _at_least_one(name: str, value: int) -> int:
    if value < 1:
        raise RuntimeError(f"{name} must be at least 1, got {value}")
    return value


def _voice_settings(config: Mapping) -> VoiceSettings:
    ttl = int(config.get("VOICE_TOKEN_TTL_SECONDS") or 3600)
    if not 0 < ttl <= MAX_VOICE_TOKEN_TTL_SECONDS:
        raise RuntimeError(f"VOICE_TOKEN_TTL_SECONDS must be between 1 and {MAX_VOICE_TOKEN_TTL_SECONDS}, got {ttl}")
    return VoiceSettings(api_key=config.get("TWILIO_API_KEY"), api_secret=config.get("TWILIO_API_SECRET"),
                         twiml_app_sid=config.get("TWILIO_TWIML_APP_SID"), token_ttl_seconds=ttl)


@dataclass(frozen=True)
class Settings:
    calls: CallSettings
    routing: RoutingSettings
    provider: ProviderSettings
    customers: CustomerSettings
    people: PeopleSettings
    care: CareSettings
    insight: InsightSettings
    privacy: PrivacySettings

    @classmethod
    def from_config(cls, config: Mapping) -> "Settings":
        region = config["DEFAULT_REGION"]
        survey_mode = config["SURVEY_MODE"]
        if survey_mode not in SURVEY_MODES:
            raise RuntimeError(f"SURVEY_MODE must be one of {', '.join(SURVEY_MODES)}, got {survey_mode!r}")
        return cls(
            calls=CallSettings(
                region=region,
                presence_ttl_seconds=config["PRESENCE_TTL_SECONDS"],
                stale_call_hours=config["STALE_CALL_HOURS"],
                ring_stale_seconds=config["RING_STALE_SECONDS"],
                wrapup_window_hours=config["WRAPUP_WINDOW_HOURS"],
                follow_up_hours=config["FOLLOW_UP_HOURS"],
                lookup_timeout_ms=int(config["LOOKUP_TIMEOUT_MS"]),
                dispositions=tuple(config["DISPOSITIONS"]),
                spool_dir=config["SPOOL_DIR"],
                spool_retry_seconds=config["SPOOL_RETRY_SECONDS"],
                orphan_event_minutes=config["ORPHAN_EVENT_MINUTES"],
            ),
            routing=RoutingSettings(
                dial_timeout_seconds=config["DIAL_TIMEOUT_SECONDS"],
                dial_max_agents=config["DIAL_MAX_AGENTS"],
                fallback_number=config.get("FALLBACK_NUMBER"),
                voicemail_greeting=config["VOICEMAIL_GREETING"],
                voicemail_max_seconds=config["VOICEMAIL_MAX_SECONDS"],
                wrapup_seconds=config["WRAPUP_SECONDS"],
                known_agent_days=config["KNOWN_AGENT_DAYS"],
                known_agent_ring_seconds=config["KNOWN_AGENT_RING_SECONDS"],
                queue_max_wait_seconds=config["QUEUE_MAX_WAIT_SECONDS"],
                queue_retry_seconds=config["QUEUE_RETRY_SECONDS"],
                queue_name=config["QUEUE_NAME"],
            ),
            provider=ProviderSettings(
                auth_token=config["TWILIO_AUTH_TOKEN"],
                account_sid=config.get("TWILIO_ACCOUNT_SID"),
                public_base_url=config.get("PUBLIC_BASE_URL"),
                api_base_url=config.get("TWILIO_API_BASE_URL") or TWILIO_API_BASE_URL,
                caller_id=config.get("TWILIO_CALLER_ID"),
                voice=_voice_settings(config),
            ),
            customers=CustomerSettings(
                region=region,
                complaint_sla_hours=MappingProxyType(dict(config["COMPLAINT_SLA_HOURS"])),
                import_max_bytes=config.get("IMPORT_MAX_BYTES") or DEFAULT_IMPORT_MAX_BYTES,
            ),
            people=PeopleSettings(
                session_idle_minutes=config["SESSION_IDLE_MINUTES"],
                socket_recheck_seconds=config["SOCKET_RECHECK_SECONDS"],
                desktop_db_connections=_at_least_one("DESKTOP_DB_CONNECTIONS", config["DESKTOP_DB_CONNECTIONS"]),
                api_token_ttl_hours=config["API_TOKEN_TTL_HOURS"],
                login_throttle=Throttle(
                    per_user=config["LOGIN_MAX_FAILURES_PER_USER"], per_ip=config["LOGIN_MAX_FAILURES_PER_IP"],
                    window=timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])),
            ),
            care=CareSettings(
                survey_mode=survey_mode,
                survey_min_days=config["SURVEY_MIN_DAYS"],
                survey_reply_hours=config["SURVEY_REPLY_HOURS"],
                survey_send_timeout_seconds=config["SURVEY_SEND_TIMEOUT_SECONDS"],
                follow_up_hours=config["FOLLOW_UP_HOURS"],
                loyal_min_calls=config["LOYAL_MIN_CALLS"],
                loyal_min_days=config["LOYAL_MIN_DAYS"],
                repeat_call_hours=config["REPEAT_CALL_HOURS"],
            ),
            insight=InsightSettings(
                service_level_seconds=config["SERVICE_LEVEL_SECONDS"],
                service_level_target=config["SERVICE_LEVEL_TARGET"],
                wrapup_seconds=config["WRAPUP_SECONDS"],
                repeat_call_hours=config["REPEAT_CALL_HOURS"],
                care_silence_days=config["CARE_SILENCE_DAYS"],
            ),
            privacy=PrivacySettings(mask_numbers=bool(config.get("MASK_NUMBERS", False))),
        )


def install(app: Flask) -> Settings:
    """Read the app's settings once (create_app calls this after the config is complete)."""
    app.extensions[EXTENSION_KEY] = Settings.from_config(app.config)
    return app.extensions[EXTENSION_KEY]


def settings(app: Flask | None = None) -> Settings:
    """The settings of `app`, or of the current app (inside an app context)."""
    return (app or current_app).extensions[EXTENSION_KEY]
