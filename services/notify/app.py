"""The notify service's app factory."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_smorest import Api

from services.notify import staff_pages
from services.notify.api import deliveries, pages, privacy
from services.notify.config import load_notify_config
from services.notify.domain.copies import event_handlers
from services.notify.models import DeadLetter, ProcessedEvent, RevokedToken, ScheduledNotification, StaffChange
from shared.auth import init_auth
from shared.config import Settings, load_settings
from shared.db import Database
from shared.dead_letters_api import make_dead_letter_blueprint
from shared.metrics import GaugeReader
from shared.revocations import credential_check
from shared.web import build_service_app


def create_app(settings: Settings | None = None, database: Database | None = None) -> Flask:
    settings = settings or load_settings("notify")
    database = database or Database(settings.database_url)
    config = load_notify_config(settings)

    def register(app: Flask, api: Api) -> None:
        init_auth(app, credential_void=credential_check(database, RevokedToken, StaffChange))
        app.extensions["notify_config"] = config
        app.extensions["notify_handlers"] = event_handlers(config)
        for module in (deliveries, pages, privacy):
            api.register_blueprint(module.blp)
        staff_pages.init_staff_pages(app, settings)
        api.register_blueprint(
            make_dead_letter_blueprint(DeadLetter, ProcessedEvent, lambda: app.extensions["notify_handlers"])
        )

    gauges = {
        "uitleen_notifications": (
            "Notifications (reminders, notices, digests) by kind and status: scheduled, sending, sent, failed, skipped",
            ["kind", "status"],
            notification_counts(database),
        )
    }
    return build_service_app("notify", "Uitleen notify", settings, database, register, gauges=gauges)


def notification_counts(database: Database) -> GaugeReader:
    """Counted in the database at scrape time, so every worker's sends are seen, whichever process sent them."""

    def read() -> list[tuple[dict[str, str], float]]:
        query = sa.select(ScheduledNotification.kind, ScheduledNotification.status, sa.func.count()).group_by(
            ScheduledNotification.kind, ScheduledNotification.status
        )
        with database.engine.connect() as connection:
            return [
                ({"kind": kind, "status": status}, float(count)) for kind, status, count in connection.execute(query)
            ]

    return read
