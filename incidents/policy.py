"""Policy selection: where an alarm starts and which run card, if any, sends departments too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional
from zoneinfo import ZoneInfo

from gridalert.config.model import EventClass, Policies, RunCard
from gridalert.streams.records import TIERS, Alarm


@dataclass(frozen=True)
class Plan:
    start_tier: str
    run_card: Optional[RunCard]


def _higher(a: str, b: str) -> str:
    return a if TIERS.index(a) >= TIERS.index(b) else b


def matches(card: RunCard, alarm: Alarm, local_hhmm: str) -> bool:
    place = alarm.place
    return all((
        not card.event_types or alarm.event.event_type in card.event_types,
        not card.severities or alarm.severity in card.severities,
        not card.klasses or alarm.klass in {k.value for k in card.klasses},
        not card.building_types or alarm.building_type in card.building_types,
        not card.areas or bool({place.grid_id, place.village, place.township} & set(card.areas)),
        card.hours is None or card.hours.contains(local_hhmm),
    ))


def start_tier(policies: Policies, event_type: str, klass: str, severity: str = "") -> str:
    """The event type's starting tier, raised to its class's (upper-level, difficult) and its severity's."""
    start = policies.route(event_type).start_tier
    if severity in policies.severity_start_tier:
        start = _higher(start, policies.severity_start_tier[severity])
    if klass in EventClass._value2member_map_:
        klass_tier = policies.class_start_tier.get(EventClass(klass))
        if klass_tier:
            start = _higher(start, klass_tier)
    return start


def plan_for(alarm: Alarm, policies: Policies) -> Plan:
    """Start tier (see ``start_tier``); a matching run card adds departments and may raise it.

    Run cards are matched on the event's own time in the district's time zone, so a replay plans
    the same way as the first run.
    """
    start = start_tier(policies, alarm.event.event_type, alarm.klass, alarm.severity)
    local = alarm.event.time.astimezone(ZoneInfo(policies.timezone)).strftime("%H:%M")
    card = next((c for c in policies.run_cards if matches(c, alarm, local)), None)
    if card is not None:
        start = _higher(start, card.start_tier)
    return Plan(start_tier=start, run_card=card)
