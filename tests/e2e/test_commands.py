"""The two things a new user runs: ``gridalert run`` and ``gridalert demo``, each a real process tree."""

from __future__ import annotations

import os
import re
import socket
import uuid

import pytest

from gridalert.streams.broker import free_port
from tests.support.process import Command
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDALERT_")}
    env.update(GRIDALERT_DATA_DIR=str(tmp_path / "data"), GRIDALERT_INBOX_PORT=str(free_port()),
               GRIDALERT_WEB_PORT=str(free_port()), GRIDALERT_METRICS_PORT=str(free_port()),
               GRIDALERT_APP_ID=f"gridalert-cmd-{uuid.uuid4().hex[:8]}", GRIDALERT_PARTITIONS="2")
    return env


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_run_starts_broker_worker_inbox_and_web_and_ctrl_c_stops_them_all(env):
    command = Command("run", env=env)
    try:
        command.wait_for("running — press Ctrl-C to stop")
        broker_port = int(re.search(r"embedded Tansu listening on 127\.0\.0\.1:(\d+)", command.output).group(1))
        inbox_port, web_port = int(env["GRIDALERT_INBOX_PORT"]), int(env["GRIDALERT_WEB_PORT"])
        assert listening(broker_port) and listening(inbox_port) and listening(web_port)
        assert command.interrupt() == 0
    finally:
        command.kill()
    assert "stopped" in command.output and "Traceback" not in command.output
    wait_until(lambda: not any(listening(p) for p in (broker_port, inbox_port, web_port)), timeout_s=10,
               what="the broker, inbox and web ports to close")


def test_run_on_a_fixed_broker_port_says_so_when_it_is_taken(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = Command("run", "--broker-port", str(port), env=env)
        code = command.process.wait(timeout=60)
        command._reader.join(timeout=5)
    assert code == 3
    assert f"port {port} on 127.0.0.1 is already in use" in command.output and "Traceback" not in command.output


def test_demo_pages_the_grid_head_and_the_district_duty_officer(env):
    command = Command("demo", env=env)
    try:
        command.wait_for("running — press Ctrl-C to stop", timeout_s=180)
        assert "pages received by the inbox (2)" in command.output, command.output
        assert "(grid_head, GSH-JHY-01-03): 异常热源报警 63.5 °C" in command.output
        assert "(district_duty, 观山湖区): 异常热源报警 71.0 °C" in command.output
        assert command.interrupt() == 0
    finally:
        command.kill()
