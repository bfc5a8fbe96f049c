"""detect: ``gridalert.located`` → ``gridalert.alarms`` when a detector fires (see ``detectors/``)."""

from __future__ import annotations

from gridalert.agents.boundary import guard, now
from gridalert.detectors import detect
from gridalert.streams.app import Stage


def register(stage: Stage) -> None:
    topics, policies = stage.topics, stage.config.policies

    @stage.app.agent(topics.located, name="gridalert.detect")
    async def detect_agent(stream):
        async for event in stream.events():
            async with guard(event, "detect", topics.dead_letters):
                alarm = detect(event.value, policies, now(), stage.devices)
                if alarm is not None:
                    await topics.alarms.send(key=alarm.place.partition_key, value=alarm)
