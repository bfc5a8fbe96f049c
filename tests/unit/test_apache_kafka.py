"""The Apache Kafka broker's pure parts: the pinned version and its single-node configuration."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from gridalert.streams import apache_kafka
from gridalert.streams.broker import BrokerUnavailable


def test_the_pom_pins_a_kafka_4_release():
    assert re.fullmatch(r"4\.\d+\.\d+", apache_kafka.version())


def test_a_single_node_is_its_own_controller_on_loopback_and_keeps_its_log_in_the_data_dir(tmp_path):
    text = apache_kafka.server_properties(data_dir=tmp_path, port=19092, controller_port=19093)
    settings = dict(line.split("=", 1) for line in text.splitlines() if line)
    assert settings["process.roles"] == "broker,controller"
    assert settings["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert settings["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert settings["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert settings["log.dirs"] == str(tmp_path / "log")
    assert settings["offsets.topic.replication.factor"] == "1"  # one broker: replication 3 would never start
    assert settings["auto.create.topics.enable"] == "false"  # gridalert declares its topics and partitions


def test_the_cache_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(apache_kafka.HOME_ENV, str(tmp_path / "kafka"))
    assert apache_kafka.default_home() == tmp_path / "kafka"
    monkeypatch.delenv(apache_kafka.HOME_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert apache_kafka.default_home() == tmp_path / "cache" / "gridalert" / f"apache-kafka-{apache_kafka.version()}"


def test_without_java_or_maven_it_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(apache_kafka.shutil, "which", lambda tool: None if tool == "mvn" else f"/usr/bin/{tool}")
    with pytest.raises(BrokerUnavailable, match=r"Maven \(apt-get install maven\): `mvn` is not on PATH"):
        apache_kafka.install(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere" / "lib").exists()


def test_jars_already_fetched_are_used_without_maven(monkeypatch, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / ".complete").touch()
    monkeypatch.setattr(apache_kafka.shutil, "which", lambda tool: None)
    assert apache_kafka.install(tmp_path) == Path(tmp_path)


def test_a_cluster_id_never_looks_like_an_option_to_the_storage_tool(monkeypatch):
    ids = iter([uuid.UUID(bytes=b"\xfb" + bytes(15)), uuid.UUID(bytes=bytes(16))])  # the first encodes as "-w…"
    monkeypatch.setattr(apache_kafka.uuid, "uuid4", lambda: next(ids))
    assert apache_kafka.cluster_id() == "AAAAAAAAAAAAAAAAAAAAAA"
    monkeypatch.undo()
    assert all(not apache_kafka.cluster_id().startswith("-") for _ in range(2000))
