"""End-to-end fixtures: a real broker process, a real worker process, a real database, real receivers.

Each test module gets its own broker, its own configuration directory whose roster points every
person's channel at a loopback HTTP receiver, and its own database. A module runs once per stack:
the embedded Tansu broker (memory only) with SQLite always, and with PostgreSQL too when
``GRIDALERT_TEST_DATABASE_URL`` is set; and Apache Kafka (a fresh single-node KRaft broker, with
PostgreSQL when there is one) when ``GRIDALERT_TEST_KAFKA`` is set, as ``.ci/run`` does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import pytest

from gridalert.config.loader import load_config
from gridalert.store import make_engine, make_sessionmaker
from gridalert.runner import READY_MARK, tail
from gridalert.streams.apache_kafka import ApacheKafka
from gridalert.streams.broker import Broker, EmbeddedBroker, free_port, detach_and_die_with_parent, ensure_topics
from gridalert.streams.topics import ALL
from tests.conftest import DATABASE_KINDS, TEST_DATABASE_ENV
from tests.support.configs import copy_sample, edit_yaml
from tests.support.pipeline import http
from tests.support.process import Command
from tests.support.receiver import Receiver
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path
    env: dict[str, str]
    ops_url: str = ""  # its /health, /ready and /metrics (a port of its own: workers share the machine)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_worker(env: dict[str, str], log: Path, *, timeout_s: float = 90) -> Worker:
    port = free_port()
    env = {**env, "GRIDALERT_METRICS_PORT": str(port)}
    out = open(log, "ab")
    process = subprocess.Popen([sys.executable, "-m", "gridalert", "worker"], env=env, stdout=out,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               preexec_fn=detach_and_die_with_parent)
    out.close()
    worker = Worker(process, log, env, f"http://127.0.0.1:{port}")
    try:
        wait_until(lambda: not worker.alive() or READY_MARK in log.read_text(errors="replace"),
                   timeout_s=timeout_s, what="the worker to be ready")
    except AssertionError:
        worker.stop()
        raise AssertionError(f"worker not ready:\n{tail(log, 40)}") from None
    if not worker.alive():
        raise AssertionError(f"worker exited with {process.returncode}:\n{tail(log, 40)}")
    return worker


def write_config(directory: Path, receiver: Receiver, policies: Callable[[dict], None] = lambda d: None,
                 roster: Callable[[dict], None] = lambda d: None) -> Path:
    """The sample district, with every person's channel (and the reply to citizen reporters)
    pointed at ``receiver``, and alarms raised
    by one reading; ``policies`` edits policies.yaml further, ``roster`` roster.yaml."""
    copy_sample(directory)

    roster_change = roster

    def point_at_receiver(roster: dict) -> None:
        for person in roster["staff"]:
            person["channels"] = [receiver.url_for(person["id"])]
        roster["reporter_reply"] = receiver.url_for("reporter-{contact}")
        roster_change(roster)

    def one_reading_alarms(document: dict) -> None:
        # these tests are about what happens after an alarm: one hot reading is enough to raise
        # it (tests of the detectors' persistence set their own)
        document["detectors"]["heat"]["persist_frames"] = 1
        document["detectors"]["wiring"]["persist_readings"] = 1
        policies(document)

    edit_yaml(directory / "roster.yaml", point_at_receiver)
    edit_yaml(directory / "policies.yaml", one_reading_alarms)
    return directory


@pytest.fixture(scope="module")
def policies_change() -> Callable[[dict], None]:
    """Override in a test module to edit the sample policies.yaml (e.g. seconds-long timeouts)."""
    return lambda document: None


@pytest.fixture(scope="module")
def roster_change(receiver) -> Callable[[dict], None]:
    """Override in a test module to edit the roster after every channel points at ``receiver``
    (e.g. a person's channels, notification rules or deputy)."""
    return lambda document: None


@pytest.fixture(scope="module")
def config_change() -> Callable[[Path], None]:
    """Override in a test module to add or change files of the configuration directory after the
    sample is copied and edited (e.g. write a units.geojson)."""
    return lambda directory: None


@pytest.fixture(scope="module")
def receiver(module_database_url):
    """The module's loopback HTTP receiver: every person's phone (a fresh one per database)."""
    with Receiver() as receiver:
        yield receiver


TEST_KAFKA_ENV = "GRIDALERT_TEST_KAFKA"


@dataclass(frozen=True)
class Stack:
    broker: str    # "tansu" (embedded) or "kafka" (Apache Kafka)
    database: str  # one of DATABASE_KINDS

    def __str__(self) -> str:
        return self.database if self.broker == "tansu" else f"{self.broker}-{self.database}"


def stacks() -> list[Stack]:
    embedded = [Stack("tansu", kind) for kind in DATABASE_KINDS]
    if not os.environ.get(TEST_KAFKA_ENV):
        return embedded
    return embedded + [Stack("kafka", DATABASE_KINDS[-1])]  # production's pair: PostgreSQL when there is one


def start_broker(stack: Stack, base: Path) -> Broker:
    if stack.broker == "kafka":
        broker = ApacheKafka(base / "kafka", log_file=base / "broker.log")
    else:
        broker = EmbeddedBroker(log_file=base / "broker.log")
    broker.start()
    return broker


@pytest.fixture(scope="module", params=stacks(), ids=str)
def stack(request) -> Stack:
    return request.param


@pytest.fixture(scope="module")
def module_database_url(stack, tmp_path_factory):
    if stack.database == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'gridalert.db'}"
        return
    from tests.support.postgres import fresh_database

    with fresh_database(os.environ[TEST_DATABASE_ENV]) as url:
        yield url


