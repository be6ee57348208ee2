"""Entry point for servers: `gunicorn -w 1 --threads 100 wsgi:app`, `flask --app wsgi …`."""
from app import create_app

app = create_app()
