"""The one clock of the system. Tests move time by setting it, without faking the queue or the database.

In processes started by tests (gunicorn, celery), ``UITLEEN_CLOCK_FILE`` names a file holding an ISO instant:
when it exists, ``now()`` reads it, so an end-to-end test can move time across real processes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from shared.config import process_settings

BRUSSELS = ZoneInfo("Europe/Brussels")

_override: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    if _override is not None:
        return _override().astimezone(UTC)
    clock_file = process_settings().clock_file
    if clock_file and os.path.exists(clock_file):
        with open(clock_file, encoding="utf-8") as handle:
            text = handle.read().strip()
        if text:
            return datetime.fromisoformat(text).astimezone(UTC)
    return datetime.now(UTC)


def set_clock(source: Callable[[], datetime] | datetime | None) -> None:
    """Fix the clock at an instant, make it follow a function, or (None) return to real time."""
    global _override
    if isinstance(source, datetime):
        fixed = source
        _override = lambda: fixed  # noqa: E731
    else:
        _override = source


def to_local(instant: datetime) -> datetime:
    return instant.astimezone(BRUSSELS)


def isoformat(instant: datetime | None) -> str | None:
    """An instant as ISO 8601 for a payload or an export; None stays None."""
    return instant.isoformat() if instant is not None else None
