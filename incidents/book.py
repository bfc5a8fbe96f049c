"""Incident stage core: alarms, commands and the clock in; timeline events out (事件, one grid).

Three entry points, all pure (no Faust, no I/O, ``now`` passed in):

- ``on_alarm``: open an incident and dispatch it (plus departments when a run card matches), or
  note a repeat, or record an alarm inhibited by its gateway's incident;
- ``on_command``: apply a person's command through the lifecycle table, or refuse it with a reason;
- ``on_tick``: fire the deadlines that have come due: page again, climb a tier, breach the
  joint-response clock, end a silence.

Durable timers: every deadline is data in the grid's state, stamped with the fencing token of the
incident (or department) when it was set. Acceptance, resolution and silences rotate the token,
so a deadline set before them never fires. Every step's id is ``<incident>:<seq>``; replays of
alarms and commands are recognised by id and change nothing.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime, timedelta
from typing import Iterable, Optional

from gridalert.config.model import Policies
from gridalert.incidents.lifecycle import OPEN, refusal
from gridalert.incidents.policy import plan_for, start_tier
from gridalert.incidents.routing import Responsibility, tier_above
from gridalert.streams.records import (TIERS, Alarm, Command, Deadline, DepartmentState, GridIncidents,
                                       IncidentEvent, IncidentState, Silence)

SEEN_LIMIT = 2048  # alarm and command ids remembered per grid; far more than a grid sees between replays
SEVERITY_ORDER = ("low", "medium", "high", "critical")
CLOSED_KEPT = timedelta(days=7)  # closed incidents stay in state this long: rating, reopening
SYSTEM = "gridalert"

REPAGE, CLIMB, DEPT_REPAGE, DEPT_CLIMB, JOINT_CLOCK, SILENCE_END = (
    "repage", "climb", "dept_repage", "dept_climb", "joint_clock", "silence_end")


def incident_id_for(alarm: Alarm) -> str:
    digest = hashlib.sha256(f"{alarm.dedup_key}|{alarm.id}".encode()).hexdigest()[:10]
    return f"INC-{alarm.event.time.strftime('%Y%m%d')}-{digest}"


def reply_to(alarm: Alarm) -> Optional[str]:
    """The contact of the citizen who reported it, to tell them the outcome."""
    contact = alarm.event.data.get("reporter_contact") if alarm.event.event_type == "citizen.report" else None
    return str(contact).strip() or None if contact else None


def outranks(severity: str, than: str) -> bool:
    """Is ``severity`` graver than ``than``? Unknown names rank with neither."""
    if severity not in SEVERITY_ORDER or than not in SEVERITY_ORDER:
        return False
    return SEVERITY_ORDER.index(severity) > SEVERITY_ORDER.index(than)


def empty_state() -> GridIncidents:
    return GridIncidents(incidents={}, open_keys={}, silences=[], seen=[])


def fresh(state: Optional[GridIncidents]) -> GridIncidents:
    """A new grid state that shares its incidents with ``state``, which is never changed: the grid's
    own fields are only ever replaced, and an incident is copied (``mine``) before it is changed.
    So a step on a grid with a hundred incidents copies the one it touches, not all of them."""
    if state is None:
        return empty_state()
    return GridIncidents(incidents=dict(state.incidents), open_keys=state.open_keys, silences=state.silences,
                         seen=state.seen)


def mine(state: GridIncidents, incident_id: str) -> IncidentState:
    """The incident, copied into ``state`` (made by ``fresh``) so that it may be changed."""
    inc = copy.deepcopy(state.incidents[incident_id])
    state.incidents[incident_id] = inc
    return inc


class Book:
    """The rules of one district (policies and roster) applied to one grid's incidents."""

    def __init__(self, policies: Policies, responsibility: Responsibility):
        self.policies = policies
        self.who = responsibility

    # --- building blocks -------------------------------------------------------------------

    def _emit(self, inc: IncidentState, kind: str, now: datetime, out: list[IncidentEvent], *,
              actor: str = SYSTEM, detail: str = "", **changes) -> IncidentEvent:
        last = inc.last
        per_step = {"department": None, "dept_tier": None, "command_id": None, "late_s": None}
        event = last.derive(id=f"{last.incident_id}:{last.seq + 1}", seq=last.seq + 1, kind=kind, at=now,
                            actor=actor, detail=detail or kind.replace("_", " "), **{**per_step, **changes})
        inc.last = event
        out.append(event)
        return event

    def _lead_deadline(self, inc: IncidentState, now: datetime) -> Deadline:
        tier = inc.last.tier
        policy = self.policies.tiers[tier]
        action = REPAGE if inc.repages < policy.repages or tier_above(tier) is None else CLIMB
        return Deadline(due=now + timedelta(seconds=policy.accept_timeout_s), action=action, token=inc.token)

    def _set_lead_deadline(self, inc: IncidentState, now: datetime) -> None:
        inc.deadlines = [d for d in inc.deadlines if d.department or d.action == JOINT_CLOCK]
        inc.deadlines.append(self._lead_deadline(inc, now))

    def _dept_deadline(self, inc: IncidentState, dept: DepartmentState, now: datetime) -> Deadline:
        joint = self.policies.joint_dispatch
        action = DEPT_REPAGE if dept.repages < joint.repages or tier_above(dept.tier) is None else DEPT_CLIMB
        return Deadline(due=now + timedelta(seconds=joint.accept_timeout_s), action=action, token=dept.token,
                        department=dept.department)

    def _drop(self, inc: IncidentState, *, lead: bool = False, department: Optional[str] = None,
              everything: bool = False) -> None:
        def keep(d: Deadline) -> bool:
            if everything:
                return False
            if lead and not d.department and d.action != JOINT_CLOCK:
                return False
            return not (department and d.department == department)
        inc.deadlines = [d for d in inc.deadlines if keep(d)]

    def _dispatch(self, inc: IncidentState, tier: str, now: datetime, out, *, kind: str = "dispatched",
                  detail: str, actor: str = SYSTEM, assignee: Optional[str] = None, **changes) -> None:
        inc.token += 1
        inc.repages = 0
        self._emit(inc, kind, now, out, actor=actor, detail=detail, status="dispatched", tier=tier,
                   assignee=assignee, **changes)
        self._set_lead_deadline(inc, now)

    def _dispatch_departments(self, inc: IncidentState, departments: Iterable[str], now: datetime, out,
                              card_name: str) -> None:
        for name in departments:
            found = self.who.department(inc.last.place, name, when=now)
            dept = DepartmentState(department=name, status="dispatched", tier=found.tier, token=1)
            inc.departments = {**inc.departments, name: dept}
            self._emit(inc, "dept_dispatched", now, out, department=name, dept_tier=found.tier,
                       detail=f"run card '{card_name}': {found.note}")
            inc.deadlines.append(self._dept_deadline(inc, dept, now))
        clock = timedelta(seconds=self.policies.joint_dispatch.clock_s)
        inc.deadlines.append(Deadline(due=inc.last.opened_at + clock, action=JOINT_CLOCK, token=0))

    def _close(self, state: GridIncidents, inc: IncidentState) -> None:
        """Stop every timer and free the dedup key: the next alarm for the same thing is new."""
        inc.token += 1
        self._drop(inc, everything=True)
        if state.open_keys.get(inc.last.dedup_key) == inc.last.incident_id:
            state.open_keys = {k: v for k, v in state.open_keys.items() if k != inc.last.dedup_key}

    @staticmethod
    def _remember(state: GridIncidents, message_id: str) -> None:
        state.seen = (state.seen + [message_id])[-SEEN_LIMIT:]

    def _prune(self, state: GridIncidents, now: datetime) -> None:
        state.incidents = {i: inc for i, inc in state.incidents.items()
                           if inc.last.status in OPEN or inc.last.status in ("resolved", "verified")
                           or now - inc.last.at < CLOSED_KEPT}
        state.silences = [s for s in state.silences if s.until > now]

    # --- alarms ----------------------------------------------------------------------------

    def _silence_for(self, state: GridIncidents, alarm: Alarm, now: datetime) -> Optional[Silence]:
        targets = {("grid", alarm.place.partition_key), ("device", alarm.event.device or "")}
        return next((s for s in state.silences if s.until > now and (s.scope, s.target) in targets), None)

    def on_alarm(self, state: Optional[GridIncidents], alarm: Alarm,
                 now: datetime) -> tuple[GridIncidents, list[IncidentEvent]]:
        """Open an incident for a new alarm, add a repeat to the open one, or record an inhibited alarm."""
        state = fresh(state)
        if alarm.id in state.seen:
            return state, []
        self._remember(state, alarm.id)
        self._prune(state, now)
        out: list[IncidentEvent] = []
        current_id = state.open_keys.get(alarm.dedup_key)
        if alarm.clears:
            if current_id is not None:
                inc = mine(state, current_id)
                self._close(state, inc)
                self._emit(inc, "resolved", now, out, status="resolved",
                           detail=f"resolved by itself: {alarm.explanation}")
            return state, out
        if current_id is not None:
            inc = mine(state, current_id)
            if outranks(alarm.severity, inc.last.severity):
                self._raise(inc, alarm, now, out)
            else:
                self._emit(inc, "alarm_repeated", now, out, alarm_count=inc.last.alarm_count + 1,
                           detail=f"repeated by event {alarm.event.id}: {alarm.explanation}")
            return state, out
        gateway_incident = next((inc for inc in state.incidents.values()
                                 if alarm.gateway and inc.inhibits_gateway == alarm.gateway
                                 and inc.last.status in OPEN), None)
        if gateway_incident is not None:
            gateway_incident = mine(state, gateway_incident.last.incident_id)
            self._emit(gateway_incident, "inhibited", now, out,
                       detail=f"{alarm.title} ({alarm.event.id}) not paged: its gateway {alarm.gateway} "
                              f"is down, see this incident; why: {alarm.explanation}")
            return state, out
        self._open(state, alarm, now, out)
        return state, out

    def _raise(self, inc: IncidentState, alarm: Alarm, now: datetime, out: list[IncidentEvent]) -> None:
        """A graver alarm for an open incident (a warning became an alarm): raise its severity, and
        dispatch it afresh when that severity starts at a higher tier or brings in a run card."""
        self._emit(inc, "raised", now, out, alarm_count=inc.last.alarm_count + 1, severity=alarm.severity,
                   klass=alarm.klass, title=alarm.title, explanation=alarm.explanation,
                   detail=f"raised to {alarm.severity} by event {alarm.event.id}: {alarm.explanation}")
        if inc.last.status not in OPEN or inc.silenced_until is not None and inc.silenced_until > now:
            return
        plan = plan_for(alarm, self.policies)
        if TIERS.index(plan.start_tier) > TIERS.index(inc.last.tier) and inc.last.status in ("new", "dispatched"):
            assignment = self.who.assign(alarm.place, plan.start_tier, now)
            self._dispatch(inc, assignment.tier, now, out, kind="escalated",
                           detail=f"severity {alarm.severity} starts at {plan.start_tier}: {assignment.note}")
        if plan.run_card is not None:
            missing = [d for d in plan.run_card.departments if d not in inc.departments]
            if missing:
                self._dispatch_departments(inc, missing, now, out, plan.run_card.name)

    def _open(self, state: GridIncidents, alarm: Alarm, now: datetime, out: list[IncidentEvent]) -> None:
        incident_id = incident_id_for(alarm)
        plan = plan_for(alarm, self.policies)
        first = IncidentEvent(
            id=f"{incident_id}:1", incident_id=incident_id, seq=1, kind="opened", status="new",
            tier=plan.start_tier, at=now, actor=SYSTEM, detail=alarm.explanation,
            event_type=alarm.event.event_type, title=alarm.title, severity=alarm.severity, klass=alarm.klass,
            dedup_key=alarm.dedup_key, place=alarm.place, lon=alarm.event.lon, lat=alarm.event.lat,
            opened_at=now, source_event_id=alarm.event.id, explanation=alarm.explanation,
            reply_to=reply_to(alarm))
        inc = IncidentState(last=first, token=1, repages=0, deadlines=[], departments={},
                            inhibits_gateway=alarm.inhibits_gateway)
        out.append(first)
        state.incidents = {**state.incidents, incident_id: inc}
        state.open_keys = {**state.open_keys, alarm.dedup_key: incident_id}
        silence = self._silence_for(state, alarm, now)
        if silence is not None:
            inc.silenced_until = silence.until
            self._emit(inc, "silenced", now, out, actor=silence.actor,
                       detail=f"not paged: {silence.scope} {silence.target} silenced until "
                              f"{silence.until.isoformat()} ({silence.reason or 'maintenance'}); recorded only")
            inc.deadlines = [Deadline(due=silence.until, action=SILENCE_END, token=inc.token)]
            return
        assignment = self.who.assign(alarm.place, plan.start_tier, now)
        self._dispatch(inc, assignment.tier, now, out, detail=assignment.note)
        if plan.run_card is not None:
            self._dispatch_departments(inc, plan.run_card.departments, now, out, plan.run_card.name)

    # --- commands --------------------------------------------------------------------------

    def on_command(self, state: Optional[GridIncidents], command: Command,
                   now: datetime) -> tuple[GridIncidents, list[IncidentEvent], Optional[str]]:
        """Apply one command. Returns the new state, the timeline events, and a reason when the
        command has no incident to attach a refusal to (the caller dead-letters it)."""
        state = fresh(state)
        if command.id in state.seen:
            return state, [], None
        self._remember(state, command.id)
        self._prune(state, now)
        if command.action == "silence" and command.incident_id is None:
            return self._silence_scope(state, command)
        if (command.incident_id or "") not in state.incidents:
            return state, [], f"no incident {command.incident_id} in this grid's state (closed over {CLOSED_KEPT.days} days ago, or never opened here)"
        inc = mine(state, command.incident_id)
        out: list[IncidentEvent] = []
        common = {"actor": command.actor, "command_id": command.id}
        problem = refusal(command.action, inc.last.status, reason=command.reason, score=command.score,
                          rated=inc.last.rating is not None, department=command.department)
        if problem is None:
            problem = getattr(self, f"_cmd_{command.action}")(state, inc, command, now, out, common)
        if problem is not None:
            self._emit(inc, "command_refused", now, out, detail=f"{command.action} refused: {problem}", **common)
        return state, out, None

    def _silence_scope(self, state: GridIncidents, command: Command):
        if command.scope not in ("grid", "device") or not command.target or command.until is None:
            return state, [], "a silence needs scope grid or device, a target and an end time"
        silence = Silence(id=command.id, scope=command.scope, target=command.target, until=command.until,
                          actor=command.actor, reason=command.reason)
        state.silences = state.silences + [silence]
        return state, [], None

    def _cmd_accept(self, state, inc, command, now, out, common) -> Optional[str]:
        if command.department:
            dept = inc.departments.get(command.department)
            if dept is None:
                return f"the {command.department} department was not dispatched to this incident"
            if dept.status != "dispatched":
                return f"the {command.department} department has {dept.status} already"
            inc.departments = {**inc.departments, dept.department: dept.derive(
                status="accepted", accepted_by=command.actor, token=dept.token + 1)}
            self._drop(inc, department=dept.department)
            self._emit(inc, "dept_accepted", now, out, department=dept.department,
                       detail=f"{command.department} accepted by {self._who(command.actor)}", **common)
            if all(d.status == "accepted" for d in inc.departments.values()):
                inc.deadlines = [d for d in inc.deadlines if d.action != JOINT_CLOCK]
            return None
        inc.token += 1
        self._drop(inc, lead=True)
        self._emit(inc, "accepted", now, out, status="accepted", assignee=command.actor,
                   detail=f"accepted by {self._who(command.actor)}", **common)
        return None

    def _cmd_on_scene(self, state, inc, command, now, out, common) -> Optional[str]:
        self._emit(inc, "on_scene", now, out, status="on_scene", detail=f"{self._who(command.actor)} on scene",
                   **common)
        return None

    def _cmd_resolve(self, state, inc, command, now, out, common) -> Optional[str]:
        self._close(state, inc)
        self._emit(inc, "resolved", now, out, status="resolved", detail=command.comment or command.reason or "",
                   **common)
        return None

    def _cmd_verify(self, state, inc, command, now, out, common) -> Optional[str]:
        self._emit(inc, "verified", now, out, status="verified", detail=command.comment or "", **common)
        return None

    def _cmd_close(self, state, inc, command, now, out, common) -> Optional[str]:
        self._close(state, inc)  # also from resolved/verified, where the key was freed already
        self._emit(inc, "closed", now, out, status="closed", close_reason=command.reason,
                   detail=f"closed: {command.reason}" + (f" — {command.comment}" if command.comment else ""), **common)
        return None

    def _cmd_return(self, state, inc, command, now, out, common) -> Optional[str]:
        upper = tier_above(inc.last.tier)
        if upper is None:
            return "the district centre is the top tier: reassign or close it instead"
        self._emit(inc, "returned", now, out, status="returned", detail=f"returned (退单): {command.reason}", **common)
        assignment = self.who.assign(inc.last.place, upper, now)
        self._dispatch(inc, assignment.tier, now, out, detail=f"re-routed after return: {assignment.note}", **common)
        return None

    def _cmd_escalate(self, state, inc, command, now, out, common) -> Optional[str]:
        upper = tier_above(inc.last.tier)
        if upper is None:
            return "already at the district centre, the top tier"
        assignment = self.who.assign(inc.last.place, upper, now)
        self._dispatch(inc, assignment.tier, now, out, kind="escalated",
                       detail=f"escalated by {self._who(command.actor)}: {assignment.note}", **common)
        return None

    def _cmd_reassign(self, state, inc, command, now, out, common) -> Optional[str]:
        if command.to_person:
            person = self.who.person(command.to_person)
            if person is None:
                return f"{command.to_person} is not on the roster"
            self._dispatch(inc, self.who.tier_of(person), now, out, kind="reassigned", assignee=person.id,
                           detail=f"reassigned to {person.name} ({person.role.value}) by {self._who(command.actor)}",
                           **common)
            return None
        if command.to_tier not in self.policies.tiers:
            return "reassign needs a person (--to-person) or a tier (--to-tier)"
        people = self.who.at(command.to_tier, inc.last.place, now)
        if not people:
            return f"nobody on the roster at the {command.to_tier} tier for this place"
        self._dispatch(inc, command.to_tier, now, out, kind="reassigned",
                       detail=f"reassigned to the {command.to_tier} tier by {self._who(command.actor)}", **common)
        return None

    def _cmd_reopen(self, state, inc, command, now, out, common) -> Optional[str]:
        other = state.open_keys.get(inc.last.dedup_key)
        if other and other != inc.last.incident_id:
            return f"incident {other} is open for the same thing; add to that one"
        state.open_keys = {**state.open_keys, inc.last.dedup_key: inc.last.incident_id}
        self._emit(inc, "reopened", now, out, status="reopened", close_reason=None,
                   detail=f"reopened: {command.reason or ''}".rstrip(": "), **common)
        start = start_tier(self.policies, inc.last.event_type, inc.last.klass, inc.last.severity)
        assignment = self.who.assign(inc.last.place, start, now)
        self._dispatch(inc, assignment.tier, now, out, detail=assignment.note, **common)
        return None

    def _cmd_rate(self, state, inc, command, now, out, common) -> Optional[str]:
        self._emit(inc, "rated", now, out, rating=command.score, rating_comment=command.comment,
                   detail=f"rated {command.score}/5" + (f": {command.comment}" if command.comment else ""), **common)
        return None

    def _cmd_silence(self, state, inc, command, now, out, common) -> Optional[str]:
        if command.until is None or command.until <= now:
            return "a silence needs an end time in the future"
        inc.token += 1
        inc.silenced_until = command.until
        inc.departments = {k: d.derive(token=d.token + 1) for k, d in inc.departments.items()}
        inc.deadlines = [Deadline(due=command.until, action=SILENCE_END, token=inc.token)]
        self._emit(inc, "silenced", now, out, detail=f"silenced until {command.until.isoformat()}: "
                                                     f"{command.reason or 'no reason given'}", **common)
        return None

    def _who(self, person_id: str) -> str:
        person = self.who.person(person_id)
        return f"{person.name} ({person_id})" if person else person_id

    # --- the clock -------------------------------------------------------------------------

    def on_tick(self, state: Optional[GridIncidents],
                now: datetime) -> tuple[GridIncidents, list[IncidentEvent]]:
        """Fire every deadline that is due and still fenced by its token."""
        state = fresh(state)
        out: list[IncidentEvent] = []
        for incident_id in [i for i, inc in state.incidents.items() if any(d.due <= now for d in inc.deadlines)]:
            inc = mine(state, incident_id)
            for deadline in sorted((d for d in inc.deadlines if d.due <= now), key=lambda d: d.due):
                if deadline in inc.deadlines:  # an earlier step this tick may have replaced it
                    inc.deadlines = [d for d in inc.deadlines if d is not deadline]
                    self._fire(inc, deadline, now, out)
        self._prune(state, now)
        return state, out

    def _fire(self, inc: IncidentState, deadline: Deadline, now: datetime, out: list[IncidentEvent]) -> None:
        late = max(0.0, (now - deadline.due).total_seconds())
        last = inc.last
        if deadline.action in (REPAGE, CLIMB, SILENCE_END):
            if deadline.token != inc.token:
                return  # fenced off: accepted, resolved or silenced since
            if deadline.action == SILENCE_END:
                inc.silenced_until = None
                self._resume_after_silence(inc, now, out, late)
                return
            timeout = self.policies.tiers[last.tier].accept_timeout_s
            upper = tier_above(last.tier)
            if deadline.action == REPAGE or upper is None:
                inc.repages += 1
                self._emit(inc, "repaged", now, out, late_s=late,
                           detail=f"not accepted within {timeout:.0f} s at the {last.tier} tier; paging again "
                                  f"({inc.repages})")
                self._set_lead_deadline(inc, now)
            else:
                assignment = self.who.assign(last.place, upper, now)
                self._dispatch(inc, assignment.tier, now, out, kind="escalated", late_s=late,
                               detail=f"not accepted within {timeout:.0f} s at the {last.tier} tier "
                                      f"after {inc.repages} repage(s); {assignment.note}")
            return
        if deadline.action in (DEPT_REPAGE, DEPT_CLIMB):
            dept = inc.departments.get(deadline.department or "")
            if dept is None or dept.token != deadline.token or dept.status != "dispatched":
                return
            timeout = self.policies.joint_dispatch.accept_timeout_s
            upper = tier_above(dept.tier)
            if deadline.action == DEPT_REPAGE or upper is None:
                dept = dept.derive(repages=dept.repages + 1)
                kind, detail = "dept_repaged", f"{dept.department} did not accept within {timeout:.0f} s; paging again"
            else:
                found = self.who.department(last.place, dept.department, start_tier=upper, when=now)
                dept = dept.derive(tier=found.tier, repages=0, token=dept.token + 1)
                kind, detail = "dept_escalated", f"{dept.department} did not accept within {timeout:.0f} s; {found.note}"
            inc.departments = {**inc.departments, dept.department: dept}
            self._emit(inc, kind, now, out, department=dept.department, dept_tier=dept.tier, late_s=late,
                       detail=detail)
            inc.deadlines.append(self._dept_deadline(inc, dept, now))
            return
        if deadline.action == JOINT_CLOCK:
            waiting = sorted(d.department for d in inc.departments.values() if d.status != "accepted")
            if waiting and last.status in OPEN:
                clock = self.policies.joint_dispatch.clock_s
                self._emit(inc, "joint_clock_breached", now, out, late_s=late,
                           detail=f"joint response not complete {clock:.0f} s after the alarm: waiting for "
                                  f"{', '.join(waiting)}; paging the district leader on duty")

    def _resume_after_silence(self, inc: IncidentState, now: datetime, out, late: float) -> None:
        if inc.last.status == "new":
            start = start_tier(self.policies, inc.last.event_type, inc.last.klass, inc.last.severity)
            assignment = self.who.assign(inc.last.place, start, now)
            self._dispatch(inc, assignment.tier, now, out, late_s=late,
                           detail=f"silence ended, still open; {assignment.note}")
            return
        self._dispatch(inc, inc.last.tier, now, out, kind="unsilenced", late_s=late,
                       detail="silence ended, still open; paging again", assignee=inc.last.assignee)
        for dept in inc.departments.values():
            if dept.status == "dispatched":
                self._emit(inc, "dept_repaged", now, out, department=dept.department, dept_tier=dept.tier,
                           detail=f"silence ended; paging the {dept.department} department again")
                inc.deadlines.append(self._dept_deadline(inc, dept, now))

    # --- reading the state -----------------------------------------------------------------

    @staticmethod
    def next_due(state: Optional[GridIncidents]) -> Optional[datetime]:
        if state is None:
            return None
        dues = [d.due for inc in state.incidents.values() for d in inc.deadlines]
        return min(dues) if dues else None

    @staticmethod
    def counts(state: Optional[GridIncidents]) -> tuple[int, int]:
        """(open incidents, pending deadlines)."""
        if state is None:
            return 0, 0
        open_ = sum(1 for inc in state.incidents.values() if inc.last.status in OPEN)
        return open_, sum(len(inc.deadlines) for inc in state.incidents.values())

