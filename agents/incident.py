"""incident: alarms, commands and clock ticks → ``gridalert.incidents``; a grid's incidents live in its partition.

Three agents share one ``TimedTable`` (``agents/timers.py``), all on the same partitions
(everything is keyed by grid, ticks are sent to every partition by number). A grid's
``GridIncidents`` is kept in rows of two tables, so that a step writes the incident it changed
and not every incident of the grid (``GridRows``):

- ``incident-grids``: ``GridHead`` per grid: its incident ids, open dedup keys, silences, seen ids;
- ``incident-states``: ``IncidentState`` per ``<grid key>/<incident id>``: the incident's last
  timeline event, its deadlines and fencing tokens;
- ``incident-grids-due``: ``Timer`` per grid: its earliest deadline and counts, from which each
  worker keeps the due times of its partitions in memory, so a tick reads only the grids that
  have something due (``incident-grids-late``: steps that fired late, per partition).

The leader's timer sends a ``Tick`` to every partition of ``gridalert.ticks`` every
``TICK_S``; the agent owning that partition fires what is due. A worker that was down fires, on
its first tick back, every step that came due meanwhile, and says how late. Each partition
reports its timers to ``gridalert.audit`` every ``AUDIT_EVERY_S``.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

from gridalert.agents.boundary import guard, now
from gridalert.agents.timers import LATE_GRACE_S, TimedTable
from gridalert.incidents.book import Book
from gridalert.incidents.routing import Responsibility
from gridalert.streams import topics as names
from gridalert.streams.app import Stage
from gridalert.streams.cloudevents import Rejected
from gridalert.streams.records import (Alarm, Command, GridHead, GridIncidents, IncidentEvent, IncidentState,
                                       PartitionAudit, Tick)

TICK_S = 0.25
AUDIT_EVERY_S = 5.0

Step = Callable[[Optional[GridIncidents]], tuple[GridIncidents, list[IncidentEvent]]]


class GridRows:
    """A grid's ``GridIncidents`` as a ``GridHead`` row and one ``IncidentState`` row per incident.

    ``put`` writes the rows that changed: an incident the step did not touch is the very object it
    was (``Book`` copies an incident only to change it), so it is skipped without comparing it.
    """

    def __init__(self, app, partitions: int, name: str = "incident"):
        self.heads = app.Table(f"{name}-grids", key_type=str, value_type=GridHead, partitions=partitions)
        self.incidents = app.Table(f"{name}-states", key_type=str, value_type=IncidentState, partitions=partitions)
        self.tables = [self.heads, self.incidents]

    def get(self, key: str) -> Optional[GridIncidents]:
        head = self.heads.get(key)
        if head is None:
            return None
        incidents = {i: self.incidents.get(f"{key}/{i}") for i in head.incident_ids}
        return GridIncidents(incidents={i: inc for i, inc in incidents.items() if inc is not None},
                             open_keys=head.open_keys, silences=head.silences, seen=head.seen)

    def put(self, key: str, before: Optional[GridIncidents], after: Optional[GridIncidents]) -> None:
        was = before.incidents if before is not None else {}
        now = after.incidents if after is not None else {}
        for incident_id, inc in now.items():
            old = was.get(incident_id)
            if old is not inc and old != inc:
                self.incidents[f"{key}/{incident_id}"] = inc
        for incident_id in was.keys() - now.keys():
            self.incidents.pop(f"{key}/{incident_id}", None)
        if after is None:
            self.heads.pop(key, None)
            return
        head = GridHead(incident_ids=list(now), open_keys=after.open_keys, silences=after.silences, seen=after.seen)
        if before is None or (list(was), before.open_keys, before.silences, before.seen) != (
                head.incident_ids, head.open_keys, head.silences, head.seen):
            self.heads[key] = head


def register(stage: Stage) -> None:
    app, topics, settings = stage.app, stage.topics, stage.settings
    book = Book(stage.config.policies, Responsibility(stage.config.roster, stage.config.schedules, stage.config.units))
    grids: TimedTable[GridIncidents] = TimedTable(app, "incident-grids", GridIncidents, settings.partitions,
                                                  next_due=Book.next_due, counts=Book.counts,
                                                  rows=GridRows(app, settings.partitions))
    commands = app.topic(names.COMMANDS, key_type=str, value_type=Command)
    ticks = app.topic(names.TICKS, key_type=str, value_type=Tick)
    audit = app.topic(names.AUDIT, key_type=str, value_type=PartitionAudit)
    last_audit: dict[int, float] = {}

    def owned_incidents() -> list:
        """Every incident (open or recently closed) of the partitions this worker owns, not its standbys."""
        partitions = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == names.ALARMS}
        states = [grids.get(key) for p in partitions for key in grids.keys(p)]
        return [incident for state in states if state is not None for incident in state.incidents.values()]

    stage.owned_incidents = owned_incidents

    async def apply(partition: int, key: str, step: Step) -> None:
        for event in grids.apply(partition, key, step, late=lambda e: e.late_s):
            await topics.incidents.send(key=key, value=event)

    @app.agent(topics.alarms, name="gridalert.incident")
    async def on_alarm(stream):
        async for event in stream.events():
            async with guard(event, "incident", topics.dead_letters):
                alarm: Alarm = event.value
                await apply(event.message.partition, alarm.place.partition_key,
                            lambda s: book.on_alarm(s, alarm, now()))

    @app.agent(commands, name="gridalert.command")
    async def on_command(stream):
        async for event in stream.events():
            async with guard(event, "command", topics.dead_letters):
                command: Command = event.value
                problem: list[str] = []

                def step(s):
                    new, out, refusal = book.on_command(s, command, now())
                    if refusal:
                        problem.append(refusal)
                    return new, out

                await apply(event.message.partition, command.partition_key, step)
                if problem:
                    raise Rejected(f"command {command.id} ({command.action} by {command.actor}): {problem[0]}")

    @app.agent(ticks, name="gridalert.clock")
    async def on_tick(stream):
        async for event in stream.events():
            async with guard(event, "clock", topics.dead_letters):
                partition, moment = event.message.partition, now()
                for key, step in grids.apply_due(partition, moment, lambda s: book.on_tick(s, moment),
                                                 late=lambda e: e.late_s):
                    await topics.incidents.send(key=key, value=step)
                await report(partition, moment)

    async def report(partition: int, moment) -> None:
        if time.monotonic() - last_audit.get(partition, 0.0) < AUDIT_EVERY_S:
            return
        last_audit[partition] = time.monotonic()
        timers = grids.partition(partition)
        overdue = [moment.timestamp() - due for due in timers.due.values() if due < moment.timestamp() - LATE_GRACE_S]
        await audit.send(key=str(partition), value=PartitionAudit(
            id=f"{settings.app_id}:{partition}", partition=partition, at=moment,
            open_incidents=sum(c[0] for c in timers.counts.values()),
            pending_steps=sum(c[1] for c in timers.counts.values()),
            overdue_steps=timers.late_steps + len(overdue),
            max_overdue_s=max([timers.max_late_s, *overdue])))

    @app.timer(interval=TICK_S, on_leader=True)
    async def clock() -> None:
        tick = Tick(at=now())
        for partition in range(settings.partitions):
            await ticks.send(value=tick, partition=partition)
