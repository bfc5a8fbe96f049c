"""The phones' gateway fails for two minutes: a minute of HTTP errors, then a minute of hanging.

Every page during the outage fails (an error, or a timeout with no answer); the orders climb on
time all the same. Nobody reached is tried again every ``paging.unreached_retry_s`` until the page
gets through, so when the gateway recovers every expected page arrives, once.
"""

from __future__ import annotations

import time

import pytest

from tests.faults.conftest import script_policies
from tests.faults.script import ACCEPTED, CLIMBING, Script
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(600)]

OUTAGE_S = 60.0  # each kind: errors, then hanging


@pytest.fixture
def policies_change():
    def change(document):
        script_policies(document)
        document["paging"] = {"attempts": 2, "backoff_s": 0.5, "timeout_s": 3, "unreached_retry_s": 10}
    return change


def outage(receiver, kind: str, *, seconds: float) -> None:
    """``kind`` for ``seconds`` (the fault's length, not a wait for something to happen), making
    sure pages were actually refused during it."""
    refused_before, until = receiver.refused, time.monotonic() + seconds
    receiver.outage(kind)
    wait_until(lambda: time.monotonic() >= until and receiver.refused > refused_before,
               timeout_s=seconds + 60, what=f"{seconds:.0f} s of {kind} with pages refused")


def test_pages_refused_or_hanging_for_two_minutes_arrive_once_after_recovery(pipeline, district):
    script = Script(pipeline, district)
    script.accept_before_the_fault(ACCEPTED)
    receiver = pipeline.receiver
    receiver.outage("error")
    script.alarm(*CLIMBING[:5])
    outage(receiver, "error", seconds=OUTAGE_S)
    script.alarm(*CLIMBING[5:8])
    outage(receiver, "hang", seconds=OUTAGE_S)
    receiver.recover()
    script.alarm(*CLIMBING[8:])
    script.assert_invariants()
