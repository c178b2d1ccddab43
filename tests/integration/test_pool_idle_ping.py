"""No ping before every request (a round trip each), yet no request fails on a connection the server has cut
while it sat in the pool: one idle for a while is pinged when handed out and replaced if it is gone
(``shared.db._ping_when_idle``). One in steady use is not pinged (tests/e2e/test_database_restart.py covers a
restart under load: a dead connection makes the pool start afresh)."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from shared import db
from tests.conftest import PG_ADMIN_URL


def _backend_pid(database: db.Database) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def test_an_idle_connection_cut_by_the_server_is_replaced_before_use(migrated_databases, monkeypatch):
    database = db.Database(migrated_databases["booking"], pool_size=1, max_overflow=0)
    try:
        first = _backend_pid(database)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (first,))
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
        assert _backend_pid(database) != first  # the same pool, a fresh connection, no error
    finally:
        database.dispose()


def test_a_connection_in_steady_use_is_not_pinged(migrated_databases, monkeypatch):
    # the same cut, on a connection used a moment ago: no ping, so the request meets the cut (a 503 in the apps)
    # and the pool is invalidated: the next one gets a fresh connection
    database = db.Database(migrated_databases["booking"], pool_size=1, max_overflow=0)
    try:
        first = _backend_pid(database)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (first,))
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)
        with pytest.raises(sa.exc.OperationalError) as cut:
            _backend_pid(database)
        assert cut.value.connection_invalidated
        assert _backend_pid(database) != first
    finally:
        database.dispose()
