"""``shortfalls.over_promised`` (the sweep behind the "fewer units than promised" flag) against brute force: usage
counted minute by minute over half-open ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.booking.domain.shortfalls import over_promised

T0 = datetime(2030, 3, 4, tzinfo=UTC)


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


promises = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 30), st.integers(1, 4)).map(
        lambda t: (at(t[0]), at(t[0] + t[1]), t[2])
    ),
    max_size=8,
).map(lambda rows: [(a, b, q, i + 1) for i, (a, b, q) in enumerate(rows)])


@given(promises, st.integers(0, 6))
def test_the_sweep_finds_what_counting_every_minute_finds(rows: list, quantity: int) -> None:
    usage = {m: [r for r in rows if r[0] <= at(m) < r[1]] for m in range(0, 100)}
    short = [m for m, held in usage.items() if sum(r[2] for r in held) > quantity]
    found = over_promised(7, quantity, rows)
    if not short:
        assert found is None
        return
    assert found is not None
    assert (found.starts_at, found.ends_at) == (at(min(short)), at(max(short) + 1))
    assert found.promised == max(sum(r[2] for r in held) for held in usage.values())
    assert found.missing == found.promised - quantity
    assert set(found.request_ids) == {r[3] for m in short for r in usage[m]}


def test_loans_that_touch_do_not_add_up() -> None:
    rows = [(at(0), at(60), 2, 1), (at(60), at(120), 2, 2)]
    assert over_promised(7, 2, rows) is None
    short = over_promised(7, 1, rows)
    assert short is not None and short.promised == 2 and short.request_ids == (1, 2)
