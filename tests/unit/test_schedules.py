"""Duty schedules: who is on duty at an instant, and why (incidents.oncall).

Times in these tests are written as the people who keep the schedule would say them: local
wall-clock times of the schedule's zone. ``local(...)`` turns one into the instant it names.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridalert.config.model import Role
from gridalert.config.schedules import Schedules
from gridalert.incidents.oncall import on_duty, wall_clock_instant, who_is_on_call

SHANGHAI, BERLIN, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
UTC = timezone.utc
DISTRICT, TOWNSHIP = "观山湖区", "金华园街道"


def schedules(*items: dict) -> Schedules:
    return Schedules.model_validate({"schedules": list(items)})


def schedule(layers: list[dict], overrides: list[dict] = (), area: str = DISTRICT, role: str = "district_duty",
             zone: str = "Asia/Shanghai") -> dict:
    return {"area": area, "role": role, "timezone": zone, "layers": layers, "overrides": list(overrides)}


def daily(members: list[str], start: str = "2025-01-01 08:30", handover: str = "08:30", **extra) -> dict:
    return {"kind": "daily", "start": start, "handover": handover, "members": members, **extra}


def weekly(members: list[str], start: str = "2025-01-06 09:00", handover: str = "09:00", day: str = "monday") -> dict:
    return {"kind": "weekly", "start": start, "handover": handover, "handover_day": day, "members": members}


def leave(person: str, start: str, until: str, reason: str = "leave", note: str | None = None) -> dict:
    return {"person": person, "from": start, "until": until, "reason": reason, "note": note}


def local(text: str, zone: ZoneInfo = SHANGHAI, fold: int = 0) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone, fold=fold)


def who(config: Schedules, at: datetime, area: str = DISTRICT, role: str = "district_duty") -> list[str]:
    return on_duty(config, area, role, at)


THREE_OFFICERS = schedules(schedule([daily(["dd-1", "dd-2", "dd-3"])]))


# --- daily rotation ------------------------------------------------------------------------------

@pytest.mark.parametrize("at, expected", [
    ("2025-01-01 08:30", "dd-1"),  # the first handover, to members[0]
    ("2025-01-01 23:59:59", "dd-1"),
    ("2025-01-02 00:00", "dd-1"),  # a shift runs on past midnight
    ("2025-01-02 08:29:59", "dd-1"),
    ("2025-01-02 08:30", "dd-2"),
    ("2025-01-03 12:00", "dd-3"),
    ("2025-01-04 08:30", "dd-1"),  # round the list again
    ("2026-01-01 08:30", "dd-3"),  # 365 days later: 365 % 3 == 2
])
def test_daily_rotation_hands_over_every_morning_in_turn(at, expected):
    assert who(THREE_OFFICERS, local(at)) == [expected]


@pytest.mark.parametrize("at, expected", [
    ("2025-01-02 08:29:59", "dd-1"),  # one second before the handover
    ("2025-01-02 08:30:00", "dd-2"),  # at the handover instant: already the next person
    ("2025-01-02 08:30:01", "dd-2"),
])
def test_the_handover_is_an_instant_and_the_next_person_owns_it(at, expected):
    assert who(THREE_OFFICERS, local(at)) == [expected]


def test_the_answer_says_which_layer_since_until_and_who_is_next():
    answer = who_is_on_call(THREE_OFFICERS, DISTRICT, "district_duty", local("2025-01-02 23:00"))
    [duty] = answer.duties
    assert (duty.source, duty.layer, duty.person, duty.next_person) == ("rotation", 0, "dd-2", "dd-3")
    assert duty.since == local("2025-01-02 08:30") and duty.until == local("2025-01-03 08:30")
    assert answer.next_change == local("2025-01-03 08:30")
    assert duty.since.utcoffset() == timedelta(0), "instants come back in UTC, safe to compare and subtract"


def test_any_time_zone_of_the_asking_instant_gives_the_same_answer():
    in_utc = datetime(2025, 1, 2, 0, 30, tzinfo=UTC)  # 08:30 in Guiyang
    assert who(THREE_OFFICERS, in_utc) == who(THREE_OFFICERS, local("2025-01-02 08:30")) == ["dd-2"]


def test_a_member_listed_twice_in_a_row_keeps_duty_through_the_handover():
    config = schedules(schedule([daily(["dd-1", "dd-1", "dd-2"])]))
    answer = who_is_on_call(config, DISTRICT, "district_duty", local("2025-01-02 10:00"))
    assert answer.people == ("dd-1",)
    assert answer.duties[0].since == local("2025-01-01 08:30") and answer.duties[0].until == local("2025-01-03 08:30")
    assert answer.next_change == local("2025-01-03 08:30")


def test_a_single_member_is_on_duty_with_no_handover_ahead():
    config = schedules(schedule([daily(["dd-1"])]))
    answer = who_is_on_call(config, DISTRICT, "district_duty", local("2025-06-01 12:00"))
    assert answer.people == ("dd-1",) and answer.duties[0].until is None and answer.next_change is None


# --- weekly rotation -----------------------------------------------------------------------------

WEEKLY = schedules(schedule([weekly(["td-1", "td-2"])], area=TOWNSHIP, role="township_duty"))


@pytest.mark.parametrize("at, expected", [
    ("2025-01-06 09:00", "td-1"),
    ("2025-01-12 23:59", "td-1"),  # Sunday night: still the first week
    ("2025-01-13 08:59:59", "td-1"),
    ("2025-01-13 09:00", "td-2"),  # Monday 09:00: the next week's person
    ("2025-01-19 12:00", "td-2"),
    ("2025-01-20 09:00", "td-1"),
])
def test_weekly_rotation_hands_over_on_monday_at_nine(at, expected):
    assert who(WEEKLY, local(at), TOWNSHIP, "township_duty") == [expected]


def test_weekly_answer_runs_until_the_next_monday():
    [duty] = who_is_on_call(WEEKLY, TOWNSHIP, Role.township_duty, local("2025-01-15 03:00")).duties
    assert duty.since == local("2025-01-13 09:00") and duty.until == local("2025-01-20 09:00")
    assert duty.next_person == "td-1"


# --- start in the future, end, layers side by side -----------------------------------------------

def test_before_a_layer_starts_nobody_from_it_is_on_duty_and_the_answer_says_when_it_starts():
    config = schedules(schedule([daily(["dd-1", "dd-2"], start="2025-03-01 08:30")]))
    answer = who_is_on_call(config, DISTRICT, "district_duty", local("2025-02-28 12:00"))
    assert answer.people == () and answer.scheduled
    [note] = answer.idle_layers
    assert (note.layer, note.status, note.at) == (0, "not_started", local("2025-03-01 08:30"))
    assert answer.next_change == local("2025-03-01 08:30")
    assert who(config, local("2025-03-01 08:30")) == ["dd-1"]


def test_an_ended_layer_has_nobody_and_a_following_layer_takes_over_at_its_end():
    config = schedules(schedule([
        daily(["dd-1", "dd-2"], end="2025-02-01 08:30"),
        daily(["dd-3", "dd-4"], start="2025-02-01 08:30"),
    ]))
    assert who(config, local("2025-02-01 08:29:59")) == ["dd-1"]  # 31 days: turn 30, even
    assert who(config, local("2025-02-01 08:30")) == ["dd-3"]
    answer = who_is_on_call(config, DISTRICT, "district_duty", local("2025-02-01 09:00"))
    assert [(n.layer, n.status) for n in answer.idle_layers] == [(0, "ended")]


def test_two_layers_are_on_duty_side_by_side():
    config = schedules(schedule([daily(["dd-1", "dd-2"]), weekly(["dd-3", "dd-4"], start="2025-01-06 08:30",
                                                                   handover="08:30")]))
    assert who(config, local("2025-01-07 10:00")) == ["dd-1", "dd-3"]
    assert who(config, local("2025-01-13 08:30")) == ["dd-1", "dd-4"]


def test_no_schedule_for_the_area_and_role_means_no_scheduled_person():
    answer = who_is_on_call(THREE_OFFICERS, TOWNSHIP, "township_duty", local("2025-01-02 10:00"))
    assert answer.people == () and not answer.scheduled
    assert on_duty(None, DISTRICT, "district_duty", local("2025-01-02 10:00")) == []
    assert on_duty(list(THREE_OFFICERS.schedules), DISTRICT, Role.district_duty, local("2025-01-02 10:00")) == ["dd-2"]


def test_a_naive_instant_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="aware"):
        on_duty(THREE_OFFICERS, DISTRICT, "district_duty", datetime(2025, 1, 2, 10, 0))


# --- overrides: leave and swap -------------------------------------------------------------------

ON_LEAVE = schedules(schedule([daily(["dd-1", "dd-2", "dd-3"])],
                              overrides=[leave("dd-9", "2025-01-02 08:30", "2025-01-03 08:30", note="dd-2 ill")]))


@pytest.mark.parametrize("at, expected", [
    ("2025-01-02 08:29:59", "dd-1"),
    ("2025-01-02 08:30", "dd-9"),  # from is inclusive
    ("2025-01-03 08:29:59", "dd-9"),
    ("2025-01-03 08:30", "dd-3"),  # until is exclusive: the rotation is back
])
def test_a_leave_override_wins_over_the_rotation_in_its_window(at, expected):
    assert who(ON_LEAVE, local(at)) == [expected]


def test_the_override_answer_names_its_reason_window_and_whom_it_replaces():
    answer = who_is_on_call(ON_LEAVE, DISTRICT, "district_duty", local("2025-01-02 20:00"))
    [duty] = answer.duties
    assert (duty.source, duty.override, duty.reason, duty.note) == ("override", 0, "leave", "dd-2 ill")
    assert duty.instead_of == ("dd-2",)
    assert duty.since == local("2025-01-02 08:30") and duty.until == local("2025-01-03 08:30")
    assert answer.next_change == local("2025-01-03 08:30")


def test_a_turn_is_cut_short_by_an_override_and_resumes_after_it():
    config = schedules(schedule([daily(["dd-1", "dd-2"])], overrides=[leave("dd-9", "2025-01-01 20:00", "2025-01-01 22:00")]))
    [before] = who_is_on_call(config, DISTRICT, "district_duty", local("2025-01-01 12:00")).duties
    assert before.until == local("2025-01-01 20:00") and before.next_person is None
    [after] = who_is_on_call(config, DISTRICT, "district_duty", local("2025-01-01 23:00")).duties
    assert after.person == "dd-1" and after.since == local("2025-01-01 22:00")


def test_a_swap_is_two_overrides_and_each_covers_the_others_day():
    config = schedules(schedule([daily(["dd-1", "dd-2"])], overrides=[
        leave("dd-2", "2025-01-01 08:30", "2025-01-02 08:30", reason="swap"),
        leave("dd-1", "2025-01-02 08:30", "2025-01-03 08:30", reason="swap"),
    ]))
    assert who(config, local("2025-01-01 12:00")) == ["dd-2"]
    assert who(config, local("2025-01-02 12:00")) == ["dd-1"]
    assert who(config, local("2025-01-03 12:00")) == ["dd-1"]  # back to the rotation


def test_overlapping_overrides_are_all_on_duty():
    config = schedules(schedule([daily(["dd-1"])], overrides=[
        leave("dd-8", "2025-01-01 10:00", "2025-01-01 14:00"), leave("dd-9", "2025-01-01 12:00", "2025-01-01 16:00")]))
    assert who(config, local("2025-01-01 13:00")) == ["dd-8", "dd-9"]
    assert who(config, local("2025-01-01 15:00")) == ["dd-9"]


def test_an_override_before_the_rotation_starts_still_puts_someone_on_duty():
    config = schedules(schedule([daily(["dd-1"], start="2025-03-01 08:30")],
                                overrides=[leave("dd-9", "2025-02-20 08:30", "2025-03-01 08:30", reason="other")]))
    assert who(config, local("2025-02-25 08:30")) == ["dd-9"]


# --- time changes (DST) --------------------------------------------------------------------------

def test_a_skipped_local_time_is_the_instant_the_clock_jumps_over_it():
    # Berlin, 2025-03-30: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    assert wall_clock_instant(datetime(2025, 3, 30, 2, 30), BERLIN) == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
    # New York, 2025-03-09: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    assert wall_clock_instant(datetime(2025, 3, 9, 2, 0), NEW_YORK) == datetime(2025, 3, 9, 7, 0, tzinfo=UTC)


def test_a_repeated_local_time_is_its_first_occurrence():
    # Berlin, 2025-10-26: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
    assert wall_clock_instant(datetime(2025, 10, 26, 2, 30), BERLIN) == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert wall_clock_instant(datetime(2025, 11, 2, 1, 30), NEW_YORK) == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)
    assert wall_clock_instant(datetime(2025, 1, 2, 8, 30), SHANGHAI) == datetime(2025, 1, 2, 0, 30, tzinfo=UTC)


BERLIN_NIGHT = schedules(schedule([daily(["a", "b", "c"], start="2025-03-28 02:30", handover="02:30")],
                                  zone="Europe/Berlin"))


def test_spring_forward_a_handover_in_the_skipped_hour_happens_when_the_clock_jumps():
    # 28th: a, 29th: b, 30th: c — the 30th's 02:30 does not exist; c takes over at 03:00 CEST.
    assert who(BERLIN_NIGHT, datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC)) == ["b"]
    assert who(BERLIN_NIGHT, datetime(2025, 3, 30, 1, 0, tzinfo=UTC)) == ["c"]
    assert who(BERLIN_NIGHT, datetime(2025, 3, 30, 1, 0, 1, tzinfo=UTC)) == ["c"]
    [duty] = who_is_on_call(BERLIN_NIGHT, DISTRICT, "district_duty", local("2025-03-30 12:00", BERLIN)).duties
    assert duty.since == local("2025-03-30 03:00", BERLIN)
    assert duty.until == local("2025-03-31 02:30", BERLIN)  # next day back to 02:30: one handover a day


def test_fall_back_a_handover_in_the_repeated_hour_happens_once_at_its_first_occurrence():
    config = schedules(schedule([daily(["a", "b"], start="2025-10-25 02:30", handover="02:30")], zone="Europe/Berlin"))
    assert who(config, local("2025-10-26 02:29:59", BERLIN, fold=0)) == ["a"]
    assert who(config, local("2025-10-26 02:30", BERLIN, fold=0)) == ["b"]  # 00:30 UTC
    assert who(config, local("2025-10-26 02:30", BERLIN, fold=1)) == ["b"]  # the repeat, 01:30 UTC: no second handover
    [duty] = who_is_on_call(config, DISTRICT, "district_duty", local("2025-10-26 12:00", BERLIN)).duties
    assert duty.until - duty.since == timedelta(hours=25)


def test_a_morning_handover_keeps_its_local_time_across_the_change():
    config = schedules(schedule([daily(["a", "b"], start="2025-03-29 08:30")], zone="Europe/Berlin"))
    assert who(config, datetime(2025, 3, 30, 6, 29, 59, tzinfo=UTC)) == ["a"]
    assert who(config, datetime(2025, 3, 30, 6, 30, tzinfo=UTC)) == ["b"]  # 08:30 CEST, not 08:30 CET (07:30 UTC)
    [duty] = who_is_on_call(config, DISTRICT, "district_duty", datetime(2025, 3, 30, 6, 29, tzinfo=UTC)).duties
    assert duty.until - duty.since == timedelta(hours=23)


def test_new_york_weekly_handover_on_the_sunday_of_the_change():
    config = schedules(schedule([weekly(["a", "b"], start="2025-03-02 02:30", handover="02:30", day="sunday")],
                                zone="America/New_York"))
    assert who(config, datetime(2025, 3, 9, 6, 59, 59, tzinfo=UTC)) == ["a"]  # 01:59:59 EST
    assert who(config, datetime(2025, 3, 9, 7, 0, tzinfo=UTC)) == ["b"]  # 03:00 EDT: 02:30 never shows
    assert who(config, local("2025-03-16 02:29", NEW_YORK)) == ["b"]
    assert who(config, local("2025-03-16 02:30", NEW_YORK)) == ["a"]


def test_overrides_in_a_dst_zone_are_read_in_local_time():
    config = schedules(schedule([daily(["a"])], zone="America/New_York",
                                overrides=[leave("z", "2025-11-02 01:30", "2025-11-02 03:00")]))
    assert who(config, datetime(2025, 11, 2, 5, 29, tzinfo=UTC)) == ["a"]
    assert who(config, datetime(2025, 11, 2, 5, 30, tzinfo=UTC)) == ["z"]  # 01:30 EDT, the first one
    assert who(config, datetime(2025, 11, 2, 7, 59, tzinfo=UTC)) == ["z"]  # 02:59 EST
    assert who(config, datetime(2025, 11, 2, 8, 0, tzinfo=UTC)) == ["a"]


# --- invariants ----------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York"]),
       handover=st.sampled_from(["00:00", "01:30", "02:00", "02:30", "08:30", "23:59"]),
       seconds=st.integers(min_value=0, max_value=2 * 366 * 86400))
def test_the_person_on_duty_holds_from_since_to_until_and_changes_only_at_until(zone, handover, seconds):
    config = schedules(schedule([daily(["a", "b", "c"], start=f"2025-01-01 {handover}", handover=handover)], zone=zone))
    start = wall_clock_instant(datetime.fromisoformat(f"2025-01-01 {handover}"), ZoneInfo(zone))
    at = start + timedelta(seconds=seconds)
    [duty] = who_is_on_call(config, DISTRICT, "district_duty", at).duties
    assert duty.since <= at < duty.until
    assert timedelta(hours=23) <= duty.until - duty.since <= timedelta(hours=25)
    assert who(config, duty.until - timedelta(seconds=1)) == [duty.person]
    assert who(config, duty.until) == [duty.next_person] != [duty.person]
