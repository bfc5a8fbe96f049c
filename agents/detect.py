"""detect: ``gridalert.located`` → ``gridalert.alarms`` when a detector fires (see ``detectors/``).

Two agents share one ``TimedTable`` (``agents/timers.py``) on the grid-keyed partitions:

- ``detector-states``: ``DetectorState`` per ``<grid key>|<detector>|<subject>``: a camera's
  persistence and hysteresis, a monitor's household file, a resident's routine and silence
  deadline, a gateway's heartbeat deadline;
- ``detector-states-due``: each partition's subjects with a deadline, read on every tick.

``gridalert.detect`` runs each located event through its detectors; ``gridalert.detect-clock``
reads the same ``gridalert.ticks`` as the incident stage's clock and runs the time-driven rules
(a resident silent too long, a gateway that stopped beating) of the subjects that came due.
"""

from __future__ import annotations

from gridalert.agents.boundary import guard, now
from gridalert.agents.timers import TimedTable
from gridalert.detectors.stage import DetectStage
from gridalert.streams import topics as names
from gridalert.streams.app import Stage
from gridalert.streams.records import Alarm, DetectorState, LocatedEvent, Tick


def register(stage: Stage) -> None:
    app, topics = stage.app, stage.topics
    core = DetectStage(stage.config.policies, stage.devices)
    subjects: TimedTable[DetectorState] = TimedTable(app, "detector-states", DetectorState, stage.settings.partitions,
                                                     next_due=core.next_due, counts=core.counts)
    ticks = app.topic(names.TICKS, key_type=str, value_type=Tick)

    async def publish(alarms: list[Alarm]) -> None:
        for alarm in alarms:
            await topics.alarms.send(key=alarm.place.partition_key, value=alarm)

    @app.agent(topics.located, name="gridalert.detect")
    async def on_located(stream):
        async for event in stream.events():
            async with guard(event, "detect", topics.dead_letters):
                located: LocatedEvent = event.value
                moment = now()
                for key, detector in core.reads(located):
                    await publish(subjects.apply(event.message.partition, key,
                                                 lambda r: core.on_event(detector, r, located, moment)))

    @app.agent(ticks, name="gridalert.detect-clock")
    async def on_tick(stream):
        async for event in stream.events():
            async with guard(event, "detect-clock", topics.dead_letters):
                moment = now()
                await publish([alarm for _, alarm in subjects.apply_due(event.message.partition, moment,
                                                                          lambda r: core.on_time(r, moment))])
