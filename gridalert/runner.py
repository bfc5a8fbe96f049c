"""``gridalert run``: broker (embedded unless configured: Tansu, or Apache Kafka on request), database, inbox, web app and worker, as processes.

Each part is a real child process in its own session, so Ctrl-C reaches only the runner, which
then stops the worker first (it commits and leaves its group), then the web app, the inbox and
the broker. The accept links' secret is settled before any child starts, so the worker that
signs and the web app that verifies hold the same one.
Children get SIGTERM if the runner itself dies, so a killed runner leaves nothing behind.
If a child dies, the runner says which, shows the end of its log and stops the rest.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Optional

from gridalert.config.secret import link_secret
from gridalert.config.settings import Settings
from gridalert.store import upgrade
from gridalert.streams.apache_kafka import ApacheKafka, version as kafka_version
from gridalert.streams.broker import (Broker, EmbeddedBroker, ExternalBroker, detach_and_die_with_parent,
                                      ensure_topics, wait_for_port)
from gridalert.streams.topics import ALL

READY_MARK = "[^Worker]: Ready"


class ChildFailed(RuntimeError):
    pass


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Runner:
    def __init__(self, settings: Settings, *, inbox: bool = True, web: bool = True,
                 say: Callable[[str], None] = print):
        self.settings = settings
        self.inbox = inbox
        self.web = web
        self.say = say
        self.data_dir = settings.data_dir.resolve()
        self.broker: Optional[Broker] = None
        self.children: list[tuple[str, subprocess.Popen, Path]] = []

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log_path = self.data_dir / f"{name}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen([sys.executable, "-m", *args], env=env, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       preexec_fn=detach_and_die_with_parent)
        self.children.append((name, process, log_path))
        return process

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        settings = self.settings
        if settings.broker:
            self.broker = ExternalBroker(settings.broker)
            self.say(f"broker: {settings.broker} (external cluster)")
        elif settings.embedded_broker == "kafka":
            self.broker = ApacheKafka(self.data_dir / "kafka", settings.broker_port,
                                      log_file=self.data_dir / "broker.log", say=self.say)
            self.broker.start()
            self.say(f"broker: Apache Kafka {kafka_version()} listening on {self.broker.url.removeprefix('kafka://')} "
                     f"(kept in {self.data_dir / 'kafka'}; serves every Kafka client, librdkafka too)")
        else:
            self.broker = EmbeddedBroker(settings.broker_port, log_file=self.data_dir / "broker.log")
            self.broker.start()
            self.say(f"broker: embedded Tansu listening on {self.broker.url.removeprefix('kafka://')} "
                     "(memory only; serves Faust/aiokafka and kafka-python clients, not librdkafka: "
                     "--embedded-broker kafka serves those)")
        settings = settings.model_copy(update={"broker": self.broker.url})
        self.settings = settings
        ensure_topics(settings.bootstrap_servers, ALL, settings.partitions)
        upgrade(settings.effective_database_url)
        self.say(f"database: {settings.effective_database_url}")
        env = {**os.environ, "GRIDALERT_BROKER": settings.broker,
               "GRIDALERT_DATABASE_URL": settings.effective_database_url,
               "GRIDALERT_CONFIG_DIR": str(Path(settings.config_dir).resolve()),
               "GRIDALERT_DATA_DIR": str(self.data_dir),
               "GRIDALERT_INBOX_PORT": str(settings.inbox_port),
               "GRIDALERT_WEB_PORT": str(settings.web_port),
               "GRIDALERT_PUBLIC_URL": settings.effective_public_url}
        link_secret(settings)  # made now (if it comes from no environment) so no two children race for it
        if self.inbox:
            inbox = self._spawn("inbox", ["gridalert.notifiers.inbox", "--port", str(settings.inbox_port)], env)
            wait_for_port("127.0.0.1", settings.inbox_port, timeout_s=20, process=inbox)
            self.say(f"inbox: http://127.0.0.1:{settings.inbox_port}/ (every page the sample roster sends)")
        if self.web:
            web = self._spawn("web", ["gridalert", "web", "--port", str(settings.web_port)], env)
            wait_for_port("127.0.0.1", settings.web_port, timeout_s=20, process=web)
            self.say(f"web: accept links {settings.effective_public_url}/a/… (listening on 127.0.0.1:{settings.web_port})")
        worker = self._spawn("worker", ["gridalert", "worker"], env)
        self._wait_ready(worker, self.data_dir / "worker.log")
        self.say(f"worker: ready (log: {self.data_dir / 'worker.log'})")
        if settings.metrics_port:  # with 0 the worker picked a port and says which in its log
            self.say(f"worker: /health, /ready, /metrics on http://{settings.metrics_host}:{settings.metrics_port}/")

    def _wait_ready(self, worker: subprocess.Popen, log_path: Path, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise ChildFailed(f"the worker exited with code {worker.returncode}:\n{tail(log_path)}")
            if READY_MARK in log_path.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise ChildFailed(f"the worker was not ready after {timeout_s:.0f} s:\n{tail(log_path)}")

    def watch(self, until: Callable[[], bool] = lambda: False, poll_s: float = 0.5) -> None:
        """Block until Ctrl-C/SIGTERM or ``until()``; raise ``ChildFailed`` if a child dies."""
        stop = {"now": False}

        def on_signal(signum, frame):
            stop["now"] = True

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not stop["now"] and not until():
                for name, process, log_path in self.children:
                    if process.poll() is not None:
                        raise ChildFailed(f"the {name} exited with code {process.returncode}:\n{tail(log_path)}")
                time.sleep(poll_s)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        for name, process, _ in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.say(f"{name} did not stop within 30 s; killing it")
                    process.kill()
                    process.wait()
        self.children.clear()
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
