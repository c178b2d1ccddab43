"""Garbage into every booking endpoint, as public and as staff: always a 4xx problem, never a 500."""

from __future__ import annotations

import itertools

from tests.booking_fixtures import at, request_body

BODIES = [
    None,
    "null",
    "[]",
    "1",
    '"x"',
    "{",
    '{"reason": 5}',
    '{"override_buffers": "maybe"}',
    '{"return_at": "2030-13-40"}',
    '{"checks": {"Bad Code": 1}}',
    '{"verified": "yes"}',
    '{"x": 1}',
    '{"reason": ""}',
    '{"return_at": null}',
    '{"email": null, "phone": null}',
]


def test_no_endpoint_answers_garbage_with_a_500(feed, booking_client, staff_client_for):
    location = feed.location()
    asset = feed.asset(location)
    staff = staff_client_for([location])
    created = booking_client.post("/requests", json=request_body(asset, at(1, 10), at(1, 15))).json
    rid = created["request_id"]
    item = created["items"][0]["item_id"]
    link = created["status_url"]
    paths = [
        f"/requests/{rid}/{a}" for a in ("approve", "reject", "cancel", "withdraw", "pick-up", "return", "reschedule")
    ]
    paths += ["/requests", "/requests/999/approve", f"{link}/withdraw", f"{link}/cancel", "/status/x/withdraw"]
    bad = []
    for client, path, body in itertools.product((staff, booking_client), paths, BODIES):
        r = client.post(path, data=body, content_type="application/json")
        if r.status_code >= 500 or not (
            r.status_code < 300 or r.headers["Content-Type"].startswith("application/problem+json")
        ):
            bad.append((path, body, r.status_code))
    for client, path, body in itertools.product(
        (staff, booking_client),
        [
            f"/requests/{rid}/contact",
            f"{link}/contact",
            f"/requests/{rid}/items/{item}/requirements/x",
            f"/requests/{rid}/items/9/requirements/x",
        ],
        BODIES,
    ):
        r = client.open(path, method="PUT" if "items" in path else "PATCH", data=body, content_type="application/json")
        if r.status_code >= 500:
            bad.append((path, body, r.status_code))
    for q in [
        "/requests?page=0",
        "/requests?page_size=1000",
        "/requests?from=2030-03-31T02:30",
        "/availability?asset_id=1&from=2030-03-05&to=2030-03-04",
        "/availability?asset_id=x&from=a&to=b",
        "/availability?location_id=1&from=2030-03-01T00:00&to=2031-03-01T00:00&slot=hour",
        "/search?pickup_at=x",
        "/search?pickup_at=2030-03-05T10:00&return_at=2030-03-05T12:00&quantity=0",
        "/status/" + "a" * 500,
        "/requests/1/audit",
        "/requests/abc",
    ]:
        for client in (staff, booking_client):
            r = client.get(q)
            if r.status_code >= 500:
                bad.append((q, r.status_code))
    assert bad == []
