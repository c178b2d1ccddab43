"""Is this page (or mail) in one language? The judge of tests/api/test_language_walk.py and
tests/unit/test_mail_language.py.

A text is judged two ways:

- against the catalogues (the frame's and every service's ``translations/en``): a Dutch page shows no English
  translation of any catalogue entry, an English page no Dutch msgid whose translation differs;
- with a short list of words that belong to one of the two languages only.

What people typed (names, purposes, reasons, an asset's names in both languages) is data, not the page's
language: the caller lists it and it is taken out first. So is anything inside an element whose ``lang``
attribute names the other language (the language switch's "English", on purpose).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ("shared/pages", "services/booking/web", "services/inventory/web", "services/notify")

# Words that are one language's only (the other never uses them), common enough to show up when a text slipped
# through untranslated. Matched as whole words, case-insensitively; an identifier such as ``loans_per_asset``
# counts as its words.


def _word_list(text: str) -> frozenset[str]:
    return frozenset(text.split())


ENGLISH_ONLY = _word_list(
    """the please must your you with for and not this that have has will can cannot should been there
    which what when where who from into only more than are our or by to be no yes item provided
    license plate confirm category loans year value measure key distinct older"""
)
DUTCH_ONLY = _word_list(
    """het niet jouw jou moet een je jij voor bij wordt naar geen deze ook nog zijn wij alsjeblieft
    kies vul jaar aanvraag aanvragen materiaal uitlening uitleningen buurtcentrum herinnering ophalen
    terugbrengen verstuurd gepland mislukt bellijst berichten dag uur waar wanneer welke buiten openingsuren
    geldig geldige bijvoorbeeld nummerplaat gebruik datum tussen"""
)
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sdf]")
WORD = re.compile(r"[^\W\d_]+")
# A catalogue fragment needs this much to be told apart from a name or a word both languages share.
MIN_FRAGMENT_WORDS = 2


@dataclass(frozen=True)
class Catalogues:
    dutch_fragments: frozenset[str]  # from msgids whose translation differs
    english_fragments: frozenset[str]  # from those translations


def _fragments(text: str) -> set[str]:
    """The literal pieces of a catalogue text between its placeholders, long enough to mean something."""
    pieces = (" ".join(piece.split()).strip(" .,:;()-—·?!") for piece in PLACEHOLDER.split(text))
    return {piece for piece in pieces if len(WORD.findall(piece)) >= MIN_FRAGMENT_WORDS}


@functools.cache
def catalogues() -> Catalogues:
    dutch: set[str] = set()
    english: set[str] = set()
    for folder in CATALOGUES:
        with open(ROOT / folder / "translations/en/LC_MESSAGES/messages.po", "rb") as handle:
            for message in read_po(handle):
                if not message.id:
                    continue
                ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
                strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
                for msgid, msgstr in zip(ids, strings, strict=False):
                    if msgstr and msgstr != msgid:
                        dutch |= _fragments(msgid)
                        english |= _fragments(str(msgstr))
    # A piece both languages write the same way ("Repair Café") says nothing about either.
    return Catalogues(frozenset(dutch - english), frozenset(english - dutch))


class _Text(HTMLParser):
    """The words a reader meets: text, and the attributes that are read out (labels, titles, alt texts)."""

    READ_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")
    VOID = _word_list("area base br col embed hr img input link meta source track wbr")

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.page_language: str | None = None
        self.parts: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, skipped: script, style or another language)

    def _skipping(self) -> bool:
        return any(skipped for _tag, skipped in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.page_language = values.get("lang")
        other = values.get("lang") not in (None, self.language) and tag != "html"
        if tag not in self.VOID:
            self._stack.append((tag, tag in ("script", "style") or other))
        if self._skipping() or other:
            return
        self.parts.extend(str(values[name]) for name in self.READ_ATTRIBUTES if values.get(name))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.parts.append(data)


def readable_text(html: str, language: str) -> tuple[str | None, str]:
    """(the page's ``<html lang>``, what a reader of ``language`` reads on it, one space between the pieces)."""
    parser = _Text(language)
    parser.feed(html)
    return parser.page_language, " ".join(" ".join(parser.parts).split())


# Addresses of the web and of mailboxes are names, in no language ("www.gegevensbeschermingsautoriteit.be").
# Addresses, links and request references (``UIT-`` and eight random letters and digits: "UIT-BY7Q2K3M" holds
# the "word" BY) are data, not the page's words.
ADDRESS = re.compile(r"\S+@\S+|\b(?:https?://|www\.)\S+|\b[\w.-]+\.(?:be|org|gent|demo|example)\b|\bUIT-[A-Z0-9]{8}\b")


def _whole(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(value)}(?!\w)")


def _data_spans(text: str, data: Iterable[str]) -> list[tuple[int, int]]:
    values = {" ".join(v.split()) for v in data if v and v.strip()}
    spans = [m.span() for value in values for m in _whole(value).finditer(text)]
    return spans + [m.span() for m in ADDRESS.finditer(text)]


def without_data(text: str, data: Iterable[str]) -> str:
    """``text`` with every piece of typed data taken out, and web and mail addresses. Only whole words go: the
    answer "B" leaves "Berichten" alone. What is left is what the page itself says."""
    kept, at = [], 0
    for start, end in sorted(_data_spans(text, data)):
        if start >= at:
            kept.append(text[at:start])
            kept.append(" ¤ ")
        at = max(at, end)
    return "".join(kept) + text[at:]


def _words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(text)}


def findings(text: str, language: str, data: Iterable[str] = ()) -> list[str]:
    """What on ``text`` is not in ``language``. A catalogue text counts unless it lies wholly inside something
    typed (a requester may write "Please call"); a one-language word counts outside what was typed."""
    known = catalogues()
    spans = _data_spans(text, data)

    def shown(fragment: str) -> bool:
        return any(
            not any(start <= m.start() and m.end() <= end for start, end in spans)
            for m in _whole(fragment).finditer(text)
        )

    own_words = _words(without_data(text, data))
    if language == "nl":
        found = [f"English text: {f!r}" for f in sorted(known.english_fragments) if shown(f)]
        found += [f"English word: {w!r}" for w in sorted(own_words & ENGLISH_ONLY)]
    else:
        found = [f"Dutch text: {f!r}" for f in sorted(known.dutch_fragments) if shown(f)]
        found += [f"Dutch word: {w!r}" for w in sorted(own_words & DUTCH_ONLY)]
    return found


def snippet(text: str, finding: str, width: int = 60) -> str:
    """Where on the page a finding is, for the failure message."""
    match = re.search(r"'(.+)'", finding)
    found = re.search(rf"(?<!\w){re.escape(match.group(1))}(?!\w)", text, re.IGNORECASE) if match else None
    return text[max(0, found.start() - width) : found.end() + width] if found else ""
