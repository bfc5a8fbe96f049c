"""The incident state machine, its commands and its clock: escalation that never skips or repeats."""

from __future__ import annotations

import pytest

from gridalert.incidents.lifecycle import ALLOWED, STATUSES, refusal
from gridalert.streams.records import GridIncidents
from tests.support.district import T0, after, alarm, book, command, wooden_village_wiring

# ---- the lifecycle table -------------------------------------------------------------------

EXTRA = {"close": {"reason": "unfounded"}, "return": {"reason": "not our grid"}, "rate": {"score": 4}}


@pytest.mark.parametrize("action, status", [(a, s) for a in ALLOWED for s in STATUSES])
def test_every_action_is_allowed_exactly_in_its_statuses(action, status):
    problem = refusal(action, status, **EXTRA.get(action, {}))
    assert (problem is None) is (status in ALLOWED[action]), problem
    if problem:
        assert status.replace("_", " ") in problem


@pytest.mark.parametrize("kwargs, words", [
    ({"action": "close", "status": "dispatched"}, "close needs a reason"),
    ({"action": "close", "status": "resolved", "reason": "fixed"}, "must be resolved and verified first"),
    ({"action": "return", "status": "dispatched"}, "needs a reason"),
    ({"action": "rate", "status": "closed", "score": 6}, "from 1 to 5"),
    ({"action": "rate", "status": "closed", "score": 5, "rated": True}, "rated already"),
    ({"action": "dance", "status": "new"}, "unknown action 'dance'"),
])
def test_refusals_say_what_is_wrong(kwargs, words):
    assert words in refusal(**kwargs)


# ---- helpers ---------------------------------------------------------------------------------

def run(*steps, state=None, durable=True):
    """Apply ("alarm", a) / ("command", c) / ("tick", seconds) steps; return state and all events.

    With ``durable`` the state goes through the table's serialisation between steps, as it does
    across a restart. Every step must leave the state it was given as it was: the worker's table
    holds that very object, and a change made to it behind the table's back would never reach
    the changelog (lost on a restart).
    """
    b, events = book(), []
    for kind, value, at in steps:
        given, text = state, state.dumps() if state is not None else None
        if kind == "alarm":
            state, out = b.on_alarm(state, value, at)
        elif kind == "command":
            state, out, problem = b.on_command(state, value, at)
            assert problem is None, problem
        else:
            state, out = b.on_tick(state, at)
        events += out
        assert given is None or given.dumps() == text, f"{kind} at {at} changed the state it was given"
        if durable:
            state = GridIncidents.loads(state.dumps())
    return state, events


def kinds(events):
    return [(e.kind, e.tier) for e in events]


def ticks(*seconds):
    return [("tick", None, after(s)) for s in seconds]


# ---- escalation ------------------------------------------------------------------------------

def test_nobody_accepts_so_the_order_climbs_tier_by_tier_and_pages_each_once():
    _, events = run(("alarm", alarm(), T0), *ticks(*range(0, 400, 5)))
    assert kinds(events) == [("opened", "grid"), ("dispatched", "grid"),
                             ("repaged", "grid"),  # grid has one repage before it climbs
                             ("escalated", "village"), ("escalated", "township"), ("escalated", "district"),
                             ("repaged", "district"), ("repaged", "district")]
    assert [e.at for e in events[2:]] == [after(60), after(120), after(180), after(240), after(300), after(360)]


def test_acceptance_stops_the_climb():
    incident = alarm().event.id
    state, events = run(("alarm", alarm(), T0), *ticks(30))
    incident_id = events[0].incident_id
    _, more = run(("command", command("accept", incident_id), after(40)), *ticks(*range(45, 600, 5)), state=state)
    assert kinds(more) == [("accepted", "grid")] and more[0].assignee == "gh-1"
    assert incident


def test_a_step_due_during_an_outage_fires_once_when_the_owner_is_back_and_says_how_late():
    _, events = run(("alarm", alarm(), T0), ("tick", None, after(95)), ("tick", None, after(95.2)))
    late = [e for e in events if e.late_s is not None]
    assert [(e.kind, round(e.late_s)) for e in late] == [("repaged", 35)]


def test_the_same_command_twice_is_applied_once():
    state, events = run(("alarm", alarm(), T0))
    accept = command("accept", events[0].incident_id, cid="c-1")
    _, more = run(("command", accept, after(5)), ("command", accept, after(6)), state=state)
    assert kinds(more) == [("accepted", "grid")]


