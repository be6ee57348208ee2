"""Pages for supervisors (and admins): the dashboard and the audit trail."""
from app.pages import page_blueprint

bp = page_blueprint("supervisor", __name__, role="supervisor")

from app.supervisor import views  # noqa: E402,F401
