"""The database unreachable for a minute: the pipeline goes on, the projection catches up from Kafka.

The database is PostgreSQL behind a TCP proxy that closes every connection and refuses new ones
for 60 s. Paging and escalation do not need the database, so orders climb and pages go out on
time; the recorder holds its partitions and retries, and when the database is back it writes
what the log holds, once.
"""

from __future__ import annotations

import time

import pytest

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.faults.script import ACCEPTED, CLIMBING, Script
from tests.support.pipeline import chain_of
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(600)]

OUTAGE_S = 60.0


def reachable(pipeline) -> bool:
    try:
        with pipeline.sessions() as session:
            session.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False


def test_the_database_unreachable_for_a_minute_is_caught_up_from_the_log(pipeline, district):
    if pipeline.proxy is None:
        pytest.skip("cutting the database off needs PostgreSQL: set GRIDALERT_TEST_DATABASE_URL (.ci/postgres.sh)")
    script = Script(pipeline, district)
    script.accept_before_the_fault(ACCEPTED)
    script.alarm(*CLIMBING[:3])
    pipeline.proxy.cut()
    back_at = time.monotonic() + OUTAGE_S
    script.alarm(*CLIMBING[3:8])
    # Pages do not wait for the database: the grid heads of the alarms sent during the outage are
    # paged while it is still unreachable.
    heads = [chain_of(district, grid)[0] for grid in CLIMBING[3:8]]
    wait_until(lambda: all(pipeline.receiver.pages_for(head) for head in heads), timeout_s=OUTAGE_S - 15,
               what="the grid heads' pages during the database outage")
    assert not reachable(pipeline), "the database was not cut off"
    wait_until(lambda: time.monotonic() >= back_at, timeout_s=OUTAGE_S + 10, what="the outage's minute")
    pipeline.proxy.restore()
    script.alarm(*CLIMBING[8:])
    script.assert_invariants()
    assert pipeline.worker.alive()
