"""validate: ``gridalert.events`` (CloudEvents bytes) → ``gridalert.validated`` or the DLQ."""

from __future__ import annotations

from gridalert.agents.boundary import guard
from gridalert.streams.app import Stage
from gridalert.streams.cloudevents import parse_event


def register(stage: Stage) -> None:
    topics = stage.topics

    @stage.app.agent(topics.events, name="gridalert.validate")
    async def validate(stream):
        async for event in stream.events():
            async with guard(event, "validate", topics.dead_letters):
                valid = parse_event(event.message.value, event.message.headers, devices=stage.devices)
                # Keep the gateway's key (usually the device) so its readings stay in order.
                raw_key = event.message.key
                key = raw_key.decode("utf-8", "replace") if raw_key else (valid.device or valid.id)
                await topics.validated.send(key=key, value=valid)
