"""Pages for people at work: the agent desktop and the front-end packages it loads.

Every view needs a logged-in user; the guard sits on the blueprint.
"""
from flask import Blueprint
from flask_login import login_required

bp = Blueprint("agent", __name__)


@bp.before_request
@login_required
def require_login():
    return None


from app.agent import views  # noqa: E402,F401
