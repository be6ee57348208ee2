"""Provider → app: Twilio's webhooks. Every view is behind the signature guard in `guard`."""
from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/twilio")

from app.webhooks import callbacks, client_voice, guard, views  # noqa: E402,F401  (registers the guard and the routes)
