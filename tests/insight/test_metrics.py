"""Each figure of SPEC §12 against a hand-computed expectation on the fixed day of
`support.seed_day` (its table says what each call did), on SQLite and PostgreSQL alike."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.models import utcnow
from app.services.insight import metrics
from app.services.insight.ranges import TimeRange
from tests.insight.support import D, seed_day

DEFINITIONS = metrics.Definitions(service_level_seconds=20, wrapup_seconds=60, repeat_call_hours=24)
DAY = TimeRange(D, D + timedelta(days=1))


@pytest.fixture
def day(app_ctx):
    return seed_day()


def test_each_figure_of_a_day_matches_the_hand_count(day):
    figures = metrics.figures(DAY, DEFINITIONS, utcnow()).as_dict()
    assert figures == {
        "calls": 7,  # c1 c3 c4 c5 c6 c2 c7: inbound, arrived on D (c0 the day before, co1 outbound)
        "answered": 3,  # c1 c3 c2
        "abandoned": 1,  # c4 (c5 left a voicemail, c6 asked for a callback, c7 still rings)
        "service_level": 0.5,  # c1 (10 s) and c2 (20 s, the edge) of 3 answered + 1 abandoned
        "asa_seconds": 25.0,  # (10 + 45 + 20) / 3
        "aht_seconds": 390.0,  # (300 + 30) + (120 + 60 capped) + (600 + 60 none saved), / 3
        "abandonment_rate": 0.1429,  # 1 / 7
        "nps": 33,  # 10, 3, 9: 2 promoters − 1 detractor of 3 = 33.3 %
        "surveys": 3,
        "repeat_call_rate": 0.6667,  # c3 (c0 23.5 h before), c4, c2, c7 of 6 calls from customers
        "first_contact_resolution": 0.3333,  # c2 only: c1 and c3 were followed by calls within 7 days
        "callbacks": 1,  # co1
    }


def test_an_empty_range_gives_zeros_and_nulls(day):
    empty = TimeRange(D + timedelta(days=30), D + timedelta(days=31))
    assert metrics.figures(empty, DEFINITIONS, utcnow()).as_dict() == {
        "calls": 0, "answered": 0, "abandoned": 0, "service_level": None, "asa_seconds": None,
        "aht_seconds": None, "abandonment_rate": None, "nps": None, "surveys": 0, "repeat_call_rate": None,
        "first_contact_resolution": None, "callbacks": 0}


def test_first_contact_resolution_waits_seven_days(day):
    """As of D+3, none of D's answered calls is 7 days old: nothing to count yet."""
    figures = metrics.figures(DAY, DEFINITIONS, D + timedelta(days=3))
    assert figures.first_contact_resolution is None
    assert metrics.figures(DAY, DEFINITIONS, D + timedelta(days=7, hours=16)).first_contact_resolution == 0.3333


def test_a_shorter_service_level_threshold_moves_the_edge_call_out(day):
    tight = metrics.Definitions(service_level_seconds=19, wrapup_seconds=60, repeat_call_hours=24)
    assert metrics.figures(DAY, tight, utcnow()).service_level == 0.25  # only c1


def test_hourly_series_has_every_hour_and_each_hours_figures(day):
    hours = metrics.series(DAY, "hour", DEFINITIONS, utcnow())
    assert [start for start, _ in hours] == [D + timedelta(hours=h) for h in range(24)]
    by_hour = {start.hour: f for start, f in hours}
    assert (by_hour[9].calls, by_hour[9].answered, by_hour[9].service_level, by_hour[9].asa_seconds) == (2, 2, 0.5, 27.5)
    assert (by_hour[9].nps, by_hour[9].surveys, by_hour[9].repeat_call_rate) == (0, 2, 0.5)
    assert (by_hour[10].abandoned, by_hour[10].service_level, by_hour[10].abandonment_rate) == (1, 0.0, 1.0)
    assert (by_hour[11].calls, by_hour[11].service_level) == (1, None)  # a voicemail: neither
    assert (by_hour[15].service_level, by_hour[15].nps) == (1.0, 100)
    assert (by_hour[16].calls, by_hour[16].callbacks) == (0, 1)
    assert by_hour[3].as_dict() == metrics.Figures().as_dict()
    assert sum(f.calls for f in by_hour.values()) == 7


def test_daily_series_widens_a_range_to_whole_days(day):
    days = metrics.series(TimeRange(D - timedelta(hours=20), D + timedelta(hours=5)), "day", DEFINITIONS, utcnow())
    assert [start for start, _ in days] == [D - timedelta(days=1), D]
    before, on_d = (f for _, f in days)
    assert (before.calls, before.answered, before.nps, before.first_contact_resolution) == (1, 1, -100, 0.0)
    assert on_d.as_dict() == metrics.figures(DAY, DEFINITIONS, utcnow()).as_dict()


@pytest.mark.parametrize("promoters, detractors, answers, nps", [
    (1, 0, 8, 13), (0, 1, 8, -13), (2, 1, 3, 33), (0, 0, 4, 0), (0, 0, 0, None), (3, 0, 3, 100)])
def test_nps_rounds_halves_away_from_zero(promoters, detractors, answers, nps):
    assert metrics.net_promoter(promoters, detractors, answers) == nps
