"""GDPR on real PostgreSQL: the retention scan, export and erasure through the API, and the event to notify.

Requests are made through booking's real API; booking → notify goes through the real relay and consumer code
(``tests.support.notify.Pipeline``).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from services.booking.domain import privacy
from services.booking.models import (
    AuditEntry,
    BookingRequest,
    ItemRequirement,
    OutboxEvent,
    PrivacyAction,
    RequestItem,
    StatusLink,
)
from services.booking.web import staff_stats
from services.notify.models import Booking, CapturedMail, ScheduledNotification
from services.notify.models import PrivacyAction as NotifyPrivacyAction
from shared import clock
from shared.db import Database
from tests.booking_fixtures import at, request_body
from tests.support.notify import Pipeline, staff_headers

pytestmark = pytest.mark.postgres

RETENTION = 365
PERSON = {"name": "An Peeters", "email": "An@Example.org", "phone": "0470 12 34 56", "language": "nl"}
STORED_EMAIL = "An@example.org"  # as typed, with the domain normalised at input (shared.fields.EmailAddress)
OTHER = {"name": "Bert Claes", "email": "bert@example.org", "phone": None, "language": "en"}


@pytest.fixture
def world(feed, booking_client, staff_client_for, admin_client):
    location = feed.location()
    feed.requirement("nummerplaat", kind="license_plate")
    asset = feed.asset(location, quantity=5, requirement_codes=["nummerplaat"])
    return {
        "asset": asset,
        "public": booking_client,
        "staff": staff_client_for([location]),
        "admin": admin_client,
    }


def submit(world: dict[str, Any], day: int, contact: dict[str, Any], initiative: str = "Buurtfeest Dampoort") -> int:
    body = request_body(
        world["asset"],
        at(day, 10),
        at(day, 15),
        initiative=initiative,
        contact=contact,
        purpose=f"straatfeest van {contact['name']}",
    )
    body["items"][0]["answers"] = {"nummerplaat": "1-ABC-123"}
    response = world["public"].post("/requests", json=body)
    assert response.status_code == 201, response.json
    return int(response.json["request_id"])


def lend_and_return(world: dict[str, Any], request_id: int) -> None:
    staff = world["staff"]
    for step, body in (
        ("approve", {}),
        ("pick-up", {"checks": {"nummerplaat": True}}),
        ("return", {"condition": "ok"}),
    ):
        response = staff.post(f"/requests/{request_id}/{step}", json=body)
        assert response.status_code == 200, (step, response.json)


def statistics(booking_db: Database, environ: dict[str, str]) -> Any:
    """The staff statistics page's numbers (loans, initiatives, per asset, per location, per month)."""
    from services.booking.web import create_pages_app
    from shared.config import load_settings

    app = create_pages_app(load_settings("booking", environ), booking_db)
    with app.test_request_context("/"), booking_db.session_factory() as session:
        stats = staff_stats.compute(session, 2030)
    return (stats.loans, stats.initiatives, dict(stats.per_asset), dict(stats.per_location), stats.per_month)


def fetch(booking_db: Database, request_id: int) -> BookingRequest:
    with booking_db.session_factory() as session:
        request = session.get(BookingRequest, request_id)
        assert request is not None
        session.expunge(request)
        return request


def actions(booking_db: Database) -> list[PrivacyAction]:
    with booking_db.session_factory() as session:
        return list(session.scalars(sa.select(PrivacyAction).order_by(PrivacyAction.id)))


def run_retention(booking_db: Database, days_later: int, batch: int = 200) -> list[int]:
    with booking_db.transaction() as session:
        return privacy.apply_retention(session, clock.now() + timedelta(days=days_later), RETENTION, batch)


def outbox_payloads(booking_db: Database, request_id: int) -> list[dict[str, Any]]:
    with booking_db.session_factory() as session:
        rows = session.scalars(sa.select(OutboxEvent).where(OutboxEvent.type.like("booking.request.%")))
        return [r.payload for r in rows if r.payload["request_id"] == request_id]


# --- retention ---------------------------------------------------------------------------------------------


