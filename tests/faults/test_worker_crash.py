"""Workers die mid-stream: killed with SIGKILL and restarted; one of two killed for good.

The script's alarms before the fault are accepted; more alarms are sent and the worker is killed
while it is taking them in, so some are processed, some half-processed and some not read yet.
"""

from __future__ import annotations

import pytest

from tests.faults.script import ACCEPTED, CLIMBING, Script

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(600)]


def test_a_worker_killed_mid_stream_and_restarted_loses_and_repeats_nothing(pipeline, district):
    script = Script(pipeline, district)
    script.accept_before_the_fault(ACCEPTED)
    script.alarm(*CLIMBING[:6])
    pipeline.restart_worker(kill=True)  # SIGKILL while the alarms are in flight
    script.alarm(*CLIMBING[6:])
    script.assert_invariants()


def test_one_of_two_workers_killed_its_partitions_move_to_the_other(pipeline, district):
    second = pipeline.add_worker()
    script = Script(pipeline, district)
    script.accept_before_the_fault(ACCEPTED)
    script.alarm(*CLIMBING[:6])
    second.process.kill()  # SIGKILL: no goodbye to the group; the session timeout moves its partitions
    second.process.wait()
    script.alarm(*CLIMBING[6:])
    script.assert_invariants()
    assert pipeline.worker.alive()
