"""A librdkafka gateway on Apache Kafka: kcat produces the events and reads the response queue.

Most gateways in the field (C, Go and Java ones, confluent-kafka) are librdkafka clients, which the
embedded Tansu broker does not serve; on Apache Kafka they must work unchanged. Runs on the
``kafka-*`` stack (``GRIDALERT_TEST_KAFKA``); kcat is Debian's package (``.ci/kcat.sh``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid

import pytest

from tests.support.pipeline import heat, incidents_where, point_in
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

KCAT_ENV = "GRIDALERT_TEST_KCAT"
GRID = "GSH-JHY-01-03"


@pytest.fixture(scope="module")
def kcat(stack) -> str:
    if stack.broker != "kafka":
        pytest.skip("librdkafka clients need Apache Kafka (the kafka-* stack, GRIDALERT_TEST_KAFKA=1)")
    found = os.environ.get(KCAT_ENV) or shutil.which("kcat") or shutil.which("kafkacat")
    if found:
        return found
    reason = f"no kcat: set {KCAT_ENV} or run `bash .ci/kcat.sh` (apt-get install kcat)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def test_kcat_sends_a_heat_alarm_and_reads_the_grid_queues_order(pipeline, sessions, kcat, district):
    bootstrap = pipeline.broker.url.removeprefix("kafka://")
    lon, lat = point_in(pipeline.config_dir, GRID)
    device = f"tc-{uuid.uuid4().hex[:6]}"
    event = heat(82.0, lon=lon, lat=lat, device=device)
    produced = subprocess.run([kcat, "-b", bootstrap, "-P", "-t", "gridalert.events", "-k", device],
                              input=json.dumps(event), capture_output=True, text=True, timeout=60)
    assert produced.returncode == 0, produced.stderr

    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event["id"]),
                            timeout_s=60, what="the incident kcat's event opened")

    def order_on_the_grid_queue():
        consumed = subprocess.run([kcat, "-b", bootstrap, "-C", "-t", "gridalert.dispatch.grid", "-o", "beginning",
                                   "-e", "-q", "-f", "%k\t%s\n"], capture_output=True, text=True, timeout=60)
        assert consumed.returncode == 0, consumed.stderr
        orders = [(key, json.loads(value)) for key, _, value in
                  (line.partition("\t") for line in consumed.stdout.splitlines() if line.strip())]
        return [(key, order) for key, order in orders if order["incident_id"] == incident.id]

    [(key, order)] = wait_until(order_on_the_grid_queue, timeout_s=60, what="the order on gridalert.dispatch.grid")
    head = next(p.id for p in district.roster.staff if p.role.value == "grid_head" and p.area == GRID)
    assert key == GRID  # keyed by grid, like everything after location
    assert order["responders"] == [head] and order["place"]["grid_id"] == GRID
    assert wait_until(lambda: pipeline.receiver.pages_for(head), timeout_s=60, what="the grid head's page")
