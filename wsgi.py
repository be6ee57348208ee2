"""Entry point for servers: `gunicorn -w 1 --threads 100 wsgi:app`, `flask --app wsgi …`.

`flask` reads `.env` by itself; gunicorn does not, so it is read here (the environment wins).
"""
from dotenv import load_dotenv

load_dotenv(override=False)

from app import create_app  # noqa: E402

app = create_app()
