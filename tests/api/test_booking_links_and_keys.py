"""The private status link and the Idempotency-Key on creation."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from services.booking.models import BookingRequest, IdempotencyKey
from shared import clock
from tests.booking_fixtures import at, request_body


def _submit(client, asset, **kwargs):
    response = client.post("/requests", json=request_body(asset, at(2, 10), at(3, 10)), **kwargs)
    assert response.status_code == 201, response.json
    return response


def test_the_link_shows_status_and_history_and_opening_it_changes_nothing(feed, booking_client):
    asset = feed.asset(feed.location())
    url = _submit(booking_client, asset).json["status_url"]
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    for _ in range(3):
        page = booking_client.get(url)
        assert page.status_code == 200
    assert page.json["status"] == "requested"
    assert [h["action"] for h in page.json["history"]] == ["submit"]


def test_the_token_is_stored_only_as_a_hash(feed, booking_client, booking_db):
    asset = feed.asset(feed.location())
    token = _submit(booking_client, asset).json["status_url"].rsplit("/", 1)[1]
    with booking_db.transaction() as session:
        dump = repr([tuple(row) for row in session.execute(sa.text("SELECT * FROM status_links"))])
    assert token not in dump


def test_forged_expired_and_revoked_links_are_the_same_404(feed, booking_client, staff_client_for):
    location = feed.location()
    asset = feed.asset(location)
    created = _submit(booking_client, asset).json
    forged = booking_client.get("/status/" + "A" * 43)
    assert forged.status_code == 404

    new = staff_client_for([location]).post(f"/requests/{created['request_id']}/status-link")
    assert new.status_code == 201
    revoked = booking_client.get(created["status_url"])
    assert revoked.status_code == 404
    assert booking_client.get(new.json["status_url"]).status_code == 200

    clock.set_clock(clock.now() + timedelta(days=181))
    expired = booking_client.get(new.json["status_url"])
    assert expired.status_code == 404
    for response in (revoked, expired):
        assert response.json["detail"] == forged.json["detail"]
        assert response.json.keys() == forged.json.keys()


def test_requester_withdraws_and_corrects_contact_through_the_link(feed, booking_client):
    asset = feed.asset(feed.location())
    url = _submit(booking_client, asset).json["status_url"]
    changed = booking_client.patch(f"{url}/contact", json={"phone": "0470 12 34 56", "email": None})
    assert changed.status_code == 200, changed.json
    assert changed.json["contact"]["phone"] == "0470 12 34 56"
    assert booking_client.patch(f"{url}/contact", json={"phone": None}).status_code == 422
    withdrawn = booking_client.post(f"{url}/withdraw", json={})
    assert withdrawn.json["status"] == "withdrawn"
    again = booking_client.post(f"{url}/withdraw", json={})
    assert again.status_code == 409
    assert again.json["current_status"] == "withdrawn"
    assert "withdrawn" in again.json["detail"]


def test_same_key_same_body_gives_the_first_answer_once(feed, booking_client, booking_db):
    asset = feed.asset(feed.location())
    first = _submit(booking_client, asset, headers={"Idempotency-Key": "k-1"})
    second = _submit(booking_client, asset, headers={"Idempotency-Key": "k-1"})
    assert second.json["request_id"] == first.json["request_id"]
    assert second.json["reference"] == first.json["reference"]
    assert booking_client.get(second.json["status_url"]).status_code == 200
    with booking_db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BookingRequest)) == 1


def test_same_key_other_body_is_422(feed, booking_client):
    asset = feed.asset(feed.location())
    _submit(booking_client, asset, headers={"Idempotency-Key": "k-2"})
    other = request_body(asset, at(2, 10), at(4, 10))
    response = booking_client.post("/requests", json=other, headers={"Idempotency-Key": "k-2"})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "Idempotency-Key"


def test_a_retry_while_the_first_still_runs_waits_for_it_and_gets_its_answer(feed, booking_app, booking_db):
    """The first attempt holds the key's row (uncommitted, as while it works); the retry waits, then replays it."""
    import hashlib

    from services.booking.api.schemas import RequestInSchema
    from services.booking.domain.idempotency import Key, digest_of

    asset = feed.asset(feed.location())
    body = request_body(asset, at(2, 10), at(3, 10))
    first = booking_app.test_client().post("/requests", json=body)  # the request the first attempt makes
    assert first.status_code == 201
    key = Key("client:" + hashlib.sha256(b"127.0.0.1").hexdigest(), "k-3", digest_of(RequestInSchema().load(body)))
    holder = booking_db.session_factory()
    holder.add(IdempotencyKey(key_hash=key.hash, body_hash=key.digest, request_id=first.json["request_id"]))
    holder.flush()  # the first attempt's transaction: the row exists but is not committed yet
    answers: list = []
    retry = threading.Thread(
        target=lambda: answers.append(
            booking_app.test_client().post("/requests", json=body, headers={"Idempotency-Key": "k-3"})
        )
    )
    retry.start()
    retry.join(timeout=1.0)
    assert retry.is_alive(), "the retry must wait for the first attempt, not answer before it finished"
    holder.commit()
    holder.close()
    retry.join(timeout=10)
    [answer] = answers
    assert answer.status_code == 201
    assert answer.json["request_id"] == first.json["request_id"]
    assert answer.json["status_url"] != first.json["status_url"]  # a fresh link: only hashes are stored


