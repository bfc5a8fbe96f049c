"""The deadlines the dashboard counts down to: dispose by, and each joint-dispatch department's accept by."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from gridalert.deadlines import department_accept_by, disposal_limits, dispose_by
from tests.support.district import POLICIES, T0

DAY = timedelta(days=1)
DEPT_TIMEOUT = timedelta(seconds=POLICIES.joint_dispatch.accept_timeout_s)


def step(seq: int, kind: str, minutes: float, department: str | None = None):
    return SimpleNamespace(seq=seq, kind=kind, at=T0 + timedelta(minutes=minutes), department=department)


def dept(name: str, status: str = "dispatched"):
    return SimpleNamespace(department=name, status=status)


def test_the_disposal_limits_are_the_policies_per_class():
    assert disposal_limits(POLICIES) == {"own_level": 86400.0, "upper_level": 3 * 86400.0, "difficult": 7 * 86400.0}


@pytest.mark.parametrize("status", ["new", "dispatched", "accepted", "on_scene", "returned"])
def test_an_incident_never_resolved_must_be_resolved_within_its_class_limit_of_the_alarm(status):
    assert dispose_by(status, T0, "own_level", POLICIES, resolved_once=False) == T0 + DAY
    assert dispose_by(status, T0, "difficult", POLICIES, resolved_once=False) == T0 + 7 * DAY


@pytest.mark.parametrize("status, resolved_once", [("resolved", True), ("verified", True), ("closed", True),
                                                   ("reopened", True), ("closed", False)])
def test_once_resolved_the_on_time_question_is_settled(status, resolved_once):
    assert dispose_by(status, T0, "own_level", POLICIES, resolved_once=resolved_once) is None


def test_a_class_without_a_limit_has_no_disposal_deadline():
    assert dispose_by("accepted", T0, "no_such_class", POLICIES, resolved_once=False) is None


def test_a_department_still_to_accept_has_its_last_page_plus_the_joint_timeout():
    timeline = [step(1, "opened", 0), step(2, "dispatched", 0), step(3, "dept_dispatched", 0, "fire"),
                step(4, "dept_dispatched", 0, "power"), step(5, "dept_repaged", 2, "fire"),
                step(6, "dept_accepted", 3, "power"), step(7, "accepted", 4)]
    found = department_accept_by("accepted", timeline, [dept("fire"), dept("power", "accepted")], POLICIES)
    assert found == {"fire": T0 + timedelta(minutes=2) + DEPT_TIMEOUT}


def test_a_silence_stops_the_department_clocks_until_the_next_page():
    timeline = [step(1, "opened", 0), step(2, "dept_dispatched", 0, "fire"), step(3, "dept_dispatched", 0, "power"),
                step(4, "silenced", 1), step(5, "unsilenced", 30), step(6, "dept_repaged", 30, "fire")]
    assert department_accept_by("dispatched", timeline[:4], [dept("fire"), dept("power")], POLICIES) == {}
    assert department_accept_by("dispatched", timeline, [dept("fire")], POLICIES) == \
        {"fire": T0 + timedelta(minutes=30) + DEPT_TIMEOUT}


@pytest.mark.parametrize("status", ["resolved", "verified", "closed"])
def test_nobody_waits_for_a_department_once_the_incident_is_resolved(status):
    timeline = [step(1, "opened", 0), step(2, "dept_dispatched", 0, "fire")]
    assert department_accept_by(status, timeline, [dept("fire")], POLICIES) == {}
