"""Alembic environment of the projection: which URL, which metadata, how to run.

The URL comes from the caller (``store.db.upgrade`` hands over an open connection) or else from
the process settings (``GRIDALERT_DATABASE_URL``, default SQLite file under the data directory).
There is no alembic.ini: ``store.db.alembic_config`` builds the configuration in code.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from gridalert.store.db import lock_for_migration, make_engine
from gridalert.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from gridalert.config.settings import Settings

    return Settings().effective_database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        lock_for_migration(connection)
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.begin() as connection:
            lock_for_migration(connection)
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
