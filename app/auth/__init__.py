"""People log in and out here; the session cookie then opens the desktop and its socket."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import views  # noqa: E402,F401
