"""What the browser pages need to know that the Python already defines, served instead of copied.

`base.html` renders `client_constants(config)` into a JSON data block (`#kc-constants`), which
`app/static/js/lib/constants.js` reads once. Called by the context processor `register` adds, on
every page render. The model constants are imported inside the function so that moving the
modules that define them only changes the import lines here.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask


def client_constants(config: Mapping) -> dict:
    """The shared vocabulary as plain JSON: call statuses and their ranks, tiers, severities, ..."""
    from app.models.call import STATUS_RANK, TERMINAL_STATUSES
    from app.models.customer import COMPLAINT_STATUSES, SEVERITIES, TIERS
    from app.models.user import REACH_KINDS, ROLES

    return {
        "call_status_rank": dict(STATUS_RANK),
        "terminal_statuses": sorted(TERMINAL_STATUSES, key=lambda s: (STATUS_RANK[s], s)),
        "tiers": list(TIERS),
        "complaint_severities": list(SEVERITIES),
        "complaint_statuses": list(COMPLAINT_STATUSES),
        "dispositions": list(config.get("DISPOSITIONS") or ()),
        "roles": list(ROLES),
        "reach_kinds": list(REACH_KINDS),
    }


def register(app: Flask) -> None:
    """Every template gets `constants`; base.html writes them into the page once."""

    @app.context_processor
    def inject_constants() -> dict:
        return {"constants": client_constants(app.config)}
