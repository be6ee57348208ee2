"""Pages for people at work: the agent desktop, customers, and the front-end packages they load.

Every view needs a logged-in user; the guard sits on the blueprint (`app.pages`).
"""
from app.pages import page_blueprint

bp = page_blueprint("agent", __name__)

from app.agent import views  # noqa: E402,F401
