"""A short run of the load test (bench/load.py): locust against the production topology, then the invariants.

Bounded (10 users for 15 s, about 40 s with the topology's start and stop): it keeps the load harness working;
the real numbers come from `make load` (docs/benchmarks.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DB_PREFIX, REDIS_URL

pytestmark = pytest.mark.e2e


def test_a_short_load_run_fails_no_request_and_breaks_no_invariant(tmp_path: Path, redis_client) -> None:
    from bench.load import LOAD_PREFIX, run_load

    result = run_load(10, 5, 15, REDIS_URL, f"{LOAD_PREFIX}_{DB_PREFIX}", tmp_path)
    assert result.broken == [], result.report
    assert result.locust_exit == 0 and result.failures == 0, result.report
    assert result.requests >= 20, result.report
    names = {entry["name"] for entry in result.entries}
    assert {"page: catalogue", "page: asset", "api: staff list requests"} <= names, names
    assert result.counted["booking_unpublished"] == 0
    assert "| **all** |" in result.report
