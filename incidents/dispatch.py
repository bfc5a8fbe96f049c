"""Dispatch stage core: a timeline step that pages someone in, an order for a tier's queue out.

The order names responders by id and carries the page text (``notifiers/messages.py``: templates
per event type and tier, in the district's language, personal data masked) and the acceptance
deadline; the notifier turns it into pages, adding each person's signed accept link; a
department's own system may read the same queue. Deterministic:
a replayed step yields the same order, deadline included.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Mapping, Optional
from zoneinfo import ZoneInfo

from gridalert.config.model import Policies
from gridalert.incidents.book import SYSTEM
from gridalert.incidents.routing import Responsibility
from gridalert.notifiers.messages import PageFacts, page_body, page_title, stand_down_body
from gridalert.notifiers.privacy import HAN_NAME
from gridalert.streams.records import DispatchOrder, IncidentEvent

LEAD_KINDS = ("dispatched", "repaged", "escalated", "reassigned", "unsilenced", "raised")
DEPT_KINDS = ("dept_dispatched", "dept_repaged", "dept_escalated")
LEADER_KINDS = ("joint_clock_breached",)


def residents_of(devices: Mapping[str, Any]) -> tuple[str, ...]:
    """The residents' names registered on devices (devices.yaml ``resident``), for masking; ids
    such as ``r-0107`` are no names and stay readable in pages."""
    names = {getattr(d, "resident", None) for d in devices.values()}
    return tuple(sorted(n for n in names if n and HAN_NAME.match(n)))


def page_facts(event: IncidentEvent, accept_by: datetime, department: Optional[str] = None,
               residents: tuple[str, ...] = ()) -> PageFacts:
    return PageFacts(kind=event.kind, event_type=event.event_type, tier=event.tier, title=event.title,
                     explanation=event.explanation, detail=event.detail, place=event.place, lon=event.lon,
                     lat=event.lat, opened_at=event.opened_at, incident_id=event.incident_id, accept_by=accept_by,
                     department=department, residents=residents)


def page_text(event: IncidentEvent, accept_by: datetime, policies: Policies,
              department: Optional[str] = None, residents: tuple[str, ...] = ()) -> tuple[str, str]:
    """Title and body of the page for a step, in the district's language (``notifiers/messages.py``).

    The body has no accept link: the notify stage adds each person's own. ``residents`` are the
    names ``devices.yaml`` registers, masked wherever the text names them (王建春家无用水).
    """
    facts = page_facts(event, accept_by, department, residents)
    return (page_title(facts, policies.language),
            page_body(facts, policies.language, ZoneInfo(policies.timezone)))


def stand_down_text(event: IncidentEvent, policies: Policies,
                    residents: tuple[str, ...] = ()) -> Optional[tuple[str, str]]:
    """Title and body telling those paged that the incident resolved by itself (``[已恢复] …``);
    None for every other step (a person resolving it knows, and tells others themselves)."""
    if event.kind != "resolved" or event.actor != SYSTEM:
        return None
    facts = page_facts(event, event.at, residents=residents)
    facts = replace(facts, kind="stood_down")
    return page_title(facts, policies.language), stand_down_body(facts, policies.language)


def make_order(event: IncidentEvent, responsibility: Responsibility,
               policies: Policies, residents: tuple[str, ...] = ()) -> Optional[DispatchOrder]:
    """The order for a step that pages someone; None for every other kind of timeline step."""
    if event.kind in LEAD_KINDS:
        tier = event.tier
        # a reassignment, or a raised incident someone has accepted, pages that person alone
        people = [event.assignee] if event.kind in ("reassigned", "raised") and event.assignee else \
            [p.id for p in responsibility.at(tier, event.place, event.at)]
        timeout = policies.tiers[tier].accept_timeout_s
        department = None
    elif event.kind in DEPT_KINDS:
        tier, department = event.dept_tier or "district", event.department
        people = [p.id for p in responsibility.department(event.place, department, start_tier=tier,
                                                          when=event.at).people]
        timeout = policies.joint_dispatch.accept_timeout_s
    elif event.kind in LEADER_KINDS:
        tier, department = "district", None
        people = [p.id for p in responsibility.leaders(event.place, event.at)]
        timeout = policies.tiers["district"].accept_timeout_s
    else:
        return None
    accept_by = event.at + timedelta(seconds=timeout)
    title, body = page_text(event, accept_by, policies, department, residents)
    return DispatchOrder(
        id=f"{event.incident_id}:{event.seq}",
        incident_id=event.incident_id,
        step=event.seq,
        tier=tier,
        title=title,
        body=body,
        place=event.place,
        responders=people,
        issued_at=event.at,
        accept_by=accept_by,
        department=department,
    )
