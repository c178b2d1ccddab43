"""Turning a notification into a message: Jinja templates (readable files), Dutch/English dates, .ics.

Templates live in ``services/notify/templates/<lang>/<kind>.txt``: the first line is the subject, the rest the
plain-text body. The HTML part is the same text in ``templates/layout.html`` (one look for every message).
A kind without an English template falls back to Dutch.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from shared.clock import BRUSSELS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANGUAGES = ("nl", "en")

WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "nl": tuple(
        [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ]
    ),
    "en": tuple(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ]
    ),
}

_text_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)), autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True
)
_html_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))


def format_instant(instant: datetime, language: str) -> str:
    """``zaterdag 12 september 2026 om 14:00`` / ``Saturday 12 September 2026 at 14:00`` (Brussels time)."""
    local = instant.astimezone(BRUSSELS)
    lang = language if language in LANGUAGES else "nl"
    word = "om" if lang == "nl" else "at"
    return (
        f"{WEEKDAYS[lang][local.weekday()]} {local.day} {MONTHS[lang][local.month - 1]} {local.year} "
        f"{word} {local:%H:%M}"
    )


def format_opening_hours(hours: list[dict[str, Any]], language: str) -> list[str]:
    lang = language if language in LANGUAGES else "nl"
    return [
        f"{WEEKDAYS[lang][int(h['weekday'])]} {h['opens']}–{h['closes']}"
        for h in sorted(hours, key=lambda h: (int(h["weekday"]), h["opens"]))
    ]


def checklist(items: list[dict[str, Any]], language: str) -> list[str]:
    """What to bring or arrange, from the booked items' requirements (tow hitch, extra plate, van …)."""
    seen: dict[str, str] = {}
    for item in items:
        for requirement in item.get("requirements") or []:
            label = requirement.get(f"label_{language}") or requirement.get("label_nl") or requirement.get("code")
            seen.setdefault(str(requirement.get("code")), str(label))
    return list(seen.values())


# What staff read out on the phone, per message (the call list): labels in the resident's language, the values
# from the same context as the mail's template (``booking_context``).
FACT_LABELS = {
    "nl": {
        "pickup": "Ophalen",
        "return": "Terugbrengen",
        "where": "Waar",
        "reason": "Reden",
        "checklist": "Meebrengen of regelen",
        "reference": "Referentie",
    },
    "en": {
        "pickup": "Pick-up",
        "return": "Return",
        "where": "Where",
        "reason": "Reason",
        "checklist": "Bring or arrange",
        "reference": "Reference",
    },
}
FACTS = {
    "request_received": ("pickup", "return", "where"),
    "approved": ("pickup", "return", "where", "checklist"),
    "rejected": ("reason",),
    "withdrawn": (),
    "cancelled": ("reason",),
    "expired": ("pickup",),
    "rescheduled": ("pickup", "return", "where"),
    "pickup_reminder": ("pickup", "where", "checklist"),
    "return_reminder": ("return", "where", "checklist"),
    "overdue_notice": ("return", "where"),
}


def key_facts(kind: str, language: str, context: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs to say on the phone, the reference last (the resident can quote it back)."""
    lang = language if language in LANGUAGES else "nl"
    values = {
        "pickup": context["pickup"],
        "return": context["return"],
        "where": f"{context['location_name']}, {context['address']}",
        "reason": context["reason"],
        "checklist": "; ".join(context["checklist"]),
        "reference": context["reference"],
    }
    names = [*FACTS.get(kind, ()), "reference"]
    return [(FACT_LABELS[lang][name], values[name]) for name in names if values[name]]


def template_name(kind: str, language: str) -> str:
    path = TEMPLATES / language / f"{kind}.txt"
    return f"{language}/{kind}.txt" if path.exists() else f"nl/{kind}.txt"


def render(kind: str, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of ``kind`` in ``language``. Raises jinja2 errors for a broken template."""
    text = _text_env.get_template(template_name(kind, language)).render(**context)
    subject, _, body = text.partition("\n")
    body = body.lstrip("\n")
    paragraphs = [Markup("<br>\n").join(escape(line) for line in p.split("\n")) for p in body.strip().split("\n\n")]
    html = _html_env.get_template("layout.html").render(subject=subject.strip(), paragraphs=paragraphs, lang=language)
    return subject.strip(), body, html


def booking_context(
    booking: dict[str, Any],
    location: dict[str, Any],
    language: str,
    public_url: str,
    link_token: str | None = None,
    decide_by: datetime | None = None,
) -> dict[str, Any]:
    """The variables every booking template may use (documented in docs/notify.md); ``status_url`` only when the
    message row holds a private link's token; ``decide_by`` when a pending request expires (staff mails)."""
    lang = language if language in LANGUAGES else "nl"
    items = booking.get("items") or []
    pickup = datetime.fromisoformat(str(booking["pickup_at"]).replace("Z", "+00:00"))
    back = datetime.fromisoformat(str(booking["return_at"]).replace("Z", "+00:00"))
    status_url = f"/status/{link_token}" if link_token else None
    return {
        "reference": booking.get("reference", ""),
        "contact_name": (booking.get("contact") or {}).get("name") or "",
        "contact_phone": (booking.get("contact") or {}).get("phone") or "",
        "contact_email": (booking.get("contact") or {}).get("email") or "",
        "initiative": (booking.get("initiative") or {}).get("name") or "",
        "items": [str(i.get(f"asset_name_{lang}") or i.get("asset_name_nl") or i.get("asset_code")) for i in items],
        "checklist": checklist(items, lang),
        "pickup": format_instant(pickup, lang),
        "return": format_instant(back, lang),
        "location_name": location.get("name", ""),
        "address": f"{location.get('street', '')}, {location.get('postal_code', '')} {location.get('city') or 'Gent'}",
        "location_phone": location.get("phone") or "",
        "opening_hours": format_opening_hours(location.get("opening_hours") or [], lang),
        "reason": booking.get("reason") or "",
        "reason_code": booking.get("reason_code") or "",
        "decide_by": format_instant(decide_by, lang) if decide_by else "",
        "status_url": f"{public_url}{status_url}" if status_url else "",
        "public_url": public_url,
    }
