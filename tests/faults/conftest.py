"""The fault suite: the pipeline on Apache Kafka, each test on a fresh one, a fault in the middle.

Every test gets its own single-node Apache Kafka (KRaft, a fresh data directory, so it can be
stopped and started again), its own database (PostgreSQL when ``GRIDALERT_TEST_DATABASE_URL`` is
set, reached through a TCP proxy that can cut it off; SQLite otherwise), its own loopback receiver
playing every phone, and one worker (``pipeline.add_worker()`` starts more). The suite needs
``GRIDALERT_TEST_KAFKA`` (``.ci/run`` sets it); without it, it is skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

import pytest

from gridalert.store import make_engine, make_sessionmaker, upgrade
from gridalert.streams.apache_kafka import ApacheKafka
from gridalert.streams.broker import ensure_topics
from gridalert.streams.records import TIERS
from gridalert.streams.topics import ALL
from gridalert.config.loader import load_config
from tests.conftest import TEST_DATABASE_ENV
from tests.e2e.conftest import TEST_KAFKA_ENV, Pipeline, start_worker, worker_env, write_config
from tests.support.receiver import Receiver
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GRID_TIMEOUT_S = 20.0  # long enough to accept from the command line before the order climbs
VILLAGE_TIMEOUT_S = 6.0
NEVER_S = 3600.0  # township and district: the script ends before they would climb
PARTITIONS = 4  # of every topic: two workers get two each


def script_policies(document: dict) -> None:
    """The script's tiers: the grid waits ``GRID_TIMEOUT_S``, the village ``VILLAGE_TIMEOUT_S``, so an
    order nobody accepts climbs to the township and stops there; no repages."""
    timeouts = {"grid": GRID_TIMEOUT_S, "village": VILLAGE_TIMEOUT_S}
    document["tiers"] = {tier: {"accept_timeout_s": timeouts.get(tier, NEVER_S), "repages": 0} for tier in TIERS}


@dataclass
class FaultPipeline(Pipeline):
    proxy: Optional[TcpProxy] = None
    sessions: Callable = None  # type: ignore[assignment]

    @property
    def kafka(self) -> ApacheKafka:
        return self.broker  # type: ignore[return-value]


@pytest.fixture
def policies_change() -> Callable[[dict], None]:
    """Override in a module for other timeouts (the receiver outage outlasts the grid's)."""
    return script_policies


@pytest.fixture
def database_url(tmp_path) -> Iterator[tuple[str, Optional[TcpProxy]]]:
    server = os.environ.get(TEST_DATABASE_ENV)
    if not server:
        yield f"sqlite:///{tmp_path / 'gridalert.db'}", None
        return
    from sqlalchemy.engine import make_url

    from tests.support.postgres import fresh_database

    with fresh_database(server) as url:
        parsed = make_url(url)
        proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432).start()
        try:
            yield parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False), proxy
        finally:
            proxy.stop()


@pytest.fixture
def pipeline(tmp_path, database_url, policies_change) -> Iterator[FaultPipeline]:
    if not os.environ.get(TEST_KAFKA_ENV):
        pytest.skip(f"the fault suite runs on Apache Kafka: set {TEST_KAFKA_ENV}=1 (Java 17 and Maven needed)")
    url, proxy = database_url
    kafka = ApacheKafka(tmp_path / "kafka", log_file=tmp_path / "broker.log")
    kafka.start()
    bootstrap = [kafka.url.removeprefix("kafka://")]
    with Receiver() as receiver:
        config_dir = write_config(tmp_path / "config", receiver, policies_change)
        env = worker_env(kafka.url, url, config_dir, tmp_path, group="gridalert-faults", partitions=PARTITIONS)
        ensure_topics(bootstrap, ALL, PARTITIONS)
        upgrade(url)
        engine = make_engine(url)
        pipeline = None
        try:
            worker = start_worker(env, tmp_path / "worker.log")
            pipeline = FaultPipeline(kafka, bootstrap, receiver, config_dir, url, worker, tmp_path,
                                     proxy=proxy, sessions=make_sessionmaker(engine))
            yield pipeline
        finally:
            if pipeline is not None:
                pipeline.stop_workers()
            engine.dispose()
            kafka.stop()


@pytest.fixture
def district(pipeline):
    return load_config(pipeline.config_dir, check_url=lambda url: None)
