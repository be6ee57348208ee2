"""The supervisor's API over the fixed day of `support.seed_day` (SPEC §12): the figures, their
CSV, the series, the scorecards and who may read them, and the ranges refused."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from app.models import utcnow
from tests.insight.support import seed_day
from tests.support.api import assert_error

DAY = {"since": "2025-03-10T00:00:00", "until": "2025-03-11T00:00:00"}


@pytest.fixture
def day(app_ctx):
    return seed_day()


@pytest.fixture
def sue(api_as):
    return api_as("supervisor", display_name="Sue Park")


def test_metrics_answer_the_days_figures_with_the_definitions_they_use(day, sue):
    body = sue.get("/api/v1/metrics", query_string=DAY).json
    assert (body["since"], body["until"]) == ("2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z")
    assert (body["calls"], body["answered"], body["abandoned"], body["service_level"], body["nps"]) == (7, 3, 1, 0.5, 33)
    assert (body["asa_seconds"], body["aht_seconds"], body["first_contact_resolution"]) == (25.0, 390.0, 0.3333)
    assert (body["service_level_seconds"], body["service_level_target"]) == (20, 0.8)


def test_an_aware_time_is_read_in_utc(day, sue):
    """09:00 to 10:00 in New York (UTC-4 in March 2025, after the switch on the 9th) is 13:00–14:00
    UTC: nothing arrived then; 05:00–06:00 New York is 09:00–10:00 UTC: c1 and c3."""
    body = sue.get("/api/v1/metrics", query_string={"since": "2025-03-10T05:00:00-04:00",
                                                    "until": "2025-03-10T06:00:00-04:00"}).json
    assert (body["since"], body["calls"], body["answered"]) == ("2025-03-10T09:00:00Z", 2, 2)


def test_by_default_the_figures_are_todays(sue, app_ctx):
    body = sue.get("/api/v1/metrics").json
    today = utcnow().date().isoformat()
    assert body["since"] == f"{today}T00:00:00Z" and body["calls"] == 0 and body["service_level"] is None


@pytest.mark.parametrize("query, field, words", [
    ({"since": "2025-03-11T00:00:00", "until": "2025-03-10T00:00:00"}, "until", "must be after since"),
    ({"since": "2025-03-10T00:00:00", "until": "2025-03-10T00:00:00"}, "until", "must be after since"),
    ({"since": "yesterday"}, "since", "Not a valid datetime"),
    ({"until": "2025-13-40"}, "until", "Not a valid datetime"),
    ({"since": "2024-01-01T00:00:00", "until": "2025-03-10T00:00:00"}, "until", "at most 366 days"),
])
def test_a_bad_range_is_422_naming_the_field(sue, app_ctx, query, field, words):
    for path in ("/api/v1/metrics", "/api/v1/metrics/series", "/api/v1/metrics.csv", "/api/v1/scorecards"):
        error = assert_error(sue.get(path, query_string=query), 422, field=field)
        assert words in " ".join(error["fields"][field]), error


def test_the_series_has_every_hour_of_the_day(day, sue):
    body = sue.get("/api/v1/metrics/series", query_string={**DAY, "bucket": "hour"}).json
    assert len(body["items"]) == 24 and body["items"][9]["start"] == "2025-03-10T09:00:00Z"
    assert (body["items"][9]["answered"], body["items"][10]["abandoned"], body["items"][15]["nps"]) == (2, 1, 100)
    assert_error(sue.get("/api/v1/metrics/series", query_string={**DAY, "bucket": "week"}), 422, field="bucket")


def test_the_csv_exports_the_same_figures(day, sue):
    answer = sue.get("/api/v1/metrics.csv", query_string=DAY)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1
    assert (rows[0]["since"], rows[0]["calls"], rows[0]["service_level"], rows[0]["nps"]) == (
        "2025-03-10T00:00:00Z", "7", "0.5", "33")
    hourly = list(csv.DictReader(io.StringIO(
        sue.get("/api/v1/metrics.csv", query_string={**DAY, "by": "hour"}).get_data(as_text=True).lstrip("\ufeff"))))
    assert len(hourly) == 24 and hourly[9]["until"] == "2025-03-10T10:00:00Z" and hourly[3]["service_level"] == ""


def test_scorecards_judge_each_agent_by_what_customers_said_and_what_they_kept(day, sue):
    items = {row["agent"]["name"]: row for row in sue.get("/api/v1/scorecards", query_string=DAY).json["items"]}
    assert items["Ann Lee"] == {
        "agent": {"id": day.ann.id, "name": "Ann Lee"}, "calls": 2, "aht_seconds": 255.0, "nps": 0, "surveys": 2,
        "promises_kept": 1, "promises_broken": 1, "follow_ups_done_on_time": 1, "follow_ups_done": 2,
        "complaints_resolved_in_sla": 1, "complaints_resolved": 1}
    assert items["Ben Okafor"] == {
        "agent": {"id": day.ben.id, "name": "Ben Okafor"}, "calls": 1, "aht_seconds": 660.0, "nps": 100, "surveys": 1,
        "promises_kept": 0, "promises_broken": 0, "follow_ups_done_on_time": 1, "follow_ups_done": 1,
        "complaints_resolved_in_sla": 1, "complaints_resolved": 2}
    assert "Sue Park" not in items  # a supervisor with no figures is not an agent
    rows = list(csv.DictReader(io.StringIO(
        sue.get("/api/v1/scorecards.csv", query_string=DAY).get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["agent"], r["calls"], r["nps"]) for r in rows] == [("Ann Lee", "2", "0"), ("Ben Okafor", "1", "100")]


def test_an_agent_reads_their_own_scorecard_and_no_one_elses(day, client, app_ctx):
    from tests.factories import make_token
    from tests.support.api import Api

    ann = Api(day.ann, make_token(day.ann), client=client)
    mine = ann.get("/api/v1/scorecards", query_string=DAY).json["items"]
    assert [row["agent"]["name"] for row in mine] == ["Ann Lee"]
    assert ann.get("/api/v1/scorecards", query_string={**DAY, "agent_id": day.ann.id}).status_code == 200
    assert_error(ann.get("/api/v1/scorecards", query_string={**DAY, "agent_id": day.ben.id}), 403)
    assert_error(ann.get("/api/v1/scorecards.csv", query_string={**DAY, "agent_id": day.ben.id}), 403)
    assert_error(ann.get("/api/v1/metrics", query_string=DAY), 403)
    # A row opens the agent's calls and the surveys on them; an agent cannot open another's.
    calls = ann.get("/api/v1/calls", query_string=DAY).json["items"]
    assert [c["call_sid"] for c in calls] == ["CA-co2", "CA-co1", "CA-c3", "CA-c1"]
    assert_error(ann.get("/api/v1/calls", query_string={**DAY, "agent_id": day.ben.id}), 403)


def test_a_supervisor_opens_an_agents_calls_and_surveys_of_a_range(day, sue):
    calls = sue.get("/api/v1/calls", query_string={**DAY, "agent_id": day.ben.id}).json
    assert [c["call_sid"] for c in calls["items"]] == ["CA-c2"] and calls["total"] == 1
    surveys = sue.get("/api/v1/surveys", query_string={**DAY, "agent_id": day.ben.id}).json["items"]
    assert [(s["call_sid"], s["score"]) for s in surveys] == [("CA-c2", 9)]


def test_an_agents_own_figures_for_today(api_as, app_ctx):
    from tests.factories import make_call, make_customer, make_follow_up

    ann = api_as("agent")
    now = utcnow()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    alice = make_customer("Alice Wong")
    arrived = max(start, now - timedelta(minutes=30))
    make_call("CA-today", alice, ann.user, status="completed", started_at=arrived,
              connected_at=arrived + timedelta(seconds=5), ended_at=arrived + timedelta(seconds=65),
              wrapped_at=arrived + timedelta(seconds=75))
    make_follow_up(alice, due_at=now - timedelta(minutes=1), owner=ann.user)
    make_follow_up(alice, due_at=start + timedelta(hours=23, minutes=59), owner=ann.user)
    make_follow_up(alice, due_at=start + timedelta(days=2), owner=ann.user)
    body = ann.get("/api/v1/me/figures").json
    assert (body["calls"], body["aht_seconds"], body["nps"]) == (1, 70.0, None)
    assert (body["follow_ups_due"], body["follow_ups_overdue"]) == (2, 1)
