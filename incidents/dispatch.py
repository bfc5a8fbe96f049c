"""Dispatch stage core: a timeline step that pages someone in, an order for a tier's queue out.

The order names responders by id and carries the page text and the acceptance deadline; the
notifier turns it into pages, a department's own system may read the same queue. Deterministic:
a replayed step yields the same order, deadline included.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from gridalert.config.model import Policies
from gridalert.incidents.routing import Responsibility
from gridalert.streams.records import DispatchOrder, IncidentEvent

LOCAL_TIME = ZoneInfo("Asia/Shanghai")

LEAD_KINDS = {"dispatched": "", "repaged": "[再次 again] ", "escalated": "[升级 escalated] ",
              "reassigned": "[改派 reassigned] ", "unsilenced": "[静默结束 silence over] ",
              "raised": "[升级为报警 raised] "}
DEPT_KINDS = {"dept_dispatched": "", "dept_repaged": "[再次 again] ", "dept_escalated": "[升级 escalated] "}
LEADER_KINDS = {"joint_clock_breached": "[联合处置超时 joint response late] "}


def page_text(event: IncidentEvent, accept_by: datetime, accept_hint: str) -> str:
    local = event.opened_at.astimezone(LOCAL_TIME)
    deadline = accept_by.astimezone(LOCAL_TIME)
    return "\n".join([
        event.title,
        f"地点 Place: {event.place.label()}",
        f"坐标 Point: {event.lon:.5f}, {event.lat:.5f}",
        f"原因 Why: {event.explanation}",
        *([f"进展 Now: {event.detail}"] if event.kind not in ("dispatched", "dept_dispatched") else []),
        f"事件 Incident: {event.incident_id} (opened {local:%Y-%m-%d %H:%M:%S} Beijing time)",
        f"请于 {deadline:%H:%M:%S} 前接单 Please accept by {deadline:%H:%M:%S}: {accept_hint}",
    ])


def make_order(event: IncidentEvent, responsibility: Responsibility,
               policies: Policies) -> Optional[DispatchOrder]:
    """The order for a step that pages someone; None for every other kind of timeline step."""
    accept = f"gridalert command accept {event.incident_id} --by <your id>"
    if event.kind in LEAD_KINDS:
        prefix, tier = LEAD_KINDS[event.kind], event.tier
        # a reassignment, or a raised incident someone has accepted, pages that person alone
        people = [event.assignee] if event.kind in ("reassigned", "raised") and event.assignee else \
            [p.id for p in responsibility.at(tier, event.place, event.at)]
        timeout = policies.tiers[tier].accept_timeout_s
        department = None
    elif event.kind in DEPT_KINDS:
        prefix, tier, department = DEPT_KINDS[event.kind], event.dept_tier or "district", event.department
        people = [p.id for p in responsibility.department(event.place, department, start_tier=tier, when=event.at).people]
        timeout = policies.joint_dispatch.accept_timeout_s
        prefix = f"{prefix}[联合处置 joint dispatch: {department}] "
        accept += f" --department {department}"
    elif event.kind in LEADER_KINDS:
        prefix, tier, department = LEADER_KINDS[event.kind], "district", None
        people = [p.id for p in responsibility.leaders(event.place, event.at)]
        timeout = policies.tiers["district"].accept_timeout_s
    else:
        return None
    accept_by = event.at + timedelta(seconds=timeout)
    return DispatchOrder(
        id=f"{event.incident_id}:{event.seq}",
        incident_id=event.incident_id,
        step=event.seq,
        tier=tier,
        title=prefix + event.title,
        body=page_text(event, accept_by, accept),
        place=event.place,
        responders=people,
        issued_at=event.at,
        accept_by=accept_by,
        department=department,
    )
