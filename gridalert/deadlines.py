"""The accept deadline (接单时限) of an open incident, as its last page stated it.

A lead step that pages a tier (dispatched, repaged, escalated, reassigned, unsilenced, raised:
``incidents.dispatch.LEAD_KINDS``) gives that tier ``tiers.<tier>.accept_timeout_s`` to accept;
the page's text says "accept by <step time + timeout>" (``make_order``). The dashboard shows the
same moment, computed from the projection's timeline: it is what the people paged were told, not
the worker's timer itself (that lives in the Faust table and may fire a little late).

Only a ``dispatched`` incident has one: once accepted, resolved or silenced nobody is waiting.
Joint-dispatch departments have their own clocks and are not shown here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Optional

from gridalert.incidents.dispatch import LEAD_KINDS
from gridalert.store import last_steps_of_kinds

SILENCED = "silenced"  # a silence drops the lead deadline until it ends ("unsilenced" pages again)


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
