"""The deadlines of an open incident, as the dashboard counts down to them.

- **accept by** (接单时限): a lead step that pages a tier (dispatched, repaged, escalated, reassigned,
  unsilenced, raised: ``incidents.dispatch.LEAD_KINDS``) gives that tier
  ``tiers.<tier>.accept_timeout_s`` to accept; the page's text says "accept by <step time +
  timeout>" (``make_order``). Only a ``dispatched`` incident has one: once accepted, resolved or
  silenced nobody is waiting.
- **dispose by** (按期处置时限): the alarm plus the class's ``policies.disposal_s``, the limit the
  on-time rate judges the first resolution by (``incidents.kpis.disposal_due``, one definition for
  both). Only an incident never resolved has one: after the first resolution it is on time or not.
- **a department's accept by**: each joint-dispatch department paged (``dept_dispatched``,
  ``dept_repaged``, ``dept_escalated``) has ``joint_dispatch.accept_timeout_s`` to accept, while
  it has not and the incident is open; a silence stops the clock until the next page.

All are computed from the projection's timeline: what the people paged were told, not the
worker's timers themselves (those live in the Faust table and may fire a little late).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Optional

from gridalert.incidents.dispatch import DEPT_KINDS, LEAD_KINDS
from gridalert.incidents.kpis import DONE, disposal_due
from gridalert.store import last_steps_of_kinds

SILENCED = "silenced"  # a silence drops the running accept deadlines until it ends (a new page follows)
RESOLVED = "resolved"


def disposal_limits(policies) -> dict[str, float]:
    """``{class: seconds}`` from ``policies.disposal_s``, keyed as incidents store their class."""
    return {getattr(klass, "value", klass): seconds for klass, seconds in policies.disposal_s.items()}


def accept_by(status: str, step, policies) -> Optional[datetime]:
    """When the tier paged by ``step`` must accept, for an incident in ``status``; None if nobody must."""
    if status != "dispatched" or step is None or step.kind not in LEAD_KINDS:
        return None
    tier = policies.tiers.get(step.tier)
    if tier is None:
        return None
    return step.at + timedelta(seconds=tier.accept_timeout_s)


def accept_deadlines(incidents: Iterable[tuple[str, str]], policies, *, session) -> dict[str, datetime]:
    """``{incident id: accept by}`` for the ``(id, status)`` pairs that have a deadline."""
    pairs = [(i, s) for i, s in incidents if s == "dispatched"]
    steps = last_steps_of_kinds([i for i, _ in pairs], (*LEAD_KINDS, SILENCED), session=session)
    found = {i: accept_by(s, steps.get(i), policies) for i, s in pairs}
    return {i: moment for i, moment in found.items() if moment is not None}


def dispose_by(status: str, opened_at: datetime, klass: str, policies, *,
               resolved_once: bool) -> Optional[datetime]:
    """When an incident must be resolved to count as on time; None once resolved (or no limit)."""
    if status in DONE or resolved_once:
        return None
    return disposal_due(opened_at, disposal_limits(policies).get(klass))


def dispose_deadlines(incidents: Iterable, policies, *, session) -> dict[str, datetime]:
    """``{incident id: dispose by}`` for the incident rows (id, status, opened_at, klass) that have one."""
    pending = [row for row in incidents if row.status not in DONE]
    resolved = last_steps_of_kinds([row.id for row in pending], (RESOLVED,), session=session)
    found = {row.id: dispose_by(row.status, row.opened_at, row.klass, policies, resolved_once=row.id in resolved)
             for row in pending}
    return {i: moment for i, moment in found.items() if moment is not None}


def department_accept_by(status: str, timeline: Iterable, departments: Iterable, policies) -> dict[str, datetime]:
    """``{department: accept by}`` for the joint-dispatch departments still to accept an open incident.

    ``timeline`` holds the incident's steps (kind, at, department, seq), ``departments`` its
    department rows (department, status).
    """
    if status in DONE:
        return {}
    steps = sorted(timeline, key=lambda step: step.seq)
    silenced = max((s.seq for s in steps if s.kind == SILENCED), default=-1)
    timeout = timedelta(seconds=policies.joint_dispatch.accept_timeout_s)
    found = {}
    for department in departments:
        if department.status != "dispatched":
            continue
        pages = [s for s in steps if s.kind in DEPT_KINDS and s.department == department.department]
        if pages and pages[-1].seq > silenced:
            found[department.department] = pages[-1].at + timeout
    return found