def test_retention_anonymises_ended_loans_and_keeps_the_statistics(world, booking_db, environ):
    returned = submit(world, 1, PERSON)
    lend_and_return(world, returned)
    rejected = submit(world, 2, OTHER, initiative="Repair Café Ledeberg")
    assert world["staff"].post(f"/requests/{rejected}/reject", json={"reason": "vol"}).status_code == 200
    running = submit(world, 3, PERSON)
    assert world["staff"].post(f"/requests/{running}/approve", json={}).status_code == 200
    before = statistics(booking_db, environ)
    assert before[0] == 2 and before[1] == 1  # approved + returned loans; one initiative

    assert run_retention(booking_db, RETENTION - 1) == []  # not yet
    assert sorted(run_retention(booking_db, RETENTION + 5)) == [returned, rejected]

    for request_id in (returned, rejected):
        request = fetch(booking_db, request_id)
        assert (request.contact_name, request.contact_email, request.contact_phone) == ("(gewist)", None, None)
        assert request.purpose == "" and request.anonymised_at is not None
    assert fetch(booking_db, running).contact_email == STORED_EMAIL  # a loan still running keeps its contact
    with booking_db.session_factory() as session:
        answers = session.scalars(
            sa.select(ItemRequirement.answer)
            .join(RequestItem, RequestItem.id == ItemRequirement.item_id)
            .where(RequestItem.request_id.in_([returned, rejected, running]))
            .order_by(RequestItem.request_id)
        ).all()
        live_links = session.scalar(
            sa.select(sa.func.count())
            .select_from(StatusLink)
            .where(StatusLink.request_id.in_([returned, rejected]), StatusLink.revoked_at.is_(None))
        )
        trail = session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.request_id == returned).order_by(AuditEntry.id)
        ).all()
    assert answers == [None, None, "1-ABC-123"]  # the running loan keeps its plate
    assert live_links == 0
    assert trail[-1] == "anonymise"
    # nothing personal left in the outbox copies of the events either
    for payload in outbox_payloads(booking_db, returned):
        assert payload["contact"]["email"] is None and payload["contact"]["name"] == "(gewist)"
        assert all(r["answer"] is None for item in payload["items"] for r in item["requirements"])
        assert payload.get("status_url") is None
    assert statistics(booking_db, environ) == before

    [audit] = actions(booking_db)
    assert (audit.action, audit.staff_id, sorted(audit.request_ids)) == (
        "retention",
        None,
        sorted([returned, rejected]),
    )
    assert audit.rows >= 2 and audit.details == {"retention_days": RETENTION}
    with booking_db.session_factory() as session:
        events = session.scalars(
            sa.select(OutboxEvent).where(OutboxEvent.type == "booking.contact.anonymised").order_by(OutboxEvent.id)
        ).all()
    assert sorted(e.payload["request_id"] for e in events) == sorted([returned, rejected])
    assert all(e.version == 1 and e.payload["reason"] == "retention" for e in events)

    # a second run is a no-op: nothing changes, no new audit row, no new event
    assert run_retention(booking_db, RETENTION + 6) == []
    assert len(actions(booking_db)) == 1


def test_retention_works_in_batches_and_two_runs_at_once_anonymise_each_request_once(world, booking_db):
    ids = []
    for day in range(1, 7):
        ids.append(submit(world, day, {**PERSON, "email": f"p{day}@example.org"}))
        assert world["staff"].post(f"/requests/{ids[-1]}/withdraw", json={"reason": "belde af"}).status_code == 200
    assert run_retention(booking_db, RETENTION + 10, batch=2) == ids[:2]  # one batch, oldest first

    results: list[list[int]] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        with booking_db.transaction() as session:
            barrier.wait()
            results.append(privacy.apply_retention(session, clock.now() + timedelta(days=RETENTION + 10), RETENTION, 3))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    done = sorted(i for result in results for i in result)
    assert done == sorted(ids[2:])  # each remaining request exactly once, whichever run took it
    with booking_db.session_factory() as session:
        events = session.scalars(sa.select(OutboxEvent).where(OutboxEvent.type == "booking.contact.anonymised")).all()
    assert sorted(e.payload["request_id"] for e in events) == sorted(ids)


# --- export and erasure through the API --------------------------------------------------------------------


