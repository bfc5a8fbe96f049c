"""Apache Kafka stopped for 30 s and started again, while people keep working.

During the outage a gateway operator sends an alarm with ``gridalert send``, a grid head reports
"on scene" from the command line, and another through the web API. Each either waits for the
broker and is acknowledged, or fails with a plain message and is sent again after; nothing that
was acknowledged is lost, nothing is applied twice, and the worker rides through on its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager

import pytest

from gridalert.streams.broker import free_port
from tests.faults.script import ACCEPTED, CLIMBING, Script
from tests.support.pipeline import chain_of, heat, http, point_in
from tests.support.process import Command
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(600)]

OUTAGE_S = 30.0


@contextmanager
def web_app(pipeline):
    port = free_port()
    command = Command("web", "--port", str(port), env={**pipeline.worker.env, "GRIDALERT_WEB_PORT": str(port)})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: command.process.poll() is not None or ok(f"{base}/healthz"), timeout_s=30,
                   what="the web app")
        assert command.process.poll() is None, command.output
        yield base
    finally:
        command.kill()


def ok(url: str) -> bool:
    try:
        return http("GET", url)[0] == 200
    except OSError:
        return False


def gridalert(pipeline, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridalert", *args], env=pipeline.worker.env, input=stdin,
                          capture_output=True, text=True, timeout=180)


def token_for(pipeline, person: str) -> str:
    made = gridalert(pipeline, "token", "create", "--person", person)
    assert made.returncode == 0, made.stderr
    return next(word for word in made.stdout.split() if word.startswith("gat_"))


def on_scene_by_api(web: str, token: str, incident_id: str) -> tuple[int, dict]:
    status, text = http("POST", f"{web}/api/incidents/{incident_id}/commands",
                        data=json.dumps({"action": "on_scene"}).encode(),
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    return status, json.loads(text)


def in_background(fn):
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", fn()), daemon=True)
    thread.start()
    return thread, result


def test_the_broker_down_for_30_s_loses_nothing_acknowledged_and_applies_nothing_twice(pipeline, district):
    script = Script(pipeline, district)
    script.accept_before_the_fault(ACCEPTED)
    script.alarm(*CLIMBING[:5])
    by_cli, by_api = ACCEPTED
    incident_cli, incident_api = script.incident_of(by_cli), script.incident_of(by_api)
    head_cli, head_api = chain_of(district, by_cli)[0], chain_of(district, by_api)[0]
    token = token_for(pipeline, head_api)
    lon, lat = point_in(pipeline.config_dir, CLIMBING[5])
    late_alarm = heat(80.0, lon=lon, lat=lat, device=f"tc-{uuid.uuid4().hex[:6]}")

    with web_app(pipeline) as web:
        pipeline.kafka.stop()
        back_at = time.monotonic() + OUTAGE_S
        sends = [in_background(lambda: gridalert(pipeline, "send", "-", stdin=json.dumps(late_alarm))),
                 in_background(lambda: gridalert(pipeline, "command", "on_scene", incident_cli.id, "--by", head_cli)),
                 in_background(lambda: on_scene_by_api(web, token, incident_api.id))]
        wait_until(lambda: time.monotonic() >= back_at, timeout_s=OUTAGE_S + 10, what="the outage's 30 s")
        pipeline.kafka.start()
        for thread, _ in sends:
            thread.join(timeout=120)
        (sent, cli, (api_status, api_body)) = [result["value"] for _, result in sends]
        print(f"during the outage: send exit {sent.returncode}, command exit {cli.returncode}, API {api_status}")

        # Each either got through or said so plainly; what did not get through is sent again.
        for run in (sent, cli):
            assert run.returncode == 0 or ("cannot" in run.stderr and "Traceback" not in run.stderr), run.stderr
        assert api_status in (200, 202) or (api_status == 503 and "broker" in api_body["error"]), api_body
        if sent.returncode != 0:
            sent = gridalert(pipeline, "send", "-", stdin=json.dumps(late_alarm))
            assert sent.returncode == 0, sent.stderr
        if cli.returncode != 0:
            cli = gridalert(pipeline, "command", "on_scene", incident_cli.id, "--by", head_cli)
            assert cli.returncode == 0, cli.stdout + cli.stderr
        if api_status == 503:
            api_status, api_body = on_scene_by_api(web, token, incident_api.id)
            assert api_status in (200, 202), api_body

    script.sent(CLIMBING[5], late_alarm)
    script.status.update({by_cli: "on_scene", by_api: "on_scene"})
    script.alarm(*CLIMBING[6:])
    script.assert_invariants()
    assert pipeline.worker.alive(), "the worker did not ride through the outage"
