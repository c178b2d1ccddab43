"""The English catalogue of the pages is complete, and its compiled .mo matches the .po."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[2] / "services/booking/web/translations/en/LC_MESSAGES"


def _plain(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _strings(catalog: object) -> dict[object, object]:
    return {_plain(m.id): _plain(m.string) for m in catalog if m.id}  # type: ignore[attr-defined]


def test_every_dutch_text_has_an_english_translation() -> None:
    with open(CATALOGUE / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    untranslated = [
        m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert not untranslated, f"translate these in messages.po, then `make catalogues`: {untranslated}"


def test_the_compiled_catalogue_is_up_to_date() -> None:
    with open(CATALOGUE / "messages.po", "rb") as po, open(CATALOGUE / "messages.mo", "rb") as mo:
        assert _strings(read_po(po)) == _strings(read_mo(mo)), "run `make catalogues`"