def test_admin_exports_everything_booking_holds_about_a_person_by_phone(world, booking_db):
    first = submit(world, 1, PERSON)
    submit(world, 2, OTHER)
    response = world["admin"].post("/privacy/export", json={"phone": "+32 470/12.34.56"})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["service"] == "booking" and body["subject_kind"] == "phone"
    [request] = body["requests"]
    assert request["request_id"] == first
    assert request["contact"] == {
        "name": "An Peeters",
        "email": STORED_EMAIL,
        "phone": "0470 12 34 56",
        "language": "nl",
    }
    assert request["purpose"] == "straatfeest van An Peeters"
    assert request["items"][0]["requirements"][0]["answer"] == "1-ABC-123"
    assert request["audit_trail"][0]["action"] == "submit" and len(request["status_links"]) == 1
    by_email = world["admin"].post("/privacy/export", json={"email": "an@example.ORG"})
    assert [r["request_id"] for r in by_email.json["requests"]] == [first]

    [export, _] = actions(booking_db)
    assert (export.action, export.staff_id, export.request_ids, export.subject_kind) == ("export", 99, [first], "phone")
    assert "470" not in (export.subject_fingerprint or "") and len(export.subject_fingerprint or "") == 64


@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_only_an_admin_may_export_or_erase(world, booking_db, who):
    request_id = submit(world, 1, PERSON)
    client = world["public"] if who == "anonymous" else world["staff"]
    for path in ("/privacy/export", "/privacy/erase"):
        response = client.post(path, json={"request_id": request_id})
        assert response.status_code == (401 if who == "anonymous" else 403), response.json
        assert response.content_type == "application/problem+json"
    assert client.get("/privacy/actions").status_code == (401 if who == "anonymous" else 403)
    assert fetch(booking_db, request_id).contact_email == STORED_EMAIL
    assert actions(booking_db) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "a@example.org", "phone": "0470123456"}, "email"),
        ({"email": "geen-adres"}, "email"),
        ({"phone": "bel me"}, "phone"),
        ({"request_id": "3"}, "request_id"),
        ({"request_id": 1, "extra": 1}, "extra"),
    ],
)
def test_a_bad_subject_is_a_problem_naming_the_field(world, body, field):
    response = world["admin"].post("/privacy/export", json=body)
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert field in [error["field"] for error in response.json["errors"]]


def test_erasure_anonymises_now_refuses_open_requests_and_is_a_no_op_the_second_time(world, booking_db):
    closed = submit(world, 1, PERSON)
    world["staff"].post(f"/requests/{closed}/reject", json={"reason": "vol"})
    pending = submit(world, 2, PERSON)
    other = submit(world, 3, OTHER)

    refused = world["admin"].post("/privacy/erase", json={"email": "an@example.org"})
    assert refused.status_code == 409, refused.json
    assert refused.json["type"].endswith("/open-requests")
    assert [r["request_id"] for r in refused.json["open_requests"]] == [pending]
    assert fetch(booking_db, closed).contact_email == STORED_EMAIL  # nothing erased: all or nothing

    world["staff"].post(f"/requests/{pending}/withdraw", json={"reason": "belde"})
    erased = world["admin"].post("/privacy/erase", json={"email": "an@example.org", "reason": "mail 27/11"})
    assert erased.status_code == 200, erased.json
    assert erased.json["anonymised"] == [closed, pending]
    for request_id in (closed, pending):
        seen = world["staff"].get(f"/requests/{request_id}").json
        assert seen["contact"] == {"name": "(gewist)", "email": None, "phone": None, "language": "nl"}
    assert fetch(booking_db, other).contact_email == OTHER["email"]
    contacts = world["staff"].get(f"/requests/{other}").json["initiative_contacts"]
    assert [c["name"] for c in contacts] == ["Bert Claes"]  # the erased person is no longer offered to staff
    export = world["admin"].post("/privacy/export", json={"request_id": closed}).json
    assert export["requests"][0]["purpose"] == "" and export["requests"][0]["anonymised_at"]

    again = world["admin"].post("/privacy/erase", json={"email": "an@example.org"})
    assert again.status_code == 200 and again.json["anonymised"] == []
    erase_rows = [a for a in actions(booking_db) if a.action == "erase"]
    assert [(a.staff_id, a.request_ids, a.reason) for a in erase_rows] == [
        (99, [closed, pending], "mail 27/11"),
        (99, [], None),
    ]
    listed = world["admin"].get("/privacy/actions").json
    assert [a["action"] for a in listed] == ["erase", "export", "erase"]  # newest first


# --- booking.contact.anonymised reaches notify ---------------------------------------------------------------


