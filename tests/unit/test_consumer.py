"""The worker's consumer hands every fetched record on or fetches it again (streams/consumer.py).

The loss it prevents is shown end to end by tests/faults/test_worker_crash.py (a worker restarted
after SIGKILL, and one of two workers killed); these are the pure pieces.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from faust.types import TP

from gridalert.config.loader import load_config
from gridalert.config.settings import SAMPLE_CONFIG_DIR, Settings
from gridalert.streams.app import create_app
from gridalert.streams.consumer import GridApp, RewindingConsumer, left_behind

EVENTS_0, EVENTS_1 = TP("gridalert.events", 0), TP("gridalert.events", 1)


def records(*offsets: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(offset=offset) for offset in offsets]


def test_a_partition_whose_records_were_all_handed_on_is_left_alone():
    assert left_behind({EVENTS_0: records(4, 5, 6)}, {EVENTS_0: 6}) == {}


def test_a_partition_skipped_whole_is_fetched_again_from_its_first_record():
    batch = {EVENTS_0: records(4, 5, 6), EVENTS_1: records(1, 2)}
    assert left_behind(batch, {EVENTS_1: 2}) == {EVENTS_0: 4}


def test_a_batch_cut_short_is_fetched_again_after_the_last_record_handed_on():
    assert left_behind({EVENTS_0: records(4, 5, 6)}, {EVENTS_0: 4}) == {EVENTS_0: 5}


class FakeThread:
    def __init__(self) -> None:
        self.asked: list[set] = []

    async def getmany(self, partitions, timeout):
        self.asked.append(partitions)
        await asyncio.sleep(0)
        return {}


def fetching_consumer() -> tuple[RewindingConsumer, FakeThread]:
    consumer = object.__new__(RewindingConsumer)  # only _getmany is exercised: no transport needed
    consumer._thread = FakeThread()
    return consumer, consumer._thread


def test_aiokafka_is_asked_with_a_copy_that_does_not_empty_while_it_waits():
    consumer, thread = fetching_consumer()
    active = {EVENTS_0, EVENTS_1}

    async def fetch_while_recovery_pauses_everything():
        fetch = asyncio.ensure_future(consumer._getmany(active, timeout=1.0))
        await asyncio.sleep(0)
        active.clear()  # what pausing every partition does to faust's live set
        await fetch

    asyncio.run(fetch_while_recovery_pauses_everything())
    assert thread.asked == [{EVENTS_0, EVENTS_1}]


def test_no_fetch_with_no_active_partition():
    # aiokafka reads an empty set of partitions as "every partition"
    consumer, thread = fetching_consumer()
    assert asyncio.run(consumer._getmany(set(), timeout=1.0)) == {}
    assert thread.asked == []


def test_the_worker_app_consumes_with_the_rewinding_consumer():
    app = create_app(Settings(broker="kafka://127.0.0.1:9"), load_config(SAMPLE_CONFIG_DIR, check_url=lambda url: None))
    assert isinstance(app, GridApp) and app.transport.Consumer is RewindingConsumer
