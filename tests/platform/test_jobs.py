"""Background jobs: one-off tasks run in an app context, retrying tasks run until nothing is left."""
from __future__ import annotations

import logging
import threading
import time

from flask import current_app

from app import jobs


def test_a_job_runs_in_an_app_context_and_its_failure_is_logged_not_raised(app, caplog):
    seen = []

    def task(value):
        seen.append((current_app.name, value))
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="app.jobs"):
        jobs.run(app, "test-job", task, 42).join(timeout=5)
    assert seen == [(app.name, 42)]
    assert any("background job test-job failed" in r.getMessage() for r in caplog.records)


def test_a_retrying_job_runs_until_nothing_is_left_and_never_twice_at_once(app):
    left = [3]
    running = []
    overlap = []
    done = threading.Event()

    def run_once() -> int:
        overlap.append(len(running))
        running.append(1)
        time.sleep(0.01)
        running.pop()
        left[0] = max(0, left[0] - 1)
        if not left[0]:
            done.set()
        return left[0]

    for _ in range(5):  # asked again and again while it runs: still one loop
        jobs.keep_retrying(app, "count-down", run_once, interval=0.01)
    assert done.wait(timeout=5)
    time.sleep(0.1)
    assert left == [0]
    assert set(overlap) == {0}


def test_a_retrying_job_keeps_going_after_a_failure(app):
    attempts = []
    done = threading.Event()

    def run_once() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database still down")
        done.set()
        return 0

    jobs.keep_retrying(app, "flaky", run_once, interval=0.01)
    assert done.wait(timeout=5)
    assert len(attempts) >= 2


def test_a_repeating_job_runs_until_its_app_is_stopped(app):
    runs = []
    started = threading.Event()

    def task():
        runs.append(current_app.name)
        started.set()

    jobs.every(app, "tick", task, interval=0.01)
    jobs.every(app, "tick", task, interval=0.01)  # asked twice: still one thread
    assert started.wait(timeout=5)
    jobs.stop(app)
    time.sleep(0.05)
    settled = len(runs)
    time.sleep(0.1)
    assert len(runs) == settled and settled >= 1


def test_a_retrying_job_ends_when_its_app_is_stopped_with_work_left(app):
    runs = []
    started = threading.Event()

    def run_once() -> int:  # the database is gone: work is always left
        runs.append(1)
        started.set()
        return 1

    jobs.keep_retrying(app, "never-done", run_once, interval=0.01)
    assert started.wait(timeout=5)
    jobs.stop(app)
    time.sleep(0.05)
    settled = len(runs)
    time.sleep(0.1)
    assert len(runs) == settled
