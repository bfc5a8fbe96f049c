"""Names of every topic, in one place (who writes and who reads: docs/architecture.md)."""

from __future__ import annotations

from gridalert.streams.records import TIERS

EVENTS = "gridalert.events"
DEAD_LETTERS = "gridalert.events.dlq"
VALIDATED = "gridalert.validated"
LOCATED = "gridalert.located"
ALARMS = "gridalert.alarms"
INCIDENTS = "gridalert.incidents"
DELIVERIES = "gridalert.deliveries"
COMMANDS = "gridalert.commands"
TICKS = "gridalert.ticks"
AUDIT = "gridalert.audit"
DISPATCH = {tier: f"gridalert.dispatch.{tier}" for tier in TIERS}

ALL = (EVENTS, DEAD_LETTERS, VALIDATED, LOCATED, ALARMS, INCIDENTS, DELIVERIES, COMMANDS, TICKS, AUDIT,
       *DISPATCH.values())

# The largest event, value, key and headers (Kafka's usual default, set on the topic so it is ours).
# The validate stage dead-letters anything over its own limit (cloudevents.MAX_EVENT_BYTES) but
# keeps the original in the dead letter, escaped as JSON text: a control character takes six bytes
# there, so the dead-letter topic takes six times the largest event and more. Every stage's
# producer may send that much (streams/app.py).
EVENT_MAX_MESSAGE_BYTES = 1024 * 1024
DEAD_LETTER_MAX_MESSAGE_BYTES = 8 * 1024 * 1024

# Per-topic settings at creation: the clock's ticks are worthless after a few minutes.
CONFIGS = {
    EVENTS: {"max.message.bytes": str(EVENT_MAX_MESSAGE_BYTES)},
    DEAD_LETTERS: {"max.message.bytes": str(DEAD_LETTER_MAX_MESSAGE_BYTES)},
    TICKS: {"retention.ms": str(60 * 60 * 1000)},
    AUDIT: {"retention.ms": str(7 * 24 * 60 * 60 * 1000)},
}
