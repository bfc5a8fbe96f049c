"""Engines, sessions and schema upgrades for the projection database (SQLite or PostgreSQL).

Owns how a URL becomes a working engine (SQLite tuned so the worker and a CLI reader can share
the file), how the schema is brought to the newest migration (``upgrade``, run before start by
the runner and the worker), and the one error callers show to a person: ``DatabaseUnavailable``.
It never opens a session for anyone: callers make one sessionmaker and own their transactions.
"""

from __future__ import annotations

import sqlite3
import time

import threading
from pathlib import Path
from typing import Any, Optional

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_S = 10
# Any fixed number: PostgreSQL sessions holding this advisory lock are migrating the schema.
_MIGRATION_LOCK = 0x67726964616C7274  # "gridalrt" in ASCII
# Alembic keeps the running environment in module globals: one upgrade per process at a time.
_UPGRADE_IN_PROCESS = threading.Lock()


class DatabaseUnavailable(OperationalError):
    """The database cannot be reached (down, wrong address, refused login, unwritable file).

    The message names the URL with its password hidden and says why, in one line. It is an
    ``OperationalError``, so a writer that retries while the database is down (the recorder)
    keeps retrying, while a command line catches this class and prints the message alone.
    """

    def __init__(self, url: str, reason: str, orig: Optional[BaseException] = None) -> None:
        self.url = url
        self.reason = reason
        super().__init__(None, None, orig if orig is not None else ConnectionError(reason))
        self.args = (self.message,)

    @property
    def message(self) -> str:
        return f"database unavailable at {self.url}: {self.reason}"

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Any:
        return (type(self), (self.url, self.reason, self.orig))


def safe_url(url: str | URL) -> str:
    """``url`` as text with its password replaced by ``***``, fit for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _sqlite_file(url: URL) -> Optional[Path]:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:") or url.query.get("uri"):
        return None
    return Path(database)


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL once; the mode is stored in the file, so later connections skip it.

    Switching needs a moment of exclusive access, and SQLite may answer "locked" without waiting
    when several processes open a new file at once (every process of `gridalert run` does), so a
    failed switch is tried again for up to the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # WAL: readers never block the writer nor the writer readers; the busy timeout makes a
            # second writer (another process, a migration) wait instead of failing at once.
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            _use_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()


def _report_unreachable(engine: Engine) -> None:
    shown = safe_url(engine.url)

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> Optional[BaseException]:
        # A failed pre-ping is the pool's business: it reconnects, and only that failing counts.
        if context.is_pre_ping:
            return None
        connecting = context.connection is None
        if not (connecting or context.is_disconnect):
            return None
        if not isinstance(context.sqlalchemy_exception, (OperationalError, InterfaceError)):
            return None
        raise DatabaseUnavailable(shown, _reason(context.original_exception), context.original_exception)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; does not connect yet.

    SQLite: creates the file's directory, turns on WAL, a busy timeout and foreign keys.
    PostgreSQL: a connect timeout and pre-ping, so a restarted server costs no failed batch.
    Failing to connect later raises ``DatabaseUnavailable``, whoever is connecting.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable("<unparseable database URL>", str(exc), exc) from None
    shown = safe_url(parsed)
    options: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(shown, f"cannot create directory {path.parent}: {exc.strerror}",
                                          exc) from None
    elif parsed.get_backend_name() == "postgresql":
        options["pool_pre_ping"] = True
        if parsed.get_driver_name() in ("psycopg", "psycopg2"):
            options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    try:
        engine = create_engine(parsed, **options)
    except (ArgumentError, ImportError) as exc:  # unknown dialect, driver not installed
        raise DatabaseUnavailable(shown, _reason(exc), exc) from None
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    _report_unreachable(engine)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """The sessionmaker to make once per process; callers own ``with sessions.begin():``.

    Objects stay readable after the transaction ends (a read model is read after commit).
    """
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: Optional[str] = None) -> Config:
    """An Alembic ``Config`` built in code (no alembic.ini), pointing at this package's migrations.

    For developers: ``command.revision(alembic_config(url), autogenerate=True, message="...")``.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.attributes["url"] = url
    return config


def lock_for_migration(connection: Connection) -> None:
    """Make concurrent starters migrate one at a time, inside the migration's transaction.

    The second starter waits, then finds the schema at head and does nothing.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
    elif connection.dialect.name == "sqlite":
        # pysqlite only opens a transaction before DML; take the write lock before reading the
        # version table, so two processes cannot both find it empty and both create tables.
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection is not None and not dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest migration; a no-op when it is there already.

    Safe to call at every start, from several processes at once. Raises ``DatabaseUnavailable``
    (password hidden) when the database cannot be reached.
    """
    engine = make_engine(url)
    try:
        with _UPGRADE_IN_PROCESS, engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
