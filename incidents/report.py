"""Plain-text views of the projection for the command line (``gridalert incidents``)."""

from __future__ import annotations

from typing import Optional
from zoneinfo import ZoneInfo

from gridalert.store import get_timeline, list_audit, list_departments, list_deliveries, list_incidents

LOCAL = ZoneInfo("Asia/Shanghai")


def _local(moment) -> str:
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def render_list(*, session, status: Optional[str] = None, limit: int = 50) -> str:
    rows = list_incidents(session=session, status=status, limit=limit)
    if not rows:
        return "no incidents" + (f" with status {status}" if status else "")
    lines = [f"{'incident':<24} {'opened (Beijing)':<19}  {'status':<10} {'tier':<8} {'grid':<16} title"]
    for row in rows:
        lines.append(f"{row.id:<24} {_local(row.opened_at):<19}  {row.status:<10} {row.tier:<8} "
                     f"{(row.grid_id or 'unassigned'):<16} {row.title}")
    return "\n".join(lines)


def render_incident(incident_id: str, *, session) -> str:
    timeline = get_timeline(incident_id, session=session)
    if not timeline:
        return f"no incident {incident_id}"
    lines = [f"incident {incident_id}", "timeline:"]
    for step in timeline:
        late = f" [fired {step.late_s:.1f} s late]" if step.late_s and step.late_s > 1 else ""
        lines.append(f"  {step.seq:>3}  {_local(step.at)}  {step.kind:<20} {step.status:<10} {step.tier:<8} "
                     f"{step.actor}: {step.detail}{late}")
    departments = list_departments(incident_id, session=session)
    if departments:
        lines.append("departments (joint dispatch):")
        lines += [f"  {d.department:<14} {d.status:<10} {d.tier:<8} {d.accepted_by or ''}" for d in departments]
    deliveries = list_deliveries(incident_id, session=session)
    lines.append("pages:" if deliveries else "pages: none yet")
    for page in deliveries:
        outcome = "delivered" if page.ok else f"FAILED ({page.error})"
        why = {"failover": ", failover", "retry": ", retried", "deputy": f", deputy for {page.deputy_for}",
               "stand_down": ", told it resolved by itself"}.get(page.cause or "", "")
        lines.append(f"  step {page.step}  {_local(page.at)}  {page.person_id} via {page.channel}: "
                     f"{outcome} (attempt {page.attempts}{why})")
    return "\n".join(lines)


def render_audit(*, session) -> str:
    rows = list_audit(session=session)
    if not rows:
        return "no timer audit yet (a worker reports every few seconds once it runs)"
    lines = [f"{'partition':>9}  {'reported (Beijing)':<19}  {'open':>5} {'pending':>8} {'late':>5} {'max late s':>10}"]
    for row in rows:
        lines.append(f"{row.partition:>9}  {_local(row.at):<19}  {row.open_incidents:>5} {row.pending_steps:>8} "
                     f"{row.overdue_steps:>5} {row.max_overdue_s:>10.1f}")
    lines.append("late: steps that fired more than 1 s after their deadline (e.g. after an outage), or are overdue now")
    return "\n".join(lines)
