"""Language and time for people: Dutch by default, English on request; Europe/Brussels, 24-hour times."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from babel.numbers import format_percent
from flask import Flask, request
from flask_babel import get_locale

from shared.clock import to_local

LANGUAGES = ("nl", "en")
COOKIE = "uitleen_taal"
BABEL_LOCALES = {"nl": "nl_BE", "en": "en_GB"}


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else "nl"


def lang() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else "nl"


def long_date(value: date | datetime) -> str:
    """'zaterdag 12 september 2026' (or 'Saturday, 12 September 2026')."""
    day = to_local(value).date() if isinstance(value, datetime) else value
    return format_date(day, format="full", locale=BABEL_LOCALES[lang()])


def hm(value: datetime) -> str:
    return to_local(value).strftime("%H:%M")


def long_datetime(value: datetime) -> str:
    at = "om" if lang() == "nl" else "at"
    return f"{long_date(value)} {at} {hm(value)}"


def month_name(day: date) -> str:
    return format_date(day, format="LLLL yyyy", locale=BABEL_LOCALES[lang()])


def in_language(dutch: str | None, english: str | None) -> str:
    if lang() == "en" and english:
        return english
    return dutch or english or ""


def localise_detail(detail: str) -> str:
    """The domain writes some messages as 'Nederlands / English': keep the reader's half."""
    if " / " in detail:
        dutch, english = detail.split(" / ", 1)
        return english if lang() == "en" else dutch
    return detail


def percent(share: float) -> str:
    return format_percent(share, format="#,##0.0 %", locale=BABEL_LOCALES[lang()])


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        long_date=long_date,
        hm=hm,
        long_datetime=long_datetime,
        month_name=month_name,
        localise=localise_detail,
        iso=parse_iso,
    )
    app.jinja_env.globals.update(
        percent=percent,
    )

    @app.context_processor
    def _language() -> dict[str, Any]:
        return {"lang": lang(), "in_language": in_language}
