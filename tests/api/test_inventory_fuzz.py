"""schemathesis against the inventory's own OpenAPI document, on the running app and the real database:
no 5xx, and every response (errors included) conforms to what the document promises.
"""

from __future__ import annotations

from shared.auth import SESSION_COOKIE
from tests.fuzzing import fuzz_every_operation


def test_every_inventory_operation_answers_within_its_contract(inventory_app, inventory_admin):
    cookie = inventory_admin.get_cookie(SESSION_COOKIE)
    statuses = fuzz_every_operation(inventory_app, "/inventory", {"Cookie": f"{SESSION_COOKIE}={cookie.value}"}, 25)
    assert "POST /assets" in statuses and "PATCH /assets/{asset_id}" in statuses
    every_status = sum(statuses.values(), start=__import__("collections").Counter())
    # The fuzzer really reached the service: successes and refusals both happened.
    assert every_status[200] > 0 and every_status[422] > 0 and every_status[404] < sum(every_status.values())
