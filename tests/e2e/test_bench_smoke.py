"""The benchmark suite at its smoke size, on the real topology: every table is produced and its contents are
correct (one winner of a race, every booking's mail delivered, availability answers that match the load).

Timings are printed, never asserted; `make bench` runs the full size (docs/benchmarks.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.run import BENCHMARKS, run_benchmarks
from tests.conftest import DB_PREFIX, REDIS_URL

pytestmark = pytest.mark.e2e


def test_every_benchmark_produces_a_sane_table_at_smoke_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    printed: list[str] = []
    results = {
        r.name: r
        for r in run_benchmarks(list(BENCHMARKS), "smoke", f"{DB_PREFIX}_bench", REDIS_URL, tmp_path, printed.append)
    }
    with capsys.disabled():
        print("\n".join(printed))
    assert list(results) == list(BENCHMARKS)
    for result in results.values():
        text = result.render()
        assert text.startswith(f"\n## {result.title}")
        assert all(len(row) == len(result.header) for row in result.rows)

    # the request path and the pages, counted (not timed): create+approve in at most 12 statements and 2
    # transactions; no page sends more statements when its month fills; a public page at most 10
    booking = results["paths"].data["booking"]["create + approve"]
    assert max(booking["statements"]) <= 12 and max(booking["transactions"]) <= 2, booking
    for label, counts in results["paths"].data["pages"].items():
        assert max(counts["busy"]) <= max(counts["empty"]) or label == "staff loans desk", (label, counts)
        if not label.startswith("staff"):
            assert max(counts["busy"]) <= 10, (label, counts)

    throughput = results["throughput"]
    assert [row[0] for row in throughput.rows] == [8, 32]
    for row in throughput.rows:
        assert row[2] == 0, "every create-and-approve succeeded"
        assert row[3] > 0 and row[6] > 0 and row[9] > 0
    booked = sum(row[1] for row in throughput.rows)
    # warm-up (16) + the service's bookings + as many done by the limit, each one active allocation
    assert throughput.data["allocations"] == 16 + 2 * booked + 10 + 10

    contention = results["contention"].data
    assert contention["winners"] == 1
    assert contention["allocations"] == 1
    assert contention["statuses"] == {200: 1, 409: contention["racers"] - 1}
    assert contention["winner"].startswith("UIT-")

    availability = results["availability"].data
    small, large = availability["sizes"]
    for question in availability["ratios"]:
        answers = {size: availability["answers"][size][question] for size in (small, large)}
        for answer in answers.values():
            assert answer, question
            for asset in answer:
                assert all(slot["free"] in (0, 1) for slot in asset["slots"])
        taken = {
            size: sum(slot["free"] == 0 for a in answer for slot in a["slots"]) for size, answer in answers.items()
        }
        assert 0 < taken[small] <= taken[large], (question, taken)

    reminders = results["reminders"].data
    small, large = reminders["sizes"]
    for size in (small, large):
        assert reminders[(size, "nothing due")]["claimed"] == 0
        assert reminders[(size, "backlog due")]["claimed"] > 0
    assert reminders[(large, "backlog due")]["claimed"] == 1  # one row per claim: a dying worker strands only it

    inbox = results["inbox"].data
    for mode in ("paced: 1 approver, 0.2 s apart", "burst: 4 approvers"):
        assert inbox[mode]["arrived"] == inbox["bookings"] == len(inbox[mode]["latencies"]), mode

    memory = results["memory"].data
    for role in ("inventory", "booking", "notify", "worker_booking", "worker_notify"):
        assert len(memory[role]) >= 2 and all(size > 10 for size in memory[role]), role
