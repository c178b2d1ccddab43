"""Every mail notify sends, in every language it is sent in, is in that language only (subject, text and HTML).

Requester mails go out in the requester's language (Dutch or English); staff mails (new request, overdue
escalation, the call list digest) in Dutch (services/notify/domain/dispatch.py). Each is rendered through
``services.notify.domain.render`` with a realistic booking snapshot (tests/event_factories.py) and judged like
the pages (tests/support/language.py), with what people typed taken out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from services.notify.domain.render import TEMPLATES, booking_context, render
from tests.event_factories import booking_payload, location_payload
from tests.support.language import findings, readable_text

STAFF_KINDS = ("new_request", "overdue_escalation", "call_list_digest", "expiry_warning")
REQUESTER_KINDS = tuple(sorted(path.stem for path in (TEMPLATES / "nl").glob("*.txt") if path.stem not in STAFF_KINDS))
REASON = "Al uitgeleend op die dag"  # what a staff member typed when rejecting


def strings(value: Any) -> Iterator[str]:
    """Every text in a snapshot: what people typed and the inventory's names, in both languages."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def mails() -> Iterator[tuple[str, str]]:
    for kind in REQUESTER_KINDS:
        for language in ("nl", "en"):
            yield kind, language
    for kind in STAFF_KINDS:
        yield kind, "nl"


def context_for(kind: str, language: str) -> tuple[dict[str, Any], set[str]]:
    snapshot = booking_payload(status="approved", reason=REASON, language=language)
    location = location_payload()
    if kind == "call_list_digest":
        what = "Herinnering: ophalen zaterdag 12 juni 2027 om 10:00"  # the subject of the resident's message
        entry = {"contact_name": "Mevrouw Janssens", "contact_phone": "09 123 45 67", "what": what}
        entry.update({"reference": "UL-00001", "items": "Caravan doorgeefbazaar", "call_outcome": "unreached"})
        entry.update(
            {"facts": [{"label": "Ophalen", "value": "zaterdag 12 juni 2027 om 10:00"}], "call_note": "voicemail"}
        )
        context = {"entries": [entry], "day": date(2027, 6, 11).isoformat(), "location_name": location["name"]}
        context.update({"location_id": 7, "public_url": "https://uitleen.gent.be"})
        return context, set(strings(entry)) | {location["name"], "https://uitleen.gent.be"}
    context = booking_context(snapshot, location, language, "https://uitleen.gent.be")
    return context, set(strings(snapshot)) | set(strings(location))


def test_every_requester_mail_has_an_english_template() -> None:
    missing = [kind for kind in REQUESTER_KINDS if not (TEMPLATES / "en" / f"{kind}.txt").exists()]
    assert not missing, f"requesters who chose English would get these in Dutch: {missing}"


@pytest.mark.parametrize(("kind", "language"), list(mails()))
def test_the_mail_is_in_its_language_only(kind: str, language: str) -> None:
    context, data = context_for(kind, language)
    subject, text, html = render(kind, language, context)
    html_language, html_text = readable_text(html, language)
    assert html_language == language
    wrong = {
        part: findings(" ".join(body.split()), language, data)
        for part, body in (("subject", subject), ("text", text), ("html", html_text))
    }
    wrong = {part: found for part, found in wrong.items() if found}
    assert not wrong, f"{kind} in {language}: {wrong}"
