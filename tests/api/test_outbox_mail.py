"""The embedded default's captured mail (/notify/outbox-mail) holds requesters' private links: staff only.

An administrator reads all of it, staff the mail of their own community centres' notifications, the anonymous
visitor a page (401) that says to log in, and nothing of the mail.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from services.notify.models import CapturedMail
from tests.api.test_notify_api import captured, run  # noqa: F401
from tests.event_factories import location_payload
from tests.support.notify import Pipeline, staff_headers

pytestmark = [pytest.mark.postgres]
DAMPOORT, MUIDE = 7, 8


@pytest.fixture
def two_centres_mail(captured: Pipeline, notify_db) -> Pipeline:  # noqa: F811
    run(captured, "approved", request_id=1)
    run(captured, "approved", request_id=2, location=location_payload(id=MUIDE, name="Buurtcentrum Muide"))
    with notify_db.transaction() as session:  # mail that no notification sent (say, a test message)
        session.add(
            CapturedMail(message_id="<los@x>", recipient="x@example.org", subject="Losse mail", text="", html="")
        )
    return captured


def subjects(client: FlaskClient, **headers: str) -> str:
    page = client.get("/outbox-mail", headers=headers)
    assert page.status_code == 200, page.status_code
    return page.text


def test_the_anonymous_visitor_is_told_to_log_in_and_sees_no_mail(notify_client, two_centres_mail):
    page = notify_client.get("/outbox-mail")
    assert page.status_code == 401 and page.mimetype == "text/html"
    assert "Meld je aan als medewerker" in page.text and "/inventory/login?next=/notify/outbox-mail" in page.text
    assert "UL-0000" not in page.text and "Losse mail" not in page.text and "geheim" not in page.text


def test_staff_read_the_mail_of_their_own_centres_only(notify_client, two_centres_mail):
    dampoort = subjects(notify_client, **staff_headers(locations=(DAMPOORT,)))
    assert "UL-00001" in dampoort and "UL-00002" not in dampoort and "Losse mail" not in dampoort
    muide = subjects(notify_client, **staff_headers(locations=(MUIDE,)))
    assert "UL-00002" in muide and "UL-00001" not in muide
    elsewhere = subjects(notify_client, **staff_headers(locations=(99,)))
    assert "UL-0000" not in elsewhere


def test_an_administrator_reads_all_of_it(notify_client, two_centres_mail):
    everything = subjects(notify_client, **staff_headers(role="admin", locations=()))
    assert "UL-00001" in everything and "UL-00002" in everything and "Losse mail" in everything
