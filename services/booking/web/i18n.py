"""What only booking's pages need of language: the domain's bilingual details, and two small filters.

Everything else (the language, dates, ``in_language``) is the frame's (``shared.pages.i18n``); the names below
are imported from there so that booking's views keep importing them from here.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from services.booking.web.catalogue import asset_url, month_rows
from shared.pages.i18n import in_language, lang, long_datetime, month_name

__all__ = ["in_language", "init_app", "localise_detail", "long_datetime", "month_name"]


def localise_detail(detail: str) -> str:
    """The domain writes some messages as 'Nederlands / English': keep the reader's half.

    (Until booking's domain says codes instead; each page then has its own words for them.)
    """
    if " / " in detail:
        dutch, english = detail.split(" / ", 1)
        return english if lang() == "en" else dutch
    return detail


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(localise=localise_detail, iso=parse_iso)
    app.jinja_env.globals.update(month_rows=month_rows, asset_url=asset_url)
