"""One WSGI app for the whole suite: each service mounted at its prefix, booking's pages at ``/``."""

from __future__ import annotations

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from services.booking.app import create_app as create_booking
from services.booking.web import create_pages_app
from services.inventory.app import create_app as create_inventory
from services.notify.app import create_app as create_notify


def create_embedded_app() -> DispatcherMiddleware:
    from shared.config import load_settings
    from shared.db import Database

    settings = load_settings("booking")
    booking_db = Database(settings.database_url)
    return DispatcherMiddleware(
        create_pages_app(settings, booking_db),
        {
            "/inventory": create_inventory(),
            "/booking": create_booking(settings, booking_db),
            "/notify": create_notify(),
        },
    )
