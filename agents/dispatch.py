"""dispatch: ``gridalert.incidents`` (``dispatched`` steps) → ``gridalert.dispatch.<tier>`` queues."""

from __future__ import annotations

from gridalert.agents.boundary import guard
from gridalert.incidents.dispatch import make_order, residents_of
from gridalert.incidents.routing import Responsibility
from gridalert.streams.app import Stage


def register(stage: Stage) -> None:
    topics, policies = stage.topics, stage.config.policies
    responsibility = Responsibility(stage.config.roster, stage.config.schedules, stage.config.units)
    residents = residents_of(stage.config.devices)

    @stage.app.agent(topics.incidents, name="gridalert.dispatch")
    async def dispatch(stream):
        async for event in stream.events():
            async with guard(event, "dispatch", topics.dead_letters):
                order = make_order(event.value, responsibility, policies, residents)
                if order is not None:
                    await topics.dispatch[order.tier].send(key=order.place.partition_key, value=order)
