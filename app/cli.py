"""flask commands: `users create`, `seed-demo`, `ensure-demo-agent`, `simulate-call`; the customer
CSV commands (`import-customers`, `export-customers`) live in `app/cli_customers.py`.

Each command is a thin shell around a service: it reads options, calls the service, and turns
domain errors into a one-line message and a non-zero exit code.
"""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from app.devtools import demo_data
from app.devtools.simulator import (
    ACCOUNT_SID,
    DEFAULT_TO,
    Exchange,
    SimulatedCall,
    SimulationError,
    gather_action,
    new_call_sid,
    parse_statuses,
    wait_url,
)
from app.extensions import db
from app.models import REACH_KINDS, ROLES, TERMINAL_STATUSES, User
from app.services.errors import DomainError
from app.services.people import users as users_service
from app.settings import settings

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
# Demo logins created by `ensure-demo-agent`: (username, role, display name, password file in instance/).
DEMO_USERS = (
    ("agent", "agent", "Demo Agent", "demo_agent_password"),
    ("supervisor", "supervisor", "Demo Supervisor", "demo_supervisor_password"),
)

users = AppGroup("users", help="Manage the people who use KnownCaller.")


def register(app: Flask) -> None:
    from app import cli_customers

    app.cli.add_command(users)
    app.cli.add_command(seed_demo)
    app.cli.add_command(ensure_demo_agent)
    app.cli.add_command(simulate_call)
    app.cli.add_command(export_audit)
    app.cli.add_command(replay_spool)
    app.cli.add_command(relink_calls)
    cli_customers.register(app)  # import-customers, export-customers


@users.command("create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 8 characters; asked for when left out.")
@click.option("--role", type=click.Choice(ROLES), default="agent", show_default=True)
@click.option("--name", "display_name", help="Display name shown to colleagues (default: the username).")
@click.option("--reach-kind", type=click.Choice(REACH_KINDS), default="client", show_default=True,
              help="How calls reach this user: the browser (client), a phone number, or a SIP address.")
@click.option("--reach-address", help="The phone number or sip: URI for --reach-kind phone|sip.")
def create_user(username: str, password: str, role: str, display_name: str | None, reach_kind: str,
                reach_address: str | None) -> None:
    """Create a user who can log in to the desktop and the API."""
    # The one way users are made, as the admin page and API make them: every field checked
    # (phone numbers stored in E.164, SIP needs sip:), the creation audited.
    try:
        user = users_service.create_user(username, password, region=settings().calls.region,
                                         role=role, display_name=display_name, reach_kind=reach_kind,
                                         reach_address=reach_address)
    except DomainError as exc:
        reach = {field: messages for field, messages in (exc.fields or {}).items() if field.startswith("reach_")}
        if reach:  # a wrong option value is a usage error, as click reports its own
            raise click.BadParameter("; ".join(m for messages in reach.values() for m in messages),
                                     param_hint="--reach-address") from None
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {user.role} {user.username!r} ({user.display_name}), reached by {user.reach_kind} "
               f"{user.reach_target}.")


