"""Background work: what must not run on a webhook's or a page's thread.

Three kinds, all on daemon threads of this process, each inside an app context:
- `run`: a one-off task (a browser import of customers; next, SMS surveys and queue moves);
- `keep_retrying`: a task repeated every few seconds until it reports nothing left (replaying the
  spool once the database is back), at most one per app and name in a process;
- `every`: a task repeated for as long as the process lives (closing sockets whose login ended).

Work that must survive the process is kept in the database or on disk by its owner (an import's
progress on its ImportJob row, provider events in the spool); a job only carries it out.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from flask import Flask

log = logging.getLogger(__name__)


def run(app: Flask, name: str, task: Callable[..., None], *args) -> threading.Thread:
    """Run `task(*args)` once on its own thread, in an app context; a failure is logged, not raised."""

    def body() -> None:
        with app.app_context():
            try:
                task(*args)
            except Exception:
                log.exception("background job %s failed", name)

    thread = threading.Thread(target=body, name=name, daemon=True)
    thread.start()
    return thread


class _Retrying:
    def __init__(self, app: Flask, name: str, run_once: Callable[[], int], interval: float):
        self._app, self._name, self._run_once, self._interval = app, name, run_once, interval
        self._running = False
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()

    def ensure_running(self) -> None:
        with self._lock:
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._loop, name=self._name, daemon=True).start()

    def _once(self) -> int | None:
        with self._app.app_context():
            try:
                return self._run_once()
            except Exception:
                log.warning("background job %s failed; will retry", self._name, exc_info=True)
                return None

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval):
            left = self._once()
            if left is None or left:
                continue
            with self._lock:
                self._running = False
            # Work added between the last run and now would otherwise wait for the next start.
            left = self._once()
            if not left:
                return
            with self._lock:
                if self._running:
                    return
                self._running = True


_every: dict[tuple[int, str], threading.Event] = {}


def every(app: Flask, name: str, task: Callable[[], None], *, interval: float) -> None:
    """Run `task()` every `interval` seconds for as long as the process lives (or until `stop`),
    in an app context; one thread per app and name, started by the first call, a failure logged
    and retried."""
    with _registry_lock:
        if (id(app), name) in _every:
            return
        stopped = _every[(id(app), name)] = threading.Event()

    def loop() -> None:
        while not stopped.wait(interval):
            with app.app_context():
                try:
                    task()
                except Exception:
                    log.warning("background job %s failed; will run again", name, exc_info=True)

    threading.Thread(target=loop, name=name, daemon=True).start()


def stop(app: Flask | None = None) -> None:
    """End `app`'s repeating and retrying jobs (an app being torn down, as tests do with theirs);
    without one, every app's in this process."""
    with _registry_lock:
        for key in [key for key in _every if app is None or key[0] == id(app)]:
            _every.pop(key).set()
        for key in [key for key in _retrying if app is None or key[0] == id(app)]:
            _retrying.pop(key).stop()  # work it left undone is the owner's: kept on disk or in the database


_retrying: dict[tuple[int, str], _Retrying] = {}
_registry_lock = threading.Lock()


def keep_retrying(app: Flask, name: str, run_once: Callable[[], int], *, interval: float) -> None:
    """Run `run_once()` every `interval` seconds until it returns 0 (what is left to do); starts a
    thread only when none is running for this app and name."""
    with _registry_lock:
        job = _retrying.get((id(app), name))
        if job is None:
            job = _retrying[(id(app), name)] = _Retrying(app, name, run_once, interval)
    job.ensure_running()
