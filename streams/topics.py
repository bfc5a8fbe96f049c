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
DISPATCH = {tier: f"gridalert.dispatch.{tier}" for tier in TIERS}

ALL = (EVENTS, DEAD_LETTERS, VALIDATED, LOCATED, ALARMS, INCIDENTS, DELIVERIES, *DISPATCH.values())
