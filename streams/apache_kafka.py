"""Apache Kafka as a child process: a single-node KRaft broker on loopback, from Maven Central.

For users whose gateways speak librdkafka (kcat, confluent-kafka, most C/Go/Java gateways), which
the default embedded broker does not serve, and for the test suite's runs on Apache Kafka. The
jars come from Maven Central by ``mvn dependency:copy-dependencies`` over ``kafka/pom.xml`` into
a cache directory outside the repository (``GRIDALERT_KAFKA_HOME``, default
``~/.cache/gridalert/apache-kafka-<version>``); Java 17 and Maven must be on PATH. The broker keeps
its log in ``data_dir``: stopping and starting it again on the same directory keeps every topic.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import subprocess
import uuid
from pathlib import Path
from typing import Callable, Optional

from gridalert.streams.broker import BrokerUnavailable, detach_and_die_with_parent, free_port, wait_for_port

POM = Path(__file__).resolve().parent / "kafka" / "pom.xml"
HOME_ENV = "GRIDALERT_KAFKA_HOME"
_COMPLETE = ".complete"

LOG4J2 = """\
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def version() -> str:
    """The Apache Kafka version ``kafka/pom.xml`` pins."""
    found = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    if found is None:
        raise BrokerUnavailable(f"{POM}: no <kafka.version> property")
    return found.group(1).strip()


def default_home() -> Path:
    configured = os.environ.get(HOME_ENV)
    if configured:
        return Path(configured).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "gridalert" / f"apache-kafka-{version()}"


def install(home: Optional[Path] = None, *, say: Callable[[str], None] = lambda line: None) -> Path:
    """The broker's jars in ``home/lib``, fetched once from Maven Central; returns ``home``."""
    home = home or default_home()
    lib = home / "lib"
    if (lib / _COMPLETE).exists():
        return home
    for tool, package in (("java", "a Java 17 runtime (apt-get install openjdk-17-jre-headless)"),
                          ("mvn", "Maven (apt-get install maven)")):
        if shutil.which(tool) is None:
            raise BrokerUnavailable(f"Apache Kafka needs {package}: `{tool}` is not on PATH")
    say(f"fetching Apache Kafka {version()} from Maven Central into {lib} (once)")
    staging = home / f"lib.{uuid.uuid4().hex[:8]}"
    staging.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
         f"-DoutputDirectory={staging}", "-DincludeScope=runtime"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    if result.returncode != 0 or not any(staging.glob("kafka_2.13-*.jar")):
        shutil.rmtree(staging, ignore_errors=True)
        output = "\n".join(result.stdout.strip().splitlines()[-15:])
        raise BrokerUnavailable(f"could not fetch Apache Kafka {version()} with Maven:\n{output}")
    (staging / _COMPLETE).touch()
    try:
        staging.rename(lib)
    except OSError:  # another process finished first: theirs is as good
        shutil.rmtree(staging, ignore_errors=True)
    return home


def server_properties(*, data_dir: Path, port: int, controller_port: int, host: str = "127.0.0.1") -> str:
    """A single node that is its own controller, on loopback, keeping its log in ``data_dir``."""
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@{host}:{controller_port}",
        f"listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        f"advertised.listeners=PLAINTEXT://{host}:{port}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={data_dir / 'log'}",
        "num.partitions=1",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=4",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=false",
        "",
    ])


def cluster_id() -> str:
    """A new cluster id in Kafka's format (a UUID, URL-safe base64, no padding).

    Never one that starts with "-": the storage tool would read it as an option and refuse to format
    (one id in 64 did; Kafka's own ``Uuid.randomUuid`` skips them for the same reason).
    """
    while True:
        cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster.startswith("-"):
            return cluster


class ApacheKafka:
    """A single-node Apache Kafka (KRaft) on 127.0.0.1, its log in ``data_dir``.

    ``start`` formats the directory the first time and reuses it afterwards, on the same ports,
    so ``stop`` then ``start`` is a broker restart that keeps every topic and committed offset.
    """

    host = "127.0.0.1"

    def __init__(self, data_dir: Path, port: int = 0, *, log_file: Optional[Path] = None,
                 home: Optional[Path] = None, heap: str = "512m",
                 say: Callable[[str], None] = lambda line: None):
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port(self.host)
        self.controller_port = free_port(self.host)
        self.url = f"kafka://{self.host}:{self.port}"
        self.log_file = log_file
        self.home = home
        self.heap = heap
        self.say = say
        self._process: Optional[subprocess.Popen] = None

    def _java(self, main: str, *args: str) -> list[str]:
        home = install(self.home, say=self.say)
        (home / "log4j2.properties").write_text(LOG4J2)
        return ["java", f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={home / 'log4j2.properties'}",
                "-cp", str(home / "lib" / "*"), main, *args]

    def _format(self, properties: Path) -> None:
        if (self.data_dir / "log" / "meta.properties").exists():
            return
        result = subprocess.run(self._java("kafka.tools.StorageTool", "format", "-t", cluster_id(),
                                           "-c", str(properties)),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        if result.returncode != 0:
            raise BrokerUnavailable(f"could not format Apache Kafka's directory {self.data_dir}:\n{result.stdout[-2000:]}")

    def start(self, *, timeout_s: float = 60) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        properties = self.data_dir / "server.properties"
        properties.write_text(server_properties(data_dir=self.data_dir, port=self.port,
                                                controller_port=self.controller_port, host=self.host))
        self._format(properties)
        command = self._java("kafka.Kafka", str(properties))
        output = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL
        try:
            self._process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, preexec_fn=detach_and_die_with_parent)
        finally:
            if output is not subprocess.DEVNULL:
                output.close()
        try:
            wait_for_port(self.host, self.port, timeout_s=timeout_s, process=self._process)
        except BrokerUnavailable as exc:
            self.stop()
            where = f"; see {self.log_file}" if self.log_file else ""
            raise BrokerUnavailable(f"Apache Kafka did not start: {exc}{where}") from None

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, *, timeout_s: float = 30) -> None:
        """A clean shutdown (SIGTERM: the broker flushes and closes its log), SIGKILL after ``timeout_s``."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def main() -> None:
    """``python -m gridalert.streams.apache_kafka fetch``: fetch the jars now (CI does, before tests)."""
    import sys

    if sys.argv[1:] != ["fetch"]:
        raise SystemExit("usage: python -m gridalert.streams.apache_kafka fetch")
    try:
        home = install(say=print)
    except BrokerUnavailable as exc:
        raise SystemExit(f"gridalert: {exc}") from None
    print(f"Apache Kafka {version()}: {home / 'lib'}")


if __name__ == "__main__":
    main()