def test_the_same_alarm_twice_opens_one_incident_and_a_new_one_for_the_same_thing_counts():
    _, events = run(("alarm", alarm("e-1"), T0), ("alarm", alarm("e-1"), after(1)), ("alarm", alarm("e-2"), after(2)))
    assert kinds(events)[-1] == ("alarm_repeated", "grid") and events[-1].alarm_count == 2
    assert len({e.incident_id for e in events}) == 1


def test_illegal_command_is_refused_on_the_timeline_and_changes_nothing():
    state, events = run(("alarm", alarm(), T0))
    _, more = run(("command", command("resolve", events[0].incident_id), after(5)), state=state)
    assert kinds(more) == [("command_refused", "grid")] and more[0].status == "dispatched"
    assert "cannot resolve an incident that is dispatched: accept it first" in more[0].detail


def test_a_command_for_an_unknown_incident_is_returned_as_a_reason():
    _, out, problem = book().on_command(None, command("accept", "INC-nope"), T0)
    assert out == [] and "no incident INC-nope" in problem


def test_return_goes_one_tier_up_to_be_rerouted_and_the_top_tier_cannot_return():
    state, events = run(("alarm", alarm(), T0))
    incident_id = events[0].incident_id
    state, more = run(("command", command("return", incident_id, reason="需要供电公司 needs power"), after(5)),
                      state=state)
    assert kinds(more) == [("returned", "grid"), ("dispatched", "village")]
    state, more = run(("command", command("escalate", incident_id, cid="e1", actor="vs-1"), after(6)),
                      ("command", command("escalate", incident_id, cid="e2", actor="td-1"), after(7)),
                      ("command", command("return", incident_id, cid="r2", actor="dd-1", reason="x"), after(8)),
                      state=state)
    assert kinds(more) == [("escalated", "township"), ("escalated", "district"), ("command_refused", "district")]


def test_the_closed_loop_resolve_verify_close_rate():
    state, events = run(("alarm", alarm(), T0))
    i = events[0].incident_id
    _, more = run(("command", command("accept", i), after(1)),
                  ("command", command("on_scene", i), after(2)),
                  ("command", command("close", i, cid="early", reason="fixed"), after(3)),
                  ("command", command("resolve", i, comment="外机已断电 unit switched off"), after(4)),
                  ("command", command("verify", i, actor="dd-1"), after(5)),
                  ("command", command("close", i, actor="dd-1", reason="fixed"), after(6)),
                  ("command", command("rate", i, actor="resident", score=5, comment="很快"), after(7)),
                  ("command", command("rate", i, actor="resident", cid="again", score=1), after(8)),
                  *ticks(500), state=state)
    assert [e.kind for e in more] == ["accepted", "on_scene", "command_refused", "resolved", "verified", "closed",
                                      "rated", "command_refused"]
    assert more[5].close_reason == "fixed" and more[6].rating == 5 and "rated already" in more[7].detail


def test_reopening_dispatches_again_and_a_new_alarm_then_joins_it():
    state, events = run(("alarm", alarm(), T0))
    i = events[0].incident_id
    state, more = run(("command", command("close", i, reason="unfounded"), after(1)),
                      ("command", command("reopen", i, actor="dd-1", reason="烟又出现 smoke again"), after(2)),
                      ("alarm", alarm("e-9"), after(3)), state=state)
    assert kinds(more) == [("closed", "grid"), ("reopened", "grid"), ("dispatched", "grid"),
                           ("alarm_repeated", "grid")]


def test_reassign_to_a_person_pages_that_person():
    state, events = run(("alarm", alarm(), T0))
    _, more = run(("command", command("reassign", events[0].incident_id, actor="dd-1", to_person="td-1"), after(1)),
                  state=state)
    assert kinds(more) == [("reassigned", "township")] and more[0].assignee == "td-1"


# ---- joint dispatch ---------------------------------------------------------------------------

def test_wooden_village_wiring_goes_straight_to_joint_dispatch_of_fire_and_power():
    _, events = run(("alarm", wooden_village_wiring(), T0))
    assert [(e.kind, e.tier, e.department, e.dept_tier) for e in events[1:]] == [
        ("dispatched", "district", None, None),
        ("dept_dispatched", "district", "fire", "district"),
        ("dept_dispatched", "district", "power", "township")]


def test_each_department_accepts_and_escalates_on_its_own_and_a_late_one_breaches_the_clock():
    state, events = run(("alarm", wooden_village_wiring(), T0))
    i = events[0].incident_id
    _, more = run(("command", command("accept", i, actor="dd-1"), after(10)),
                  ("command", command("accept", i, actor="fire-1", department="fire"), after(20)),
                  *ticks(*range(25, 400, 5)), state=state)
    assert [(e.kind, e.department) for e in more] == [
        ("accepted", None), ("dept_accepted", "fire"),
        ("dept_escalated", "power"),       # power did not accept in 90 s: its district dispatcher
        ("dept_repaged", "power"),         # still nobody at the top of the department
        ("dept_repaged", "power"),
        ("joint_clock_breached", None),    # 300 s after the alarm, power still missing
        ("dept_repaged", "power")]
    assert "waiting for power" in more[5].detail and more[2].dept_tier == "district"