@dataclass
class Pipeline:
    broker: Broker
    bootstrap: list[str]
    receiver: Receiver
    config_dir: Path
    database_url: str
    worker: Worker
    base: Path
    extra_workers: list[Worker] = field(default_factory=list)

    def restart_worker(self, *, kill: bool, down_until: Optional[float] = None) -> Worker:
        """SIGKILL (or stop) the worker and start a new one in its place, with the same group;
        ``down_until``: no worker runs until that wall-clock time (``time.time()``) has passed."""
        if kill:
            self.worker.process.kill()
            self.worker.process.wait()
        else:
            self.worker.stop()
        if down_until is not None:
            wait_until(lambda: time.time() > down_until, timeout_s=max(0.0, down_until - time.time()) + 5,
                       what="the time the worker is to stay down")
        self.worker = start_worker(self.worker.env, self.base / "worker.log")
        return self.worker

    def add_worker(self) -> Worker:
        """Another worker in the same group (stopped with the pipeline if the test does not)."""
        worker = start_worker(self.worker.env, self.base / f"worker-{uuid.uuid4().hex[:6]}.log")
        self.extra_workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        for extra in self.extra_workers:
            extra.stop()
        self.worker.stop()


def worker_env(broker_url: str, database_url: str, config_dir: Path, base: Path, *, group: str,
               partitions: int) -> dict[str, str]:
    """A test worker's environment: its broker, database and district, and a consumer group of its own."""
    return {**os.environ,
            "GRIDALERT_BROKER": broker_url,
            "GRIDALERT_DATABASE_URL": database_url,
            "GRIDALERT_CONFIG_DIR": str(config_dir),
            "GRIDALERT_DATA_DIR": str(base / "data"),
            "GRIDALERT_APP_ID": f"{group}-{uuid.uuid4().hex[:8]}",
            "GRIDALERT_PARTITIONS": str(partitions)}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, stack, module_database_url, policies_change, roster_change, config_change, receiver):
    base = tmp_path_factory.mktemp("pipeline")
    broker = start_broker(stack, base)
    bootstrap = [broker.url.removeprefix("kafka://")]
    config_dir = write_config(base / "config", receiver, policies_change, roster_change)
    config_change(config_dir)
    env = worker_env(broker.url, module_database_url, config_dir, base, group="gridalert-test", partitions=2)
    ensure_topics(bootstrap, ALL, 2)
    worker = start_worker(env, base / "worker.log")
    try:
        pipeline = Pipeline(broker, bootstrap, receiver, config_dir, module_database_url, worker, base)
        yield pipeline
    finally:
        pipeline.stop_workers()
        broker.stop()


@pytest.fixture(scope="module")
def district(pipeline):
    return load_config(pipeline.config_dir, check_url=lambda url: None)


@pytest.fixture(scope="module")
def sessions(pipeline):
    engine = make_engine(pipeline.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def web(pipeline):
    """``gridalert web`` as its own process with the test pipeline's environment (so it shares the
    worker's link secret); yields its base URL."""
    port = free_port()
    command = Command("web", "--port", str(port), env={**pipeline.worker.env, "GRIDALERT_WEB_PORT": str(port)})
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return http("GET", f"{base}/healthz") == (200, json.dumps({"status": "ok"}))
        except OSError:
            return command.process.poll() is not None  # exited: stop waiting, fail below

    try:
        wait_until(healthy, timeout_s=30, what="the web app's /healthz")
        assert command.process.poll() is None, f"gridalert web exited:\n{command.output}"
        yield base
    finally:
        if command.process.poll() is None:
            command.interrupt()
        command.kill()
