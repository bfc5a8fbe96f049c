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

# Per-topic settings at creation: the clock's ticks are worthless after a few minutes.
CONFIGS = {
    TICKS: {"retention.ms": str(60 * 60 * 1000)},
    AUDIT: {"retention.ms": str(7 * 24 * 60 * 60 * 1000)},
}
