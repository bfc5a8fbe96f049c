"""Fixtures shared by every test folder.

Databases: ``database_url`` gives each test an empty database, once per kind: an SQLite file in
``tmp_path`` always, and PostgreSQL too when ``GRIDALERT_TEST_DATABASE_URL`` names a server
(``.ci/postgres.sh`` starts one). The PostgreSQL tests never touch existing data: they run in a
database created for this test session under a unique name and dropped at its end.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

TEST_DATABASE_ENV = "GRIDALERT_TEST_DATABASE_URL"
DATABASE_KINDS = ["sqlite"] + (["postgresql"] if os.environ.get(TEST_DATABASE_ENV) else [])


@pytest.fixture(scope="session")
def postgres_session_database_url() -> Iterator[str]:
    """URL of a new, uniquely named PostgreSQL database for this test session; dropped afterwards."""
    server_url = os.environ.get(TEST_DATABASE_ENV)
    if not server_url:
        pytest.skip(f"{TEST_DATABASE_ENV} is not set")
    from tests.support.postgres import fresh_database

    with fresh_database(server_url) as url:
        yield url


def _empty_postgres_schema(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture(params=DATABASE_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of an empty database (no tables, not even Alembic's), one test at a time.

    SQLite: a file path in ``tmp_path`` that does not exist yet. PostgreSQL: the session's
    database with its ``public`` schema emptied before the test.
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gridalert.db'}"
    url = request.getfixturevalue("postgres_session_database_url")
    _empty_postgres_schema(url)
    return url


@pytest.fixture
def config_dir(tmp_path):
    """A copy of the sample district's configuration directory, for a test to change."""
    from tests.support.configs import copy_sample

    return copy_sample(tmp_path / "district")


@pytest.fixture
def sessions(database_url):
    """Sessions on ``database_url`` after the migrations have run (one engine per test)."""
    from gridalert.store import make_engine, make_sessionmaker, upgrade

    upgrade(database_url)
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    engine.dispose()
