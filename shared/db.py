"""SQLAlchemy 2 engine and session handling; each service owns its own database.

A service builds one ``Database`` from its URL. In Flask, ``get_session()`` hands out one session per
request, closed (and rolled back if not committed) when the request ends. Domain code takes a ``Session``
argument and knows nothing of Flask.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware instant stored as UTC (``timestamptz`` on PostgreSQL, ISO text on SQLite).

    Naive datetimes are refused: a local wall-clock time must be converted at input, where its zone is known.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _unicode_upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling would defer BEGIN; we take it over so that every transaction starts
    # with BEGIN IMMEDIATE: writers are serialised, which makes check-then-insert safe in the embedded mode.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLite's own lower() and upper() (and so ILIKE, which SQLAlchemy writes as lower() LIKE lower()) know
        # only ASCII: 'ÉLODIE@x.be' would not match 'élodie@x.be', and an export or erasure would miss the
        # person. Python's are Unicode-aware, like PostgreSQL's in a UTF-8 locale.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        dbapi_connection.create_function("upper", 1, _unicode_upper, deterministic=True)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # AUTOCOMMIT (Alembic's autocommit_block) means no transaction at all: a migration sets PRAGMA
        # foreign_keys there, which SQLite ignores inside one.
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    # Error messages (and so logs and dead letters) must not carry the personal data bound into a statement.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    # No ping before every checkout (a round trip per request): a connection idle for a while is pinged when
    # handed out (``_ping_when_idle``), connections are replaced after half an hour, and a connection found dead
    # during a request makes SQLAlchemy invalidate the whole pool, so the next requests start on fresh ones.
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_timeout", 10)
    # A request that cannot get a lock within 10 s fails cleanly instead of piling up behind it.
    kwargs.setdefault("connect_args", {"options": "-c lock_timeout=10000 -c statement_timeout=30000"})
    engine = sa.create_engine(url, **kwargs)
    if not kwargs["pool_pre_ping"]:
        _ping_when_idle(engine)
    return engine


# A connection idle this long may have been cut meanwhile (a restart, a firewall, an idle timeout): it is
# pinged before use. One in steady use is not: were it cut, its request answers 503 and the pool starts afresh.
IDLE_PING_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()  # psycopg opened a transaction for the ping; the request begins its own
        except Exception as error:
            # the pool throws this connection away and hands out a fresh one (or fails, if none can be made)
            raise sa.exc.DisconnectionError(f"idle connection is gone: {type(error).__name__}") from error


# --- rows written at commit, several tables in one statement --------------------------------------------------

_DEFERRED = "uitleen_deferred_inserts"


def insert_at_commit(session: Session, table: sa.Table, row: dict[str, Any]) -> None:
    """Insert ``row`` into ``table`` when the transaction commits (and never, if it rolls back).

    For the rows a transaction writes and never reads back — its audit entries, outbox events, private links —
    so that they cost one statement together at commit instead of one each: on PostgreSQL every table's rows go in
    one ``WITH … INSERT`` statement, elsewhere one multi-row insert per table. The caller gives every column value
    that has no server default.
    """
    session.info.setdefault(_DEFERRED, []).append((table, row))


def _write_deferred(session: Session) -> None:
    pending: list[tuple[sa.Table, dict[str, Any]]] = session.info.pop(_DEFERRED, [])
    if not pending:
        return
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and len(pending) <= _CACHED_DEFERRED_ROWS:
        shape = tuple((table, tuple(row)) for table, row in pending)
        params = {f"r{i}_{column}": value for i, (_table, row) in enumerate(pending) for column, value in row.items()}
        session.execute(_deferred_statement(shape), params)
        return
    by_table: dict[sa.Table, list[dict[str, Any]]] = {}
    for table, row in pending:
        by_table.setdefault(table, []).append(row)
    if postgres:  # a batch (a scan's hundreds of rows): one multi-row VALUES per table, compiled each time
        *first, last = [sa.insert(table).values(rows) for table, rows in by_table.items()]
        session.execute(last.add_cte(*(insert.cte(f"deferred_{i}") for i, insert in enumerate(first))))
        return
    for table, rows in by_table.items():
        session.execute(sa.insert(table), rows)


# A request's own rows (a link, an audit row, an event, a few answers) take the cached statement of their shape;
# a larger batch would make a statement per row count, each a WITH of that many inserts.
_CACHED_DEFERRED_ROWS = 12


_DEFERRED_STATEMENTS: dict[tuple[tuple[sa.Table, tuple[str, ...]], ...], sa.Insert] = {}


def _deferred_statement(shape: tuple[tuple[sa.Table, tuple[str, ...]], ...]) -> sa.Insert:
    """One ``WITH … INSERT`` for rows of this shape (each row's table and columns, in order): every row is its own
    single-row insert, bound to parameters ``r<i>_<column>``. Built once per shape, so SQLAlchemy compiles it once
    and each commit only binds its values (a multi-row VALUES would be compiled anew every time)."""
    statement = _DEFERRED_STATEMENTS.get(shape)
    if statement is None:
        inserts = [
            sa.insert(table).values({c: sa.bindparam(f"r{i}_{c}", type_=table.c[c].type) for c in columns})
            for i, (table, columns) in enumerate(shape)
        ]
        *first, last = inserts
        statement = last.add_cte(*(insert.cte(f"deferred_{i}") for i, insert in enumerate(first)))
        _DEFERRED_STATEMENTS[shape] = statement
    return statement


def _forget_deferred(session: Session, *_: Any) -> None:
    session.info.pop(_DEFERRED, None)


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit what the block did in ``session``, or roll all of it back (the error still propagates).

    The application layers (``services/*/application.py``) wrap each change in one of these, on the request's
    session (``get_session``), so a view never commits and a request never opens a second connection.
    """
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


class Database:
    """One service's engine and session factory."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_db_engine(url, **engine_kwargs)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.session_factory, "before_commit", _write_deferred)
        event.listen(self.session_factory, "after_rollback", _forget_deferred)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits when the block ends, or rolls back if it raises."""
        with self.session_factory() as session, session.begin():
            yield session

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def init_app(self, app: Flask) -> None:
        app.extensions["database"] = self
        app.teardown_appcontext(_close_request_session)

    def dispose(self) -> None:
        self.engine.dispose()


def get_database() -> Database:
    database: Database = current_app.extensions["database"]
    return database


def get_session() -> Session:
    """The session of the current request (created on first use)."""
    if "db_session" not in g:
        g.db_session = get_database().session_factory()
    session: Session = g.db_session
    return session


def _close_request_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except sa.exc.DBAPIError:
        # The connection died under us (PostgreSQL restarted): the rollback that ends the request cannot reach
        # the server. The answer has been chosen already (a 503 when the work failed); the pool drops this
        # connection and hands out a fresh one next time.
        with suppress(sa.exc.DBAPIError):
            session.invalidate()
