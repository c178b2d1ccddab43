"""The privacy notice at /privacy: Dutch first, English through the switch, the configured retention in it."""

from __future__ import annotations

import pytest

from shared.config import load_settings
from shared.db import Database

pytestmark = pytest.mark.postgres


def notice(environ: dict[str, str], database: Database, language: str, **extra: str) -> str:
    from services.booking.web import create_pages_app

    app = create_pages_app(load_settings("booking", {**environ, **extra}), database)
    app.testing = True
    client = app.test_client()
    response = client.get(f"/privacy?lang={language}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_notice_says_what_is_kept_how_long_and_whom_to_ask(environ, databases) -> None:
    page = notice(environ, databases["booking"], "nl", BOOKING_RETENTION_DAYS="200", BOOKING_STATUS_LINK_DAYS="90")
    for heading in ("Welke gegevens bewaren we?", "Wie ziet je gegevens?", "Hoe lang bewaren we ze?", "Je rechten"):
        assert heading in page
    assert "200 dagen nadat je uitlening voorbij is" in page and "werkt 90 dagen" in page
    assert "privacy@stad.gent" in page and "Gegevensbeschermingsautoriteit" in page


def test_the_notice_is_translated_to_english(environ, databases) -> None:
    page = notice(environ, databases["booking"], "en")
    assert '<html lang="en">' in page
    assert "How long do we keep it?" in page and "365 days after your loan ended" in page
    assert "Hoe lang" not in page


def test_every_page_links_to_the_notice(environ, databases) -> None:
    from services.booking.web import create_pages_app

    app = create_pages_app(load_settings("booking", environ), databases["booking"])
    catalogue = app.test_client().get("/").get_data(as_text=True)
    assert '<a href="/privacy">Privacyverklaring</a>' in catalogue