def test_the_joint_clock_is_quiet_when_every_department_accepted_in_time():
    state, events = run(("alarm", wooden_village_wiring(), T0))
    i = events[0].incident_id
    _, more = run(("command", command("accept", i, actor="fire-1", department="fire"), after(20)),
                  ("command", command("accept", i, actor="power-1", department="power"), after(40)),
                  *ticks(*range(45, 400, 5)), state=state)
    assert "joint_clock_breached" not in [e.kind for e in more]
    assert all(e.department is None for e in more[2:])  # only the lead goes on escalating


def test_a_department_cannot_accept_twice_or_when_not_dispatched():
    state, events = run(("alarm", wooden_village_wiring(), T0))
    i = events[0].incident_id
    _, more = run(("command", command("accept", i, actor="fire-1", department="fire", cid="a"), after(1)),
                  ("command", command("accept", i, actor="fire-1", department="fire", cid="b"), after(2)),
                  ("command", command("accept", i, actor="x", department="police", cid="c"), after(3)), state=state)
    assert [e.kind for e in more] == ["dept_accepted", "command_refused", "command_refused"]
    assert "police department was not dispatched" in more[2].detail


# ---- silences and inhibition --------------------------------------------------------------------

def test_a_silenced_incident_pages_nobody_until_the_silence_ends():
    state, events = run(("alarm", alarm(), T0))
    i = events[0].incident_id
    _, more = run(("command", command("silence", i, actor="dd-1", until=after(200), reason="drill"), after(10)),
                  *ticks(*range(15, 260, 5)), state=state)
    assert [(e.kind, e.at) for e in more] == [("silenced", after(10)), ("unsilenced", after(200))]
    assert more[1].status == "dispatched" and more[1].tier == "grid"


def test_a_maintenance_window_on_a_grid_records_new_alarms_without_paging():
    silence = command("silence", None, actor="dd-1", scope="grid", target="G-01", until=after(100),
                      reason="电工检修 electricians at work")
    _, events = run(("command", silence, T0), ("alarm", alarm(), after(5)), *ticks(*range(10, 110, 5)))
    assert [(e.kind, e.status) for e in events] == [("opened", "new"), ("silenced", "new"),
                                                    ("dispatched", "dispatched")]
    assert events[2].at == after(100) and "silence ended" in events[2].detail


def test_alarms_behind_a_gateway_that_is_down_are_recorded_on_the_gateway_incident():
    gateway_down = alarm("g-1").derive(dedup_key="gateway:G-01:gw-7", inhibits_gateway="gw-7", title="网关离线 gateway down")
    resident = alarm("r-1", device="water-3").derive(gateway="gw-7")
    _, events = run(("alarm", gateway_down, T0), ("alarm", resident, after(5)))
    assert [e.kind for e in events] == ["opened", "dispatched", "inhibited"]
    assert len({e.incident_id for e in events}) == 1 and "gateway gw-7 is down" in events[2].detail


def test_a_deadline_stamped_with_an_old_fencing_token_never_fires():
    state, events = run(("alarm", alarm(), T0))
    incident = state.incidents[events[0].incident_id]
    incident.token += 1  # as acceptance, resolution or a silence would, leaving the deadline behind
    state, more = run(*ticks(61, 500), state=state)
    assert more == [] and state.incidents[events[0].incident_id].deadlines == []


def test_an_alarm_that_clears_resolves_the_open_incident_by_itself_and_the_next_one_is_new():
    opened = alarm("a-1")
    cleared = alarm("a-2").derive(clears=True, explanation="activity resumed: water 0.02 m³ at 07:10")
    _, events = run(("alarm", opened, T0), ("alarm", cleared, after(30)), *ticks(400), ("alarm", alarm("a-3"), after(500)))
    assert [(e.kind, e.status) for e in events] == [
        ("opened", "new"), ("dispatched", "dispatched"), ("resolved", "resolved"),
        ("opened", "new"), ("dispatched", "dispatched")]
    assert "resolved by itself: activity resumed" in events[2].detail and events[2].actor == "gridalert"
    assert events[3].incident_id != events[0].incident_id


def test_a_clearing_alarm_with_nothing_open_changes_nothing():
    _, events = run(("alarm", alarm("a-2").derive(clears=True), T0))
    assert events == []
