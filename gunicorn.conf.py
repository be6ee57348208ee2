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
# Paths without their query strings, and no Referer: a search (`/customers?q=Alice`) or a new
# customer from a call (`/customers/new?phone=+1…`) would put names and numbers in the log.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(D)sus'


def post_worker_init(worker):
    """Everything the worker built while loading the app (Flask, SQLAlchemy's mappers, the
    phonenumbers metadata, ...) lives as long as the process: `gc.freeze` takes it out of the
    collector's reach, so a full collection walks only what calls and sockets made since. Without
    it, each full collection walked some 170,000 startup objects, 75-91 ms with every thread of the
    worker stopped, and longer on a busy machine: the pops' worst latencies
    (`scripts/bench_gc.py`)."""
    import gc

    gc.collect()
    gc.freeze()
    worker.log.info("%d startup objects set aside from the garbage collector (gc.freeze)", gc.get_freeze_count())
