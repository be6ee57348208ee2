"""`/dashboard` tells supervisors what we owe customers and is late: overdue follow-ups and
promises, counted and listed with who owes them (SPEC §10)."""
from __future__ import annotations

from datetime import timedelta

from app.models import utcnow
from tests.factories import make_customer, make_follow_up, make_promise, make_user
from tests.support.login import login


def test_overdue_follow_ups_and_promises_reach_the_dashboard(app_ctx, client):
    now = utcnow()
    make_user("sue", role="supervisor")
    ann = make_user("ann", display_name="Ann Lee")
    alice = make_customer("Alice Wong", phones=("+14155550100",))
    kenji = make_customer("Kenji Tanaka", phones=("+14155550141",))
    make_follow_up(kenji, "detractor", due_at=now - timedelta(hours=5), owner=ann, note="Scored us 3/10")
    make_follow_up(kenji, "manual", due_at=now + timedelta(hours=5), owner=ann, note="Not late yet")
    make_follow_up(alice, "voicemail", due_at=now - timedelta(days=1), status="done", note="Done already")
    make_promise(alice, "Refund the two broken bottles", due_at=now - timedelta(days=1), made_by=ann)
    make_promise(alice, "Kept already", due_at=now - timedelta(days=2), status="kept")

    login(client, "sue")
    counts = client.get("/dashboard/counts").get_json()
    assert (counts["follow_ups_overdue"], counts["promises_overdue"]) == (1, 1)
    assert [(i["kind"], i["customer"]["name"], i["text"], i["owner"]["name"]) for i in counts["overdue_items"]] == [
        ("promise", "Alice Wong", "Refund the two broken bottles", "Ann Lee"),
        ("follow_up", "Kenji Tanaka", "Scored us 3/10", "Ann Lee"),
    ]
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="stat-follow-ups">1<' in page and 'id="stat-promises">1<' in page


def test_agents_do_not_get_the_dashboard_figures(app_ctx, client):
    make_user("ann")
    login(client, "ann")
    assert client.get("/dashboard/counts").status_code == 403
