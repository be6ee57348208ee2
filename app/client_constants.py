"""What the browser pages need to know that the Python already defines, served instead of copied.

`base.html` renders `client_constants(settings())` into a JSON data block (`#kc-constants`), which
`app/static/js/lib/constants.js` reads once. Called by the context processor `register` adds, on
every page render.
"""
from __future__ import annotations

from flask import Flask

from app.models.call import STATUS_RANK, TERMINAL_STATUSES
from app.models.customer import COMPLAINT_STATUSES, SEVERITIES, TIERS
from app.models.user import REACH_KINDS, ROLES
from app.settings import Settings, settings


def client_constants(config: Settings) -> dict:
    """The shared vocabulary as plain JSON: call statuses and their ranks, tiers, severities, ..."""
    return {
        "call_status_rank": dict(STATUS_RANK),
        "terminal_statuses": sorted(TERMINAL_STATUSES, key=lambda s: (STATUS_RANK[s], s)),
        "tiers": list(TIERS),
        "complaint_severities": list(SEVERITIES),
        "complaint_statuses": list(COMPLAINT_STATUSES),
        "dispositions": list(config.calls.dispositions),
        "roles": list(ROLES),
        "reach_kinds": list(REACH_KINDS),
    }


def register(app: Flask) -> None:
    """Every template gets `constants`; base.html writes them into the page once."""

    @app.context_processor
    def inject_constants() -> dict:
        return {"constants": client_constants(settings())}
