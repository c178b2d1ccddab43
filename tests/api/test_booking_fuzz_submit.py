"""A second fuzz pass at the one operation the generic pass cannot get past its 422s: ``POST /requests``.

The body is well formed (the real asset, future times) and everything a person types in it is arbitrary text
from hypothesis: any such submission is accepted (201) or refused naming a field (422), never a 5xx, and the
answer conforms to the OpenAPI document either way.
"""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.web import mounted
from tests.booking_fixtures import at
from tests.fuzzing import BOOKING_STATUSES_PENDING, checks_for

TYPED = st.text(max_size=60) | st.sampled_from(["", " ", "An Peeters", "an@example.org", "0470 12 34 56"])


def test_any_typed_submission_is_accepted_or_refused_within_the_contract(feed, booking_app):
    asset = feed.asset(feed.location())
    schema = schemathesis.openapi.from_wsgi("/booking/openapi.json", mounted(booking_app, "/booking"))
    operation = schema["/requests"]["POST"]
    counts: Counter = Counter()

    @given(
        initiative=TYPED,
        name=TYPED,
        email=st.none() | TYPED | st.emails().map(str),
        phone=st.none() | TYPED,
        purpose=TYPED,
        day=st.integers(1, 60),
    )
    # Random texts alone may not reach a 201 in 40 tries: one sure acceptance and one sure refusal always run,
    # so the final check tests the contract on both sides instead of the luck of the draw.
    @example(initiative="Buurtfeest", name="An Peeters", email="an@example.org", phone=None, purpose="ruilmarkt", day=5)
    @example(initiative="", name="", email=None, phone=None, purpose="", day=6)
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def submit(initiative, name, email, phone, purpose, day):
        body = {
            "initiative": initiative,
            "contact": {"name": name, "email": email, "phone": phone, "language": "nl"},
            "purpose": purpose,
            "pickup_at": at(day, 10),
            "return_at": at(day, 12),
            "items": [{"asset_id": asset, "quantity": 1}],
        }
        case = operation.Case(body=body, media_type="application/json")
        response = case.call()
        counts[response.status_code] += 1
        assert response.status_code in (201, 409, 422), (response.status_code, response.text[:300])
        case.validate_response(response, checks=checks_for("POST /requests", BOOKING_STATUSES_PENDING))

    submit()
    assert counts[201] > 0 and counts[422] > 0, counts
