"""The notify service's staff pages: the message log and the daily call list."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notify.models import Booking, Location, ScheduledNotification
from shared import clock
from tests.support.notify import notify_app, notify_client, notify_db, staff_headers  # noqa: F401


def test_pages_send_the_public_to_the_login(notify_client):  # noqa: F811
    for path in ("/berichten", "/bellijst"):
        response = notify_client.get(path, base_url="http://localhost/notify")  # mounted as the gateway does
        assert response.status_code == 302
        assert response.headers["Location"] == f"/inventory/login?next=/notify{path}"


def test_message_log_shows_only_the_staff_members_centres(notify_client, notify_db):  # noqa: F811
    now = clock.now()
    with notify_db.transaction() as session:
        for location_id, recipient in ((7, "an@example.org"), (8, "elders@example.org")):
            session.add(
                ScheduledNotification(
                    delivery_key=f"k{location_id}",
                    request_id=location_id,
                    location_id=location_id,
                    kind="approved",
                    audience="requester",
                    due_at=now,
                    not_before=now,
                    status="failed",
                    reason="mailbox vol",
                    recipient=recipient,
                    language="nl",
                    attempts=3,
                )
            )
    page = notify_client.get("/berichten?status=failed", headers=staff_headers(locations=(7,)))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "an@example.org" in html and "mislukt: mailbox vol" in html
    assert "elders@example.org" not in html
    assert "<caption>" in html and 'for="status"' in html


def test_call_list_page_lists_phone_only_requesters(notify_client, notify_db):  # noqa: F811
    due = datetime(2027, 6, 11, 8, 0, tzinfo=UTC)
    with notify_db.transaction() as session:
        session.add(Location(id=7, name="Buurtcentrum Dampoort", snapshot={}, last_event_at=due))
        session.add(
            Booking(
                request_id=1,
                reference="UIT-1",
                status="approved",
                location_id=7,
                language="nl",
                contact_email=None,
                pickup_at=due,
                return_at=due,
                snapshot={
                    "contact": {"name": "Mevrouw Janssens", "phone": "09 123 45 67"},
                    "items": [{"asset_name_nl": "Caravan"}],
                },
                last_event_at=due,
            )
        )
        session.add(
            ScheduledNotification(
                delivery_key="p1",
                request_id=1,
                location_id=7,
                kind="pickup_reminder",
                audience="requester",
                due_at=due,
                not_before=due,
                status="call_list",
            )
        )
    page = notify_client.get("/bellijst?locatie=7&dag=2027-06-11", headers=staff_headers(locations=(7,)))
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    html = page.get_data(as_text=True)
    assert "Mevrouw Janssens" in html and "09 123 45 67" in html and "Caravan" in html
