"""schemathesis against booking's own OpenAPI document, on the running app and the real database:
no 5xx, and every response (errors included) conforms to what the document promises, for every operation.

The data is real (a centre, the caravan, a pending request) so that the fuzzer also reaches the paths behind
the 404s; it runs as an administrator (a signed API token), the role that may call every operation.
"""

from __future__ import annotations

from collections import Counter

from shared.auth import Principal, sign_api_token
from tests.booking_fixtures import SECRET, at, request_body
from tests.fuzzing import BOOKING_STATUSES_PENDING, fuzz_every_operation, refused_as_unauthenticated

EXAMPLES = 25


def test_every_booking_operation_answers_within_its_contract(feed, booking_app, booking_client):
    location = feed.location()
    asset = feed.asset(location)
    created = booking_client.post("/requests", json=request_body(asset, at(1, 10), at(1, 15)))
    assert created.status_code == 201, created.json
    admin = Principal(staff_id=99, name="Fuzzer", role="admin", location_ids=frozenset())
    headers = {"Authorization": f"Bearer {sign_api_token(SECRET, admin)}"}
    statuses = fuzz_every_operation(booking_app, "/booking", headers, EXAMPLES, BOOKING_STATUSES_PENDING)
    assert {"POST /requests", "GET /status/{token}", "GET /dead-letters", "GET /availability"} <= set(statuses)
    assert refused_as_unauthenticated(statuses) == []
    every_status: Counter = sum(statuses.values(), start=Counter())
    # The fuzzer really reached the service: successes and refusals both happened.
    assert every_status[200] > 0 and every_status[422] > 0
