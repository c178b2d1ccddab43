"""The CSV writer every export uses: no text cell reaches a spreadsheet as a formula."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from shared.spreadsheet import FORMULA_STARTS, write_csv


def read_back(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@given(st.lists(st.lists(st.one_of(st.text(), st.integers(), st.none()), min_size=1, max_size=4), max_size=5))
def test_no_text_cell_starts_like_a_formula_and_the_rest_is_kept(rows):
    back = read_back(write_csv(rows))
    assert len(back) == len(rows)
    for written, original in zip(back, rows, strict=True):
        for cell, value in zip(written, original, strict=True):
            if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                assert cell == "'" + value
            elif isinstance(value, str):
                assert cell == value
            else:
                assert cell == ("" if value is None else str(value))


def test_each_dangerous_start_is_neutralised():
    names = ['=HYPERLINK("http://evil","klik")', "+32 470", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "Naaimachine"]
    assert [row[0] for row in read_back(write_csv([[n] for n in names]))] == [
        '\'=HYPERLINK("http://evil","klik")',
        "'+32 470",
        "'-2+3",
        "'@SUM(A1)",
        "'\tcmd",
        "'\rcmd",
        "Naaimachine",
    ]
    assert read_back(write_csv([[-3, 2.5]])) == [["-3", "2.5"]]  # numbers stay numbers
