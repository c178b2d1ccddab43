"""Fuzz a service through its own OpenAPI document with schemathesis (shared by the per-service fuzz tests)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from shared.web import mounted

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Operations whose views do not declare their statuses (shared.openapi.problems): none any more. Kept as a name so
# a view on its way in can be listed, with the reason, instead of quietly losing the status-code check.
BOOKING_STATUSES_PENDING: frozenset[str] = frozenset()


def checks_for(label: str, statuses_pending: frozenset[str] = frozenset()) -> list[Any]:
    return [c for c in CHECKS if c is not status_code_conformance] if label in statuses_pending else CHECKS


def fuzz_every_operation(
    app: Flask,
    prefix: str,
    headers: dict[str, str],
    max_examples: int,
    statuses_pending: frozenset[str] = frozenset(),
) -> dict[str, Counter]:
    """Run every documented operation with generated input (valid and invalid) against the mounted app.

    Raises on the first response that is a 5xx or breaks the document (an undocumented status included, but for
    the operations in ``statuses_pending``); returns status counts per operation.
    Identify with an ``Authorization`` header: werkzeug's test client drops a ``Cookie`` header it did not set.
    """
    assert "Cookie" not in headers, "werkzeug's test client would drop this Cookie header; send a bearer token"
    schema = schemathesis.openapi.from_wsgi(f"{prefix}/openapi.json", mounted(app, prefix))
    statuses: dict[str, Counter] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        checks = checks_for(operation.label, statuses_pending)
        statuses[operation.label] = fuzz_operation(operation, headers, max_examples, checks)
    return statuses


def fuzz_operation(operation: Any, headers: dict[str, str], max_examples: int, checks: list[Any] = CHECKS) -> Counter:
    counts: Counter = Counter()

    @given(case=operation.as_strategy())
    @settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        counts[response.status_code] += 1
        case.validate_response(response, checks=checks)

    run()
    return counts


def refused_as_unauthenticated(statuses: dict[str, Counter], allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Operations that answered 401 although the fuzzer sent a valid identity (the run would prove little)."""
    return [label for label, counts in statuses.items() if counts[401] and label not in allowed]
