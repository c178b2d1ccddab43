"""Every pages catalogue (the frame's and each service's) is complete in English, and its compiled .mo matches."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
# The folders the Makefile's CATALOGUES names: each has a babel.cfg and translations/en.
CATALOGUES = ("shared/pages", "services/booking/web", "services/inventory/web", "services/notify")


def _plain(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _strings(catalog: object) -> dict[object, object]:
    return {_plain(m.id): _plain(m.string) for m in catalog if m.id}  # type: ignore[attr-defined]


def english(folder: str) -> Path:
    return ROOT / folder / "translations/en/LC_MESSAGES"


def test_the_makefile_compiles_every_catalogue() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert f"CATALOGUES := {' '.join(CATALOGUES)}" in makefile


@pytest.mark.parametrize("folder", CATALOGUES)
def test_every_dutch_text_has_an_english_translation(folder: str) -> None:
    with open(english(folder) / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    untranslated = [
        m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert not untranslated, f"translate these in {folder}'s messages.po, then `make catalogues`: {untranslated}"


@pytest.mark.parametrize("folder", CATALOGUES)
def test_the_compiled_catalogue_is_up_to_date(folder: str) -> None:
    with open(english(folder) / "messages.po", "rb") as po, open(english(folder) / "messages.mo", "rb") as mo:
        assert _strings(read_po(po)) == _strings(read_mo(mo)), "run `make catalogues`"
