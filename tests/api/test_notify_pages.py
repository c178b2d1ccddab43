"""The notify service's staff pages: the message log and the daily call list."""

from __future__ import annotations

from services.notify.models import ScheduledNotification
from shared import clock
from tests.support.notify import staff_headers


def test_pages_send_the_public_to_the_login(notify_client):
    for path in ("/berichten", "/bellijst"):
        response = notify_client.get(path, base_url="http://localhost/notify")  # mounted as the gateway does
        assert response.status_code == 302
        assert response.headers["Location"] == f"/inventory/login?next=/notify{path}"


def test_message_log_shows_only_the_staff_members_centres(notify_client, notify_db):
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