def test_erasure_blanks_notifys_copies_through_the_event(
    world,
    booking_db,
    notify_db,
    notify_config,
    capture_sender,
    notify_client,
):
    pipeline = Pipeline(booking_db, notify_db, notify_config, capture_sender)
    request_id = submit(world, 1, PERSON)
    world["staff"].post(f"/requests/{request_id}/reject", json={"reason": "vol"})
    pipeline.relay()
    pipeline.dispatch()
    with notify_db.session_factory() as session:
        assert session.get(Booking, request_id).contact_email == STORED_EMAIL
        assert (
            session.scalar(
                sa.select(sa.func.count()).select_from(CapturedMail).where(CapturedMail.recipient == STORED_EMAIL)
            )
            >= 1
        )

    admin = staff_headers("admin")
    before = notify_client.post("/privacy/export", json={"email": "an@example.org"}, headers=admin).json
    assert [b["request_id"] for b in before["bookings"]] == [request_id]
    assert before["captured_mails"] and all(m["recipient"] == STORED_EMAIL for m in before["captured_mails"])
    assert {n["kind"] for n in before["notifications"]} >= {"request_received", "rejected"}

    assert world["admin"].post("/privacy/erase", json={"request_id": request_id}).status_code == 200
    assert pipeline.relay() >= 1
    with notify_db.session_factory() as session:
        booking = session.get(Booking, request_id)
        assert booking.contact_email is None
        assert booking.snapshot["contact"] == {"name": "(gewist)", "email": None, "phone": None, "language": "nl"}
        recipients = session.scalars(
            sa.select(ScheduledNotification.recipient).where(
                ScheduledNotification.request_id == request_id, ScheduledNotification.audience == "requester"
            )
        ).all()
        assert recipients and all(r is None for r in recipients)
        assert (
            session.scalar(
                sa.select(sa.func.count()).select_from(CapturedMail).where(CapturedMail.recipient == STORED_EMAIL)
            )
            == 0
        )

    # a redelivery of every booking event (the anonymised one included) changes nothing
    for _service, envelope in list(pipeline.published):
        pipeline.publish("notify", envelope)
    with notify_db.session_factory() as session:
        assert session.get(Booking, request_id).contact_email is None
    after = notify_client.post("/privacy/export", json={"request_id": request_id}, headers=admin).json
    assert after["captured_mails"] == [] and all(n["recipient"] is None for n in after["notifications"])
    assert "An Peeters" not in str(after) and "0470" not in str(after)


def test_notify_export_is_admin_only_and_audited(notify_client, notify_db):
    assert notify_client.post("/privacy/export", json={"email": "a@example.org"}).status_code == 401
    staff = notify_client.post("/privacy/export", json={"email": "a@example.org"}, headers=staff_headers())
    assert staff.status_code == 403
    admin = notify_client.post("/privacy/export", json={"email": "a@example.org"}, headers=staff_headers("admin"))
    assert admin.status_code == 200, admin.json
    assert admin.json == {
        "service": "notify",
        "subject_kind": "email",
        "generated_at": admin.json["generated_at"],
        "bookings": [],
        "notifications": [],
        "captured_mails": [],
    }
    with notify_db.session_factory() as session:
        [row] = session.scalars(sa.select(NotifyPrivacyAction)).all()
    assert (row.action, row.staff_id, row.rows) == ("export", 1, 0)


def test_the_retention_task_is_scheduled_on_the_booking_queue_and_runs_in_batches(world, booking_db, monkeypatch):
    from services.booking import tasks
    from shared.config import load_settings

    settings = load_settings("booking", {"BOOKING_RETENTION_SCAN_SECONDS": "1800"})
    schedule = tasks.beat_schedule(settings)["booking-apply-retention"]
    assert schedule["task"] == "booking.apply_retention" and schedule["schedule"] == 1800.0
    assert schedule["options"]["queue"] == "booking"

    ids = []
    for day in range(1, 4):
        ids.append(submit(world, day, {**PERSON, "email": f"q{day}@example.org"}))
        world["staff"].post(f"/requests/{ids[-1]}/withdraw", json={"reason": "belde af"})
    # the task reads its settings from the environment, like the worker does
    from shared.bootstrap import boot
    from tests.conftest import test_environ

    for name, value in {**test_environ(), "BOOKING_RETENTION_DAYS": "30", "BOOKING_RETENTION_BATCH": "2"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BOOKING_DATABASE_URL", booking_db.engine.url.render_as_string(hide_password=False))
    boot.cache_clear()  # the worker's settings and database, read from the environment set above
    clock.set_clock(clock.now() + timedelta(days=40))
    try:
        assert tasks.apply_retention() == ids
        assert tasks.apply_retention() == []
    finally:
        tasks._database().dispose()
        boot.cache_clear()
    assert [len(a.request_ids) for a in actions(booking_db)] == [2, 1]  # one audit row per batch
