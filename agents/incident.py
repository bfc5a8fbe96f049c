"""incident: ``gridalert.alarms`` → ``gridalert.incidents``; one grid's incidents live in its partition.

State (open incidents, recently seen event ids) is a Faust table keyed by grid, with a changelog
topic, so a restarted or rebalanced worker resumes with it.
"""

from __future__ import annotations

from gridalert.agents.boundary import guard, now
from gridalert.incidents.book import apply_alarm
from gridalert.incidents.routing import Responsibility
from gridalert.streams.app import Stage
from gridalert.streams.records import GridIncidents


def register(stage: Stage) -> None:
    topics, policies = stage.topics, stage.config.policies
    responsibility = Responsibility(stage.config.roster)
    state = stage.app.Table("incidents-by-grid", key_type=str, value_type=GridIncidents,
                            partitions=stage.settings.partitions)

    @stage.app.agent(topics.alarms, name="gridalert.incident")
    async def incident(stream):
        async for event in stream.events():
            async with guard(event, "incident", topics.dead_letters):
                alarm = event.value
                key = alarm.place.partition_key
                route = policies.route(alarm.event.event_type)
                assignment = responsibility.assign(alarm.place, route.start_tier)
                new_state, steps = apply_alarm(state.get(key), alarm, assignment=assignment, now=now())
                if steps:
                    state[key] = new_state
                for step in steps:
                    await topics.incidents.send(key=key, value=step)
