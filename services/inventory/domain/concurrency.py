"""Optimistic concurrency: a write names the version it read (If-Match); a stale one is refused."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from shared.errors import PreconditionFailed


def check_version(current: int, expected: int | None) -> None:
    """Raises PreconditionFailed when the caller read an older version than the one stored."""
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"This was changed in the meantime (you have version {expected}, the current one is {current}). "
            "Load it again and repeat your change.",
            current_version=current,
        )


def flush_versioned(session: Session) -> None:
    """Flush, turning a lost race on the version column into the same 412 as a stale If-Match."""
    try:
        session.flush()
    except StaleDataError:
        raise PreconditionFailed("This was changed at the same moment by someone else. Load it again.") from None
