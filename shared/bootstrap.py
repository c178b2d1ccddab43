"""How every process starts: one call gives a service's settings, its database, and logging configured.

Web apps (``create_app`` when not handed settings), Celery workers and beat (their tasks' runtime), the relay and
the CLI all boot through ``boot(service)``, so a process of any kind reads the same environment the same way and
logs the same way. Cached per process: a worker builds its engine once, on first use, never at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from shared.config import Settings, load_settings
from shared.db import Database
from shared.logging import configure_logging


@dataclass(frozen=True)
class Boot:
    service: str
    settings: Settings
    database: Database


@cache
def boot(service: str) -> Boot:
    """Settings (validated: a bad value stops the process naming it), database and logging of ``service``."""
    settings = load_settings(service)
    configure_logging(settings.log_format, settings.log_level)
    return Boot(service, settings, Database(settings.database_url))