def test_a_failed_first_attempt_lets_the_retry_run(feed, booking_client):
    asset = feed.asset(feed.location())
    bad = request_body(asset, at(3, 10), at(2, 10))
    assert booking_client.post("/requests", json=bad, headers={"Idempotency-Key": "k-4"}).status_code == 422
    assert booking_client.post("/requests", json=bad, headers={"Idempotency-Key": "k-4"}).status_code == 422


def test_parallel_double_submits_create_one_request(feed, booking_app, booking_db):
    asset = feed.asset(feed.location())
    body = request_body(asset, at(2, 10), at(3, 10))
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def submit() -> None:
        client = booking_app.test_client()
        barrier.wait()
        statuses.append(client.post("/requests", json=body, headers={"Idempotency-Key": "dbl"}).status_code)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 8  # the later ones waited for the first and got its request
    with booking_db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BookingRequest)) == 1


def test_keys_are_kept_a_day_at_least(booking_db, fixed_clock):
    from services.booking.domain.idempotency import purge_old_keys

    with booking_db.transaction() as session:
        session.add(IdempotencyKey(key_hash="0" * 64, body_hash="x", created_at=clock.now()))
    clock.set_clock(clock.now() + timedelta(hours=23))
    with booking_db.transaction() as session:
        assert purge_old_keys(session, keep_hours=1) == 0
    clock.set_clock(clock.now() + timedelta(hours=2))
    with booking_db.transaction() as session:
        assert purge_old_keys(session, keep_hours=1) == 1


def test_keys_are_scoped_to_who_sends_them(feed, booking_client, staff_client_for):
    location = feed.location()
    asset = feed.asset(location)
    staff = staff_client_for([location])
    body = request_body(asset, at(2, 10), at(3, 10))
    first = staff.post("/requests", json={**body, "proxy": {"consent": "phone"}}, headers={"Idempotency-Key": "k"})
    assert first.status_code == 201, first.json
    # the same key and body from the public is the public's own first use: a new request, not staff's answer
    public = booking_client.post(
        "/requests", json={**body, "proxy": {"consent": "phone"}}, headers={"Idempotency-Key": "k"}
    )
    assert public.status_code == 201
    assert public.json["request_id"] != first.json["request_id"]


def test_requester_cancels_an_approved_loan_with_a_reason(feed, booking_client, staff_client_for):
    location = feed.location()
    asset = feed.asset(location)
    created = _submit(booking_client, asset).json
    url = created["status_url"]
    assert booking_client.post(f"{url}/cancel", json={"reason": "x"}).json["current_status"] == "requested"
    staff_client_for([location]).post(f"/requests/{created['request_id']}/approve", json={})
    assert booking_client.post(f"{url}/withdraw", json={}).json["current_status"] == "approved"
    assert booking_client.post(f"{url}/cancel", json={}).json["errors"][0]["field"] == "reason"
    cancelled = booking_client.post(f"{url}/cancel", json={"reason": "feest afgelast"})
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["history"][-1] == {
        **cancelled.json["history"][-1],
        "by": "requester",
        "reason": "feest afgelast",
    }
