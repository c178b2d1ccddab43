"""One Alembic environment per service, each in its own database with its own version table.

A service's ``migrations/env.py`` is two lines: import the service's metadata, call ``run_migrations``.
``upgrade(script_location, url)`` runs them programmatically (``make migrate``, tests, the embedded launcher).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config

from shared.db import create_db_engine

# Any fixed number works: it only has to be the same for every process migrating the same database.
MIGRATION_LOCK_ID = 7_204_519


def alembic_config(script_location: str | Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(script_location: str | Path, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, url), revision)


def run_migrations(target_metadata: sa.MetaData) -> None:
    """The body of every service's env.py (online mode only: we always migrate a live database)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set"
    engine = (
        create_db_engine(url, poolclass=sa.pool.NullPool)
        if url.startswith("sqlite")
        else sa.create_engine(url, poolclass=sa.pool.NullPool)
    )
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Two deploys migrating at once wait for each other instead of fighting; and a migration waiting
            # for a lock held by live traffic gives up after 10 s rather than stall every request behind it.
            connection.execute(sa.text("SET lock_timeout = '10s'"))
            connection.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
                connection.commit()
    engine.dispose()