@users.command("list")
def list_users() -> None:
    """Every user with role and status."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "" if user.active else "  (inactive)"
        click.echo(f"{user.username:<20} {user.role:<11} {user.display_name}{state}")


@click.command("seed-demo")
@click.option("--customers", type=click.IntRange(min=1), default=demo_data.DEFAULT_CUSTOMERS, show_default=True,
              help="How many demo customers to create.")
@click.option("--if-empty", is_flag=True, help="Seed only when the database has no customers at all.")
@click.option("--replace", is_flag=True, help="Delete earlier demo customers first.")
@click.option("--seed", "random_seed", type=int, default=demo_data.DEFAULT_SEED, show_default=True,
              help="Seed of the generator: the same seed gives the same customers.")
@with_appcontext
def seed_demo(customers: int, if_empty: bool, replace: bool, random_seed: int) -> None:
    """Load believable demo customers: preferences, complaints, shared numbers."""
    existing = demo_data.customer_count()
    if if_empty and existing:
        click.echo(f"{existing} customers already in the database; demo data not seeded.")
        return
    if replace:
        removed = demo_data.remove_demo_customers()
        if removed:
            click.echo(f"Removed {removed} earlier demo customers.")
    started = time.monotonic()
    try:
        report = demo_data.seed(customers, random_seed, settings().calls.region)
    except DomainError as exc:
        raise click.ClickException(f"{exc.message}; pass --replace to seed them again") from None
    click.echo(
        f"Seeded {report.customers} demo customers ({report.phone_numbers} numbers, {report.shared_numbers} "
        f"shared, {report.preferences} preferences, {report.complaints} complaints; {report.calls} past calls, "
        f"{report.surveys} surveys, {report.promises} promises, {report.follow_ups} follow-ups; a month of "
        f"traffic for the dashboard: {report.traffic_calls} calls, {report.traffic_surveys} surveys) "
        f"in {time.monotonic() - started:.1f} s."
    )
    if customers >= 6:
        click.echo(f"Try calls from {demo_data.ALICE_NUMBER} (Alice Wong), {demo_data.HOUSEHOLD_NUMBER} "
                   f"(a household) and {demo_data.SWITCHBOARD_NUMBER} (a switchboard).")
    if customers >= len(demo_data.STORY_CUSTOMERS):
        click.echo(f"The service loop: {demo_data.DETRACTOR_NUMBER} (Kenji Tanaka, at risk), "
                   f"{demo_data.ADVOCATE_NUMBER} (Priya Natarajan, an advocate), {demo_data.LOYAL_NUMBER} "
                   f"(Mei Huang, loyal, asked in Mandarin); Alice Wong has an overdue promise.")


def _demo_password(filename: str) -> str:
    """A password generated once into instance/, so every `make run` prints the same login."""
    path = Path(current_app.instance_path) / filename
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


@click.command("ensure-demo-agent")
@with_appcontext
def ensure_demo_agent() -> None:
    """Create the demo agent and supervisor if missing, and print their logins."""
    for username, role, display_name, filename in DEMO_USERS:
        password = _demo_password(filename)
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            users_service.create_user(username, password, region=settings().calls.region, role=role,
                                      display_name=display_name)
            state = "created"
        elif user.check_password(password):
            state = "exists"
        else:
            click.echo(f"User {username!r} exists with a password changed since; its login is not shown.")
            continue
        click.echo(f"Demo {role} login ({state}): username {username}  password {password}")
    agent = db.session.scalar(select(User).where(User.username == DEMO_USERS[0][0]))
    if agent is not None and agent.role == "agent":
        demo_data.adopt_history(agent.id)


def _report(exchange: Exchange) -> None:
    click.echo(f"POST {exchange.path:<14} CallStatus={exchange.call_status:<12} -> {exchange.status_code}")
    if exchange.path.startswith(("/twilio/voice", "/twilio/dial-result", "/twilio/survey", "/twilio/queue")) and \
            exchange.status_code == 200:
        click.echo("  TwiML: " + " ".join(exchange.body.split())[:400])


def _checked(exchange: Exchange) -> Exchange:
    if exchange.status_code != 200:
        raise SimulationError(f"POST {exchange.path} answered {exchange.status_code}: {exchange.body.strip()[:200]}")
    return exchange


def _parse_then(_ctx, _param, value: str | None) -> list[str]:
    try:
        return parse_statuses(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("simulate-call")
@click.option("--from", "from_", required=True, help="The caller's number, sent as Twilio's From.")
@click.option("--to", default=DEFAULT_TO, show_default=True, help="The number that was called.")
@click.option("--base-url", envvar="KNOWNCALLER_URL", default=DEFAULT_BASE_URL, show_default=True,
              help="The running server (or set KNOWNCALLER_URL).")
@click.option("--then", "then", callback=_parse_then, metavar="STATUS,…",
              help="Status callbacks to send after ringing, e.g. in-progress,completed.")
@click.option("--delay", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="Seconds between one webhook and the next.")
@click.option("--call-sid", help="The CallSid to use (default: a new one); repeat it to replay a retry.")
@click.option("--agent", "agent_name", metavar="USERNAME",
              help="This agent's phone answers the call (as if the provider dialled them).")
@click.option("--survey", "survey_digits", metavar="DIGITS",
              help="Play the survey after the call: the agent hangs up, the caller presses DIGITS (0-10 is a "
                   "score; anything else is asked again). Implies --then in-progress,completed.")
@click.option("--callback", is_flag=True,
              help="When the caller is put in line (every agent busy or away), they press 1 to be called back.")
@with_appcontext
def simulate_call(from_: str, to: str, base_url: str, then: list[str], delay: float, call_sid: str | None,
                  agent_name: str | None, survey_digits: str | None, callback: bool = False) -> None:
    """Play the provider: send a running server signed Twilio webhooks for an inbound call."""
    provider = settings().provider
    agent = None
    if agent_name is not None:
        agent = db.session.scalar(select(User).where(User.username == agent_name))
        if agent is None:
            raise click.BadParameter(f"no user {agent_name!r}", param_hint="--agent")
    call = SimulatedCall(
        base_url=base_url, auth_token=provider.auth_token, from_=from_, to=to,
        account_sid=provider.account_sid or ACCOUNT_SID, call_sid=call_sid or new_call_sid(),
    )
    click.echo(f"CallSid {call.call_sid}: {from_} calling {to} at {call.base_url}")
    if survey_digits is not None and not then:
        then = ["in-progress", "completed"]
    before_end = [s for s in then if s not in TERMINAL_STATUSES]
    ending = [s for s in then if s in TERMINAL_STATUSES] if survey_digits is not None else []
    try:
        call.play([], delay=delay, on_exchange=_report)
        line = wait_url(call.exchanges[-1].body)
        if line is not None:  # put in line: what the caller hears, and 1 for a callback
            time.sleep(min(delay, 1.0))
            waiting = _checked(call.wait_in_line(line))
            _report(waiting)
            if callback and gather_action(waiting.body):
                time.sleep(delay)
                _report(_checked(call.press(gather_action(waiting.body), "1")))
                then = ["completed"]
        elif callback:
            click.echo("  The caller was not put in line (an agent was offerable), so there is no callback to ask for.")
        for status in (before_end if survey_digits is not None else then):
            time.sleep(delay)
            _report(_checked(call.status(status)))
        if agent is not None:
            time.sleep(delay)
            _report(_checked(call.answer_as(agent.id)))
        if survey_digits is not None:
            time.sleep(delay)
            call.answer_survey(survey_digits, on_exchange=lambda exchange: _report(_checked(exchange)))
            if not any(e.path.startswith("/twilio/survey") for e in call.exchanges):
                click.echo("  No survey was asked: SURVEY_MODE is not ivr, or this caller asked not to be surveyed "
                           "or was asked within SURVEY_MIN_DAYS (the server's log says which).")
            for status in ending:
                time.sleep(delay)
                _report(_checked(call.status(status)))
    except SimulationError as exc:
        message = str(exc)
        if call.exchanges and call.exchanges[-1].status_code == 403:
            message += _signature_hint(call.base_url)
        raise click.ClickException(message) from None
    click.echo(f"Done: {call.call_sid}")


def _signature_hint(base_url: str) -> str:
    public = settings().provider.public_base_url
    if public and public != base_url.rstrip("/"):
        return (f"\nThe server checks signatures against PUBLIC_BASE_URL; try --base-url {public}")
    return ("\nThe server refused the signature: it must use the same TWILIO_AUTH_TOKEN as this command "
            f"(the environment, or {os.path.join(current_app.instance_path, 'twilio_auth_token')}).")


@click.command("export-audit")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--since", type=click.DateTime(), help="Only events at or after this UTC time (YYYY-MM-DD[ HH:MM:SS]).")
@click.option("--until", type=click.DateTime(), help="Only events before this UTC time.")
@with_appcontext
def export_audit(path: str, since, until) -> None:
    """Write the audit trail (who saw which customer, when) to a CSV file, oldest first."""
    from app.services.people import audit

    with open(path, "w", newline="", encoding="utf-8") as out:
        count = audit.export_csv(out, since=since, until=until)
    click.echo(f"exported {count} audit events to {path}")


@click.command("replay-spool")
@with_appcontext
def replay_spool() -> None:
    """Store the provider events spooled while the database was unavailable (the server also retries)."""
    from app.services.calls import provider_events

    try:
        replayed, left = provider_events.replay_spool()
    except Exception as exc:  # the database is still down: say so, keep the files
        raise click.ClickException(f"database still unavailable ({exc.__class__.__name__}); nothing lost, "
                                   f"the events stay in {provider_events.spool_folder()}") from exc
    click.echo(f"replayed {replayed}, still waiting {left}")


@click.command("relink-calls")
@with_appcontext
def relink_calls() -> None:
    """Recompute each call's previous and next call from the same caller (the repeat-call and
    first-contact figures read them). The app keeps them as it stores calls; run this after a
    rolling upgrade to 0015, for the calls processes of the old version stored meanwhile."""
    from app.extensions import db
    from app.services.calls import neighbours

    click.echo(f"corrected {neighbours.relink_all(db.engine):,} calls")
