"""Telling a citizen reporter the outcome: once, at closing, with no staff data and a readable reason."""

from __future__ import annotations

import pytest

from gridalert.incidents.reply import reply_for
from tests.support.district import T0, book, command, detect
from tests.support.district import reading as located_reading

URL = "json://sms.example/send/{contact}"


def report(contact="+86 138 0000 1234"):
    data = {"category": "fire_lane_blocked", "description": "三轮车堵住消防通道", "reporter_contact": contact}
    return detect(located_reading("q-1", event_type="citizen.report", device=None, data=data))


def closed_steps(alarm):
    incidents = book()
    state, out = incidents.on_alarm(None, alarm, T0)
    incident = out[0].incident_id
    steps = list(out)
    for action, actor, extra in [("accept", "gh-1", {}), ("resolve", "gh-1", {}), ("verify", "dd-1", {}),
                                 ("close", "dd-1", {"reason": "unfounded"})]:
        state, out, refused = incidents.on_command(state, command(action, incident, actor, **extra), T0)
        assert refused is None, refused
        steps += out
    return steps


def test_only_the_closing_step_of_a_citizen_report_owes_a_reply():
    steps = closed_steps(report())
    replies = [(s.kind, reply_for(s, URL)) for s in steps]
    assert [kind for kind, found in replies if found] == ["closed"]
    found = dict(replies)["closed"]
    assert found.url == "json://sms.example/send/%2B86%20138%200000%201234"
    assert "经核实未发现问题 nothing found on inspection" in found.body and found.sent_key.endswith(":reporter")


def test_the_contact_is_never_in_a_page_or_on_the_projection_columns():
    steps = closed_steps(report())
    assert all("138 0000 1234" not in s.title + s.explanation + s.detail for s in steps)


def test_a_sensor_alarm_owes_nobody_a_reply_and_a_report_without_contact_neither():
    assert all(reply_for(s, URL) is None for s in closed_steps(detect(located_reading("h-1", 80.0))))
    assert all(reply_for(s, URL) is None for s in closed_steps(report(contact="  ")))


def test_a_district_without_a_reply_url_is_told_so_when_a_reply_is_owed():
    closing = closed_steps(report())[-1]
    with pytest.raises(LookupError, match="no reporter_reply URL"):
        reply_for(closing, None)
