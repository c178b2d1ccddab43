"""schemathesis against the inventory's own OpenAPI document, on the running app and the real database:
no 5xx, and every response (errors included) conforms to what the document promises: its status among the ones
the operation lists (there is no blanket ``default``), as an administrator and as staff of one centre.
"""

from __future__ import annotations

from collections import Counter

from tests.fuzzing import fuzz_every_operation, refused_as_unauthenticated


def test_every_inventory_operation_answers_within_its_contract(inventory_app, inventory_admin):
    issued = inventory_admin.post("/auth/tokens", json={"name": "fuzzer"})
    assert issued.status_code == 201, issued.json
    headers = {"Authorization": f"Bearer {issued.json['token']}"}
    statuses = fuzz_every_operation(inventory_app, "/inventory", headers, 25)
    assert "POST /assets" in statuses and "PATCH /assets/{asset_id}" in statuses
    # The fuzzer acted as the administrator everywhere (a wrong password at login is its own 401).
    assert refused_as_unauthenticated(statuses, {"POST /auth/login"}) == []
    every_status: Counter = sum(statuses.values(), start=Counter())
    # The fuzzer really reached the service: successes and refusals both happened.
    assert every_status[200] > 0 and every_status[422] > 0 and every_status[404] < sum(every_status.values())


def test_every_inventory_operation_answers_staff_of_one_centre_within_its_contract(inventory_app, staff_client):
    issued = staff_client.post("/auth/tokens", json={"name": "fuzzer"})
    assert issued.status_code == 201, issued.json
    statuses = fuzz_every_operation(
        inventory_app, "/inventory", {"Authorization": f"Bearer {issued.json['token']}"}, 10
    )
    assert refused_as_unauthenticated(statuses, {"POST /auth/login"}) == []
    # admin-only operations refuse a member of staff, and say so in the document
    assert sum(statuses["POST /locations"].values()) and statuses["POST /locations"][201] == 0
