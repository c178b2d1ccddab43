"""Belgian license plates: lenient input, one stored form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.booking.domain.plates import InvalidPlate, normalise_plate

LETTERS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)
DIGITS = st.text(alphabet="0123456789", min_size=3, max_size=3)
SEPARATOR = st.sampled_from(["", "-", " ", ".", " - "])


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("1abc234", "1-ABC-234"),
        ("1-ABC-234", "1-ABC-234"),
        (" 1 abc 234 ", "1-ABC-234"),
        ("2.xyz.009", "2-XYZ-009"),
        ("ABC-123", "ABC-123"),
        ("abc123", "ABC-123"),
        ("123-abc", "123-ABC"),
    ],
)
def test_typed_plates_are_normalised(typed, stored):
    assert normalise_plate(typed) == stored


@pytest.mark.parametrize("typed", ["", "1-AB-234", "0-ABC-234", "1-ABC-2345", "ABCD123", "1-ÄBC-234", "caravan"])
def test_garbage_is_refused_with_an_example(typed):
    with pytest.raises(InvalidPlate):
        normalise_plate(typed)


@given(st.integers(1, 9), LETTERS, DIGITS, SEPARATOR, SEPARATOR, st.booleans())
def test_current_format_round_trips_whatever_the_spelling(first, letters, digits, sep1, sep2, lower):
    typed = f"{first}{sep1}{letters}{sep2}{digits}"
    typed = typed.lower() if lower else typed
    stored = normalise_plate(typed)
    assert stored == f"{first}-{letters}-{digits}"
    assert normalise_plate(stored) == stored  # idempotent


@given(st.text(max_size=20))
def test_anything_typed_is_either_normalised_or_refused(text):
    try:
        stored = normalise_plate(text)
    except InvalidPlate:
        return
    assert normalise_plate(stored) == stored
    assert stored.replace("-", "").isalnum()
