"""schemathesis against notify's own OpenAPI document, on the running app and the real database:
no 5xx, and every response (errors included) conforms to what the document promises, for every operation: its
status among the ones the operation lists (there is no blanket ``default``), as an administrator and as staff."""

from __future__ import annotations

from collections import Counter

from tests.fuzzing import fuzz_every_operation, refused_as_unauthenticated
from tests.support.notify import staff_headers

EXAMPLES = 25


def test_every_notify_operation_answers_within_its_contract(notify_app):
    statuses = fuzz_every_operation(notify_app, "/notify", staff_headers(role="admin"), EXAMPLES)
    assert {"GET /deliveries", "GET /call-list", "GET /dead-letters"} <= set(statuses)
    assert refused_as_unauthenticated(statuses) == []
    every_status: Counter = sum(statuses.values(), start=Counter())
    assert every_status[200] > 0 and every_status[422] > 0


def test_every_notify_operation_answers_staff_of_one_centre_within_its_contract(notify_app):
    statuses = fuzz_every_operation(notify_app, "/notify", staff_headers(role="staff", locations=(7,)), 10)
    assert refused_as_unauthenticated(statuses) == []
    assert statuses["GET /dead-letters"][403] > 0  # for administrators only, as documented
