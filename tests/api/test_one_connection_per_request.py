"""No request of any app holds two connections of one database at once: the class behind the 15 s hangs.

On SQLite (the embedded default) each transaction holds the database's write lock, so a request that opens a
second connection while its own session is in a transaction waits for itself until the busy timeout (15 s, then a
503). Three instances were found (the Idempotency-Key's release, the token revocation lookup, the credential check);
this test holds the whole class: every GET route of every app from its url_map, as the public and as staff, and
the writes of a request's life, each counted by the connection pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from werkzeug.test import Client

from shared.auth import SESSION_COOKIE, Principal, sign_session
from tests.booking_fixtures import SECRET, at, request_body
from tests.support.embedded import Embedded

MOUNTS = {"inventory": "/inventory", "booking": "/booking", "notify": "/notify"}


@contextmanager
def checkouts(embedded: Embedded) -> Iterator[dict[str, int]]:
    """The most connections of each database held at the same time while the block runs (one after the other
    is harmless: metrics read two counts that way; two at once is what waits on itself)."""
    held = dict.fromkeys(embedded.databases, 0)
    most = dict.fromkeys(embedded.databases, 0)
    listeners = []
    for name, database in embedded.databases.items():

        def taken(*_: Any, name: str = name) -> None:
            held[name] += 1
            most[name] = max(most[name], held[name])

        def given_back(*_: Any, name: str = name) -> None:
            held[name] -= 1

        for event_name, listener in (("checkout", taken), ("checkin", given_back)):
            sa.event.listen(database.engine.pool, event_name, listener)
            listeners.append((database.engine.pool, event_name, listener))
    try:
        yield most
    finally:
        for pool, event_name, listener in listeners:
            sa.event.remove(pool, event_name, listener)


def staff(embedded: Embedded) -> Client:
    client = embedded.client()
    admin = Principal(staff_id=1, name="Beheerder", role="admin", location_ids=frozenset())
    client.set_cookie(SESSION_COOKIE, sign_session(SECRET, admin))
    return client


def get_paths(embedded: Embedded) -> Iterator[str]:
    """Every GET route without a parameter, under its mount (the pages app at the root)."""
    apps = [("", embedded.app.app)] + [(prefix, embedded.app.mounts[prefix]) for prefix in embedded.app.mounts]
    for prefix, app in apps:
        for rule in app.url_map.iter_rules():  # type: ignore[union-attr]
            if "GET" in (rule.methods or ()) and not rule.arguments and not rule.endpoint.endswith("static"):
                yield prefix + rule.rule


def test_every_get_route_uses_one_connection_at_most(embedded: Embedded) -> None:
    from services.inventory.models import StaffAccount

    with embedded.databases["inventory"].transaction() as session:
        assert session.get(StaffAccount, 1) is not None  # the demo's administrator: inventory checks the account
    seen = []
    for who, client in (("public", embedded.client()), ("staff", staff(embedded))):
        for path in get_paths(embedded):
            with checkouts(embedded) as counts:
                response = client.get(path)
            assert response.status_code < 500, (who, path, response.status_code)
            over = {name: n for name, n in counts.items() if n > 1}
            assert not over, f"{who} GET {path} held {over} connections at once"
            seen.append(path)
    assert len(seen) > 40


def test_a_requests_life_uses_one_connection_per_step(embedded: Embedded) -> None:
    with embedded.databases["booking"].session_factory() as session:
        asset = int(session.scalar(sa.text("SELECT id FROM inv_assets WHERE code = 'naaimachines-nieuw-gent'")))
    public, desk = embedded.client(), staff(embedded)
    headers = {"X-Requested-With": "test"}
    body = request_body(asset, at(3, 10), at(3, 13))
    steps = [
        (public, "POST", "/booking/requests", {"json": body, "headers": {"Idempotency-Key": "k1"}}),
        (public, "POST", "/booking/requests", {"json": body, "headers": {"Idempotency-Key": "k1"}}),  # replay
        (public, "POST", "/booking/requests", {"json": {**body, "pickup_at": at(-3, 10)}}),  # refused
    ]
    with checkouts(embedded) as counts:
        created = public.post("/booking/requests", json=request_body(asset, at(4, 10), at(4, 13)))
    assert created.status_code == 201 and max(counts.values()) <= 1
    request_id = created.json["request_id"]
    link = created.json["status_url"]
    steps += [
        (desk, "POST", f"/booking/requests/{request_id}/approve", {"json": {}, "headers": headers}),
        (desk, "POST", f"/booking/requests/{request_id}/pick-up", {"json": {}, "headers": headers}),
        (desk, "POST", f"/booking/requests/{request_id}/return", {"json": {}, "headers": headers}),
        (desk, "POST", f"/booking/requests/{request_id}/status-link", {"json": {}, "headers": headers}),
        (public, "GET", f"/booking{link}", {}),
    ]
    for client, method, path, options in steps:
        with checkouts(embedded) as counts:
            response = client.open(path, method=method, **options)
        assert response.status_code < 500, (method, path, response.status_code)
        assert max(counts.values()) <= 1, f"{method} {path}: {counts}"
