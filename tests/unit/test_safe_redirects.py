"""The one guard for every redirect a visitor can steer (``?next=``, ``?terug=``): hostile values, a table and a
property. "Offsite" is judged the way a browser judges it: WHATWG URL parsing drops tabs and newlines anywhere,
strips leading and trailing control characters and spaces, and reads a backslash as a slash.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from shared.pages.redirects import MAX_TARGET_LENGTH, location_for_path, safe_redirect_target

DEFAULT = "/staff"
SITE = "https://uitleen.gent.be"


def as_a_browser_reads_it(location: str) -> str:
    """The absolute URL a browser goes to for ``Location: location`` on a page of SITE."""
    cleaned = re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$", "", re.sub(r"[\t\n\r]", "", location))
    return urljoin(SITE + "/somewhere/page", cleaned.replace("\\", "/"))


def stays_on_the_site(location: str) -> bool:
    target = urlsplit(as_a_browser_reads_it(location))
    return target.scheme == "https" and target.netloc == "uitleen.gent.be"


HOSTILE = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%09/evil.com",  # as the query sends it, still encoded: harmless, a path on our site
    "/\t/evil.com",  # decoded: a browser drops the tab and reads //evil.com
    "/\n/evil.com",
    "/\r\n/evil.com",
    "/\x00/evil.com",
    "/\x0b/evil.com",
    "/\x7f/evil.com",
    "/\u0085/evil.com",  # NEL, a C1 control
    "/\u200b/evil.com",  # zero-width space
    "/\u202e/evil.com",  # right-to-left override
    "/\u3000/evil.com",  # ideographic space
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "https://evil.example",
    "http:evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " /staff",
    "\t/staff",
    "/staff ",
    "staff",
    "./staff",
    "../staff",
    "?next=//evil",
    "#//evil",
    "/staff\r\nSet-Cookie: x=1",
    "/staff%0d%0aSet-Cookie:%20x=1",
    "／／evil.example",  # fullwidth solidus
    "/／evil.example",
    "/" + "a" * MAX_TARGET_LENGTH,
    "",
    None,
]

ACCEPTED = [
    ("/", "/"),
    ("/staff", "/staff"),
    ("/staff/balie/caravan", "/staff/balie/caravan"),
    ("/inventory/beheer/materiaal/3", "/inventory/beheer/materiaal/3"),
    ("/?van_datum=2030-03-09&tot_datum=2030-03-10", "/?van_datum=2030-03-09&tot_datum=2030-03-10"),
    ("/notify/berichten?ontvanger=an%40example.org&pagina=2", "/notify/berichten?ontvanger=an%40example.org&pagina=2"),
    ("/lenen/café", "/lenen/caf%C3%A9"),  # kept, percent-encoded
    ("/staff#aanvraag-3", "/staff#aanvraag-3"),
]


@pytest.mark.parametrize("raw", HOSTILE, ids=repr)
def test_hostile_targets_get_the_default(raw: str | None) -> None:
    assert safe_redirect_target(raw, DEFAULT) == DEFAULT


@pytest.mark.parametrize("raw", ["/\u2215evil.example", "/\u2044evil.example", "/\u0338evil.example"])
def test_other_look_alikes_of_a_slash_become_escapes_of_a_path_here(raw: str) -> None:
    got = safe_redirect_target(raw, DEFAULT)
    assert got.startswith("/%") and got.isascii() and stays_on_the_site(got)


@pytest.mark.parametrize(("raw", "expected"), ACCEPTED)
def test_paths_of_this_site_are_kept(raw: str, expected: str) -> None:
    assert safe_redirect_target(raw, DEFAULT) == expected


@given(st.text(max_size=60) | st.from_regex(r"\A[/\\\t\n\r %.:a-z]{0,12}\Z"))
@example("/\t/evil.com")
@example("/%2f%2fevil.com")
def test_whatever_is_sent_the_redirect_stays_on_the_site_and_is_a_valid_header(raw: str) -> None:
    got = safe_redirect_target(raw, DEFAULT)
    assert stays_on_the_site(got), (raw, got)
    assert got.isascii() and all(0x21 <= ord(ch) < 0x7F for ch in got), (raw, got)  # nothing a header refuses
    assert got.startswith("/") and not got.startswith("//")


@given(st.text(max_size=60))
def test_a_request_path_becomes_a_safe_location(path: str) -> None:
    location = location_for_path("/" + path)
    assert location.isascii() and all(0x21 <= ord(ch) < 0x7F for ch in location), location
    assert stays_on_the_site(location), location
