"""CSV for people who open it in a spreadsheet: the one writer every export uses.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel and LibreOffice
as a formula (``=HYPERLINK(...)``, ``@SUM(...)``, DDE tricks), and staff-edited names (an asset, a centre, an
initiative) end up in these cells. Such a text cell gets a leading apostrophe, which the spreadsheet shows as
text and hides (OWASP's advice). Numbers are written as numbers: a negative count is still a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | None


def neutralise(cell: Cell) -> Cell:
    """A cell a spreadsheet will not evaluate: text starting like a formula is prefixed with an apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def write_csv(rows: Iterable[Iterable[Cell]], delimiter: str = ";") -> str:
    """The rows as CSV text, every cell neutralised, with the BOM Excel needs to read UTF-8.

    ``;`` by default: Excel in Belgium opens ';'-separated files directly."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return "\ufeff" + out.getvalue()
