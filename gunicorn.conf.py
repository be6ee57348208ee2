"""gunicorn settings for one KnownCaller process: `gunicorn -c gunicorn.conf.py wsgi:app`.

Flask-SocketIO's threading mode needs exactly one worker per process; scale with more processes
(each on its own port, all sharing SOCKETIO_MESSAGE_QUEUE), not more workers. Every open websocket
keeps one thread, so THREADS must exceed the desktops this process serves plus room for webhooks.
"""
import os

bind = os.environ.get("BIND", "127.0.0.1:8001")
workers = 1
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "200"))
# Websockets are long-lived; the worker must not be killed for holding one.
timeout = 0
graceful_timeout = 10
keepalive = 5
accesslog = "-"
# The access log's default line has no phone numbers or names (URLs carry none).
