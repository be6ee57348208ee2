"""KnownCaller: recognise the caller, pop them on every agent's screen, route the call."""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from app import settings
from config import config_for


def create_app(config_name: str | None = None, **overrides) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_for(config_name))
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure_secrets(app)
    app.config["SPOOL_DIR"] = app.config.get("SPOOL_DIR") or os.path.join(app.instance_path, "spool")
    settings.install(app)  # read once, from here on
    configure_database(app)
    configure_logging(app)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    configure_websockets(app)
    # Outermost, so Socket.IO's own middleware sees the forwarded scheme and host too.
    configure_proxies(app)

    from app.services.phone_numbers import load_metadata

    load_metadata()
    resume_spool_replay(app)
    return app


def configure_websockets(app: Flask) -> None:
    from app.realtime import events, websocket

    websocket.configure(app)
    events.install_desktop_gate(app)


def resume_spool_replay(app: Flask) -> None:
    """Provider events spooled before a restart are replayed in the background."""
    from app.services.calls import provider_events, spool

    if spool.pending(app.config["SPOOL_DIR"]):
        provider_events.ensure_replay_running(app)


def _instance_secret(app: Flask, filename: str) -> str:
    """A secret generated once into instance/ for development, kept across restarts."""
    path = Path(app.instance_path) / filename
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def configure_secrets(app: Flask) -> None:
    for key, filename in (("SECRET_KEY", "secret_key"), ("TWILIO_AUTH_TOKEN", "twilio_auth_token")):
        if app.config.get(key):
            continue
        if app.config["ENV_NAME"] == "production":
            raise RuntimeError(f"{key} must be set in production")
        app.config[key] = _instance_secret(app, filename)


def configure_database(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "knowncaller.db")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        # Socket handlers and webhooks run on many threads; SQLite waits instead of failing.
        options.setdefault("connect_args", {"check_same_thread": False, "timeout": 15})
    elif uri.startswith("postgresql"):
        # Fail fast: a webhook must answer the provider even when the database is unreachable.
        timeout = app.config["DB_CONNECT_TIMEOUT_SECONDS"]
        options.setdefault("connect_args", {"connect_timeout": timeout})
        options.setdefault("pool_timeout", timeout)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def configure_logging(app: Flask) -> None:
    from app.logs import configure_logging as configure
    from app.logs import mask_numbers_in_logs

    configure()
    if settings.settings(app).privacy.mask_numbers:
        mask_numbers_in_logs(settings.settings(app).calls.region)


def configure_proxies(app: Flask) -> None:
    hops = app.config.get("TRUSTED_PROXIES") or 0
    if app.config.get("PUBLIC_BASE_URL") and hops == 0:
        # Behind a proxy every request seems to come from the proxy: login throttling per address
        # then counts the whole floor as one address, and the audit names the proxy.
        logging.getLogger(__name__).warning(
            "PUBLIC_BASE_URL is set but TRUSTED_PROXIES is 0: if a proxy or load balancer forwards "
            "requests, set TRUSTED_PROXIES to the number of proxies, or every client looks like the "
            "proxy's address (one failed-login count for everyone)")
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (tables must be known before migrate sees them)
    from app.extensions import csrf, db, login, migrate, socketio
    from app.services.calls import neighbours

    db.init_app(app)
    neighbours.keep_linked()  # every inbound call stored knows its caller's previous and next call
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    migrate.init_app(
        app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    login.init_app(app)
    login.login_view = "auth.login"

    @login.user_loader
    def load_user(user_id: str):
        # The signed cookie names a server-side login session; it must still be open and active.
        from flask import session

        from app.models import utcnow
        from app.services.people import sessions

        try:
            return sessions.resolve(session.get("login_secret"), int(user_id), app.config["SESSION_IDLE_MINUTES"],
                                   now=utcnow())
        except ValueError:
            return None

    # Handlers must be registered before init_app, which copies them onto each new server;
    # imported later, they would bind only to the first app's server and leave later ones open.
    from app.realtime import events  # noqa: F401

    # cors_allowed_origins left unset: Socket.IO accepts only same-origin browsers.
    # client_manager is always passed: Flask-SocketIO keeps options between init_app calls.
    socketio.init_app(
        app,
        client_manager=_message_queue(app),
        async_mode="threading",
        transports=["websocket", "polling"],
    )


def _message_queue(app: Flask):
    """The Redis manager shared by all processes, or None for a single process."""
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if not url:
        return None
    if not url.startswith(("redis://", "rediss://")):
        raise RuntimeError(f"SOCKETIO_MESSAGE_QUEUE must be a redis:// or rediss:// URL, got {url.split('://')[0]}://…")
    from app.realtime.push import resync_local_desktops
    from app.realtime.queue import ResilientRedisManager

    return ResilientRedisManager(
        url,
        channel=app.config["SOCKETIO_CHANNEL"],
        redis_options={"socket_connect_timeout": 1, "socket_timeout": 2, "health_check_interval": 5},
        on_loss=resync_local_desktops,
    )


def register_blueprints(app: Flask) -> None:
    """One blueprint per audience: the provider, logins, agents, supervisors, admins, the API."""
    from app import client_constants, pages
    from app.admin import bp as admin_bp
    from app.agent import bp as agent_bp
    from app.api import register_api
    from app.auth import bp as auth_bp
    from app.converters import IdConverter
    from app.extensions import csrf
    from app.supervisor import bp as supervisor_bp
    from app.webhooks import bp as webhooks_bp

    app.url_map.converters["id"] = IdConverter  # before any route with <id:…> is added
    app.context_processor(pages.navigation)
    client_constants.register(app)
    csrf.exempt(webhooks_bp)  # the provider signs its requests instead
    for bp in (webhooks_bp, auth_bp, agent_bp, supervisor_bp, admin_bp):
        app.register_blueprint(bp)
    register_api(app)


def register_errorhandlers(app: Flask) -> None:
    from app.errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)
