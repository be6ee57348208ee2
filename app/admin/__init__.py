"""Pages for administrators: users, and the customer import."""
from app.pages import page_blueprint

bp = page_blueprint("admin", __name__, role="admin", url_prefix="/admin")

from app.admin import views  # noqa: E402,F401
