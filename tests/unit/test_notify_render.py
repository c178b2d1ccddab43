from datetime import UTC, datetime

from services.notify.domain.ical import calendar, loan_appointment
from services.notify.domain.render import TEMPLATES, booking_context, format_instant, render
from tests.event_factories import booking_payload, location_payload

KINDS = (
    "request_received",
    "new_request",
    "approved",
    "rejected",
    "withdrawn",
    "cancelled",
    "pickup_reminder",
    "return_reminder",
    "overdue_notice",
    "overdue_escalation",
    "expired",
    "rescheduled",
    "expiry_warning",
)


def test_dates_read_as_people_say_them() -> None:
    instant = datetime(2026, 9, 12, 12, 0, tzinfo=UTC)
    assert format_instant(instant, "nl") == "zaterdag 12 september 2026 om 14:00"
    assert format_instant(instant, "en") == "Saturday 12 September 2026 at 14:00"


def test_every_kind_renders_in_dutch_and_english_as_text_and_html() -> None:
    for kind in KINDS:
        for language in ("nl", "en"):
            context = booking_context(booking_payload(reason="Al uitgeleend"), location_payload(), language, "http://x")
            subject, text, html = render(kind, language, context)
            assert subject and "UL-00001" in subject + text, kind
            assert "<html" in html and "{{" not in text, kind
    assert (TEMPLATES / "nl" / "approved.txt").read_text(encoding="utf-8").startswith("Goedgekeurd")


def test_approved_mail_has_place_hours_and_checklist() -> None:
    context = booking_context(booking_payload(status="approved"), location_payload(), "nl", "http://x")
    subject, text, html = render("approved", "nl", context)
    assert subject == "Goedgekeurd: je aanvraag UL-00001"
    assert "Dampoortstraat 2, 9000 Gent" in text
    assert "maandag 09:00–17:00" in text
    assert "- Wagen met trekhaak" in text and "- Extra nummerplaat voor de caravan" in text
    assert "zaterdag 12 juni 2027 om 10:00" in text
    assert "Wagen met trekhaak" in html and "<script" not in html
    english = render("approved", "en", booking_context(booking_payload(), location_payload(), "en", "http://x"))
    assert "Car with a tow hitch" in english[1] and "Monday 09:00–17:00" in english[1]


def test_html_escapes_what_people_typed() -> None:
    payload = booking_payload(contact={"name": "<b>An</b>", "email": "a@b", "phone": None, "language": "nl"})
    _, text, html = render("request_received", "nl", booking_context(payload, location_payload(), "nl", "http://x"))
    assert "<b>An</b>" in text and "&lt;b&gt;An&lt;/b&gt;" in html


def test_ics_is_valid_rfc5545_in_utc_with_folded_lines() -> None:
    payload = booking_payload(status="approved")
    now = datetime(2027, 1, 1, tzinfo=UTC)
    appointment = loan_appointment(payload, location_payload(), "nl", now, "Uitleen <u@stad.gent>", "an@example.org")
    ics = calendar([appointment], "Uitleen", method="REQUEST")
    assert ics.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20270612T080000Z" in ics and "UID:booking-1@uitleen.stad.gent" in ics
    assert "LOCATION:Buurtcentrum Dampoort\\, Dampoortstraat 2\\, 9000 Gent" in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
