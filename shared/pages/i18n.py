"""Language and time for people: Dutch by default, English on request; Europe/Brussels, 24-hour times.

The language is ``?lang=`` or the ``uitleen_taal`` cookie that the switch in every page's header sets for the
whole origin; Dutch otherwise. Dates are said the Flemish way ('zaterdag 12 september 2026').
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from babel.numbers import format_percent
from flask import g, request
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from jinja2 import Environment, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from shared.clock import to_local

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
COOKIE = "uitleen_taal"
COOKIE_MAX_AGE = 365 * 86400
BABEL_LOCALES = {"nl": "nl_BE", "en": "en_GB"}
# The name of each language in itself, for the switch.
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


def select_locale() -> str:
    chosen = request.args.get("lang") or request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def _translations() -> Any:
    """The reader's catalogue, looked up once per request: Flask-Babel resolves the context, the locale and the
    domain anew on every call, which on a month's page of labels was a third of its CPU."""
    found = g.get("uitleen_translations")
    if found is None:
        found = g.uitleen_translations = get_translations()
    return found


def install_cheap_gettext(environment: Environment) -> None:
    """The templates' ``_``/``gettext``/``ngettext`` (new style, as Flask-Babel installs them) on the cached
    catalogue; Python code keeps Flask-Babel's own functions."""
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )


def page_callables(language: str) -> dict[str, Any]:
    """The templates' ``_``/``gettext``/``ngettext`` and ``in_language`` for this request, bound once per page
    to the reader's catalogue and language (the frame's context processor puts them in every page's context).

    Same results as Jinja's new-style gettext (autoescaped, always ``%``-formatted with the keywords), without
    its three nested ``Context.call``s and the catalogue lookup through ``g`` per label: a page says 30–60
    labels. Macros imported without context fall back to the environment's (``install_cheap_gettext``).
    """
    translations = _translations()
    ugettext, ungettext = translations.ugettext, translations.ungettext
    # A label without variables is the same Markup every time: kept on the catalogue (one per language and app,
    # loaded once per process), so most of a page's labels are one dictionary lookup.
    plain: dict[str, Markup] | None = getattr(translations, "uitleen_plain", None)
    if plain is None:
        plain = {}
        translations.uitleen_plain = plain

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
        if not variables and eval_ctx.autoescape:
            found = plain.get(string)
            if found is None:
                found = plain[string] = Markup(ugettext(string)) % variables
            return found
        text = ugettext(string)
        if eval_ctx.autoescape:
            text = Markup(text)
        return text % variables  # type: ignore[no-any-return]

    @pass_eval_context
    def ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        text = ungettext(singular, plural, num)
        if eval_ctx.autoescape:
            text = Markup(text)
        return text % variables  # type: ignore[no-any-return]

    english = language == "en"

    def bound_in_language(dutch: str | None, english_text: str | None) -> str:
        if english and english_text:
            return english_text
        return dutch or english_text or ""

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "in_language": bound_in_language}


def lang() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT_LANGUAGE


def other_language() -> str:
    return "en" if lang() == "nl" else "nl"


def in_language(dutch: str | None, english: str | None) -> str:
    """A text the data carries in both languages (an asset's name): the reader's, or the other if missing."""
    if lang() == "en" and english:
        return english
    return dutch or english or ""


def long_date(value: date | datetime) -> str:
    """'zaterdag 12 september 2026' (or 'Saturday, 12 September 2026')."""
    day = to_local(value).date() if isinstance(value, datetime) else value
    return format_date(day, format="full", locale=BABEL_LOCALES[lang()])


def hm(value: datetime) -> str:
    return to_local(value).strftime("%H:%M")


def long_datetime(value: datetime) -> str:
    """'zaterdag 12 september 2026 om 14:00' (or '… at 14:00')."""
    return _("%(day)s om %(time)s", day=long_date(value), time=hm(value))


def short_datetime(value: datetime) -> str:
    """'12-09-2026 14:00' in Brussels: for tables, the same in both languages."""
    return to_local(value).strftime("%d-%m-%Y %H:%M")


def short_date(value: date | datetime) -> str:
    day = to_local(value).date() if isinstance(value, datetime) else value
    return day.strftime("%d-%m-%Y")


def month_name(day: date) -> str:
    return format_date(day, format="LLLL yyyy", locale=BABEL_LOCALES[lang()])


def percent(share: float) -> str:
    return format_percent(share, format="#,##0.0 %", locale=BABEL_LOCALES[lang()])


FILTERS = {
    "long_date": long_date,
    "long_datetime": long_datetime,
    "short_datetime": short_datetime,
    "short_date": short_date,
    "hm": hm,
    "month_name": month_name,
}
GLOBALS = {"in_language": in_language, "percent": percent}
