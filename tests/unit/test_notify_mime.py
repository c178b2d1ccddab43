"""The directly written MIME message (``mime.flatten_fast``, used by ``mail.built``) is the standard library's
(``build_email`` + ``flatten``) byte for byte, up to the random boundaries: for every template in both languages,
with and without the ``.ics``, and for generated subjects, addresses and bodies (non-ASCII, long lines, CRs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.notify.domain import mail, mime
from services.notify.domain.ical import calendar, loan_appointment
from services.notify.domain.mail import Message, build_email, built, flatten
from services.notify.domain.render import TEMPLATES, booking_context, render
from tests.event_factories import booking_payload, location_payload

SENDER = "Uitleen Stad Gent <uitleen@stad.gent>"
DATE = "Tue, 01 Jun 2027 09:00:00 -0000"
_BOUNDARY = re.compile(rb"===============\d+==(?:\.\d+)?")


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(mail, "formatdate", lambda localtime=False: DATE)
    yield


def _normalised(data: bytes) -> bytes:
    seen: dict[bytes, bytes] = {}
    return _BOUNDARY.sub(lambda m: seen.setdefault(m.group(0), b"BOUNDARY-%d" % len(seen)), data)


def assert_same(message: Message, sender: str = SENDER) -> None:
    expected = flatten(build_email(message, sender))
    fast = built(message, sender).flattened
    assert fast is not None
    assert (fast.sender, fast.recipients, fast.smtputf8) == (expected.sender, expected.recipients, expected.smtputf8)
    assert _normalised(fast.data) == _normalised(expected.data)


def test_every_template_in_both_languages_is_written_as_the_standard_library_writes_it() -> None:
    now = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
    kinds = sorted({path.stem for path in TEMPLATES.glob("*/*.txt")} - {"call_list_digest"})
    for kind in kinds:
        for language in ("nl", "en"):
            booking = booking_payload(reason="Al uitgeleend — sorry", status="approved")
            context = booking_context(booking, location_payload(), language, "http://x", "token", now)
            subject, text, html = render(kind, language, context)
            for method in (None, "REQUEST", "CANCEL"):
                ics = None
                if method:
                    appointment = loan_appointment(booking, location_payload(), language, now, SENDER, "an@x.org")
                    ics = calendar([appointment], subject, method=method)
                message = Message("an@example.org", subject, text, html, "<notification-7@uitleen.stad.gent>", ics)
                assert_same(Message(**{**message.__dict__, "ics_method": method or "PUBLISH"}))


def test_the_usual_messages_take_the_direct_path() -> None:
    message = Message("an@example.org", "Goedgekeurd: UL-1", "Dag\n", "<p>Dag</p>\n", "<n-1@u>", "BEGIN:X\r\n")
    assert mime.flatten_fast(SENDER, "an@example.org", "s", DATE, "<n@u>", "t\n", "h\n", None, "PUBLISH", False)
    assert_same(message)


addresses = st.sampled_from(
    ["an@example.org", "a.b+c@sub.example.be", "ané@xn--exmple-cua.org", "o'neil@example.org", "x_y-z@a-b.be"]
)
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
subjects = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=120)


@settings(max_examples=150, deadline=None)
@given(subjects, texts, texts, addresses, st.sampled_from([None, "REQUEST", "CANCEL", "PUBLISH", "ADD"]))
@example("=?utf-8?q?x?= hoi", "a\r\nb\rc\n", "é" * 100, "an@example.org", "REQUEST")
@example("Goedgekeurd:  twee  spaties ", "x" * 200 + "\n", "", "an@example.org", None)
@example("é" * 90, "From here\n.\n", "<p>€</p>", "ané@xn--exmple-cua.org", "CANCEL")
def test_generated_messages_are_written_as_the_standard_library_writes_them(
    subject: str, text: str, html: str, to: str, method: str | None
) -> None:
    ics = calendar([["BEGIN:VEVENT", f"SUMMARY:{subject}", "END:VEVENT"]], subject, method=method) if method else None
    message = Message(to, subject, text, html, "<notification-1@uitleen.stad.gent>", ics, ics_method=method or "X")
    try:
        expected = flatten(build_email(message, SENDER))
    except (ValueError, UnicodeError) as error:
        with pytest.raises(type(error)):
            built(message, SENDER)
        return
    fast = built(message, SENDER).flattened
    assert fast is not None
    assert (fast.sender, fast.recipients, fast.smtputf8) == (expected.sender, expected.recipients, expected.smtputf8)
    assert _normalised(fast.data) == _normalised(expected.data)
