"""schedules.yaml: a bad one stops start-up naming file, entry and problem; gridalert oncall answers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gridalert.config import ConfigErrors, SAMPLE_CONFIG_DIR
from gridalert.config.loader import load_config
from tests.support.configs import edit_yaml

DISTRICT_SCHEDULE = "schedules[0] (观山湖区 district_duty)"
JHY_SCHEDULE = "schedules[1] (金华园街道 township_duty)"





def problems_of(config_dir) -> str:
    with pytest.raises(ConfigErrors) as caught:
        load_config(config_dir, check_url=lambda url: None)
    return caught.value.render()


def district_layer(d):
    return d["schedules"][0]["layers"][0]


def jhy_override(d):
    return d["schedules"][1]["overrides"][0]


def test_the_sample_schedules_load():
    district = load_config(SAMPLE_CONFIG_DIR)
    assert district.schedules.find("观山湖区", "district_duty").layers[0].members == ["dd-GSH-1"]
    assert district.schedules.find("金华园街道", "township_duty").overrides[0].person == "td-SJC"


def test_without_schedules_yaml_there_are_no_schedules(config_dir):
    (config_dir / "schedules.yaml").unlink()
    district = load_config(config_dir, check_url=lambda url: None)
    assert district.schedules.schedules == []


@pytest.mark.parametrize("change, entry, problem", [
    (lambda d: district_layer(d).update(members=["dd-GSH-9"]),
     f"{DISTRICT_SCHEDULE}.layers[0].members[0]", "'dd-GSH-9' is not on the roster"),
    (lambda d: district_layer(d).update(members=["dd-GSH-1", "vs-JHY-01"]),
     f"{DISTRICT_SCHEDULE}.layers[0].members[1]", "is village_secretary on the roster, not district_duty"),
    (lambda d: d["schedules"][1]["layers"][0].update(members=["td-SJC"]),
     f"{JHY_SCHEDULE}.layers[0].members[0]", "township_duty for 世纪城街道 on the roster, not for 金华园街道"),
    (lambda d: district_layer(d).update(members=[]),
     f"{DISTRICT_SCHEDULE}.layers[0].members", "at least 1 item"),
    (lambda d: jhy_override(d).update(person="nobody"),
     f"{JHY_SCHEDULE}.overrides[0].person", "'nobody' is not on the roster"),
    (lambda d: jhy_override(d).update(person="dd-GSH-1"),
     f"{JHY_SCHEDULE}.overrides[0].person", "is district_duty on the roster, not township_duty"),
    (lambda d: jhy_override(d).update({"from": "2025-02-05 09:00", "until": "2025-01-28 09:00"}),
     f"{JHY_SCHEDULE}.overrides[0]", "from 2025-02-05 09:00 is not before until 2025-01-28 09:00"),
    (lambda d: jhy_override(d).update(reason="holiday"), f"{JHY_SCHEDULE}.overrides[0].reason", "'leave', 'swap'"),
    (lambda d: d["schedules"][0].update(timezone="Asia/Guiyang"), f"{DISTRICT_SCHEDULE}.timezone",
     "unknown time zone 'Asia/Guiyang'"),
    (lambda d: d["schedules"][0].update(area="观山湖"), "schedules[0] (观山湖 district_duty).area",
     "'观山湖' is no grid, village, township or district"),
    (lambda d: d["schedules"][0].update(role="mayor"), "schedules[0] (观山湖区 mayor).role", "Input should be"),
    (lambda d: district_layer(d).update(memebers=["dd-GSH-1"]), f"{DISTRICT_SCHEDULE}.layers[0].memebers",
     "unknown key"),
    (lambda d: district_layer(d).update(handover=540), f"{DISTRICT_SCHEDULE}.layers[0].handover",
     "write it in quotes, e.g. '09:00'"),
    (lambda d: district_layer(d).update(start="2025-01-01 08:00"), f"{DISTRICT_SCHEDULE}.layers[0]",
     "start 2025-01-01 08:00 is not at the handover time 08:30"),
    (lambda d: district_layer(d).update(start="2025-01-01"), f"{DISTRICT_SCHEDULE}.layers[0].start",
     "has no time of day"),
    (lambda d: district_layer(d).update(start="2025-01-01T08:30+08:00"), f"{DISTRICT_SCHEDULE}.layers[0].start",
     "has a UTC offset"),
    (lambda d: district_layer(d).update(kind="weekly"), f"{DISTRICT_SCHEDULE}.layers[0]",
     "a weekly layer needs handover_day"),
    (lambda d: d["schedules"][1]["layers"][0].update(handover_day="tuesday"), f"{JHY_SCHEDULE}.layers[0]",
     "start 2025-01-06 is a Monday, but handovers are on tuesday"),
    (lambda d: d["schedules"].append(dict(d["schedules"][0])), "schedules",
     "schedules[4] and schedules[0] are both for district_duty in 观山湖区"),
])
def test_schedule_problems_name_file_entry_and_problem(config_dir, change, entry, problem):
    edit_yaml(config_dir / "schedules.yaml", change)
    message = problems_of(config_dir)
    line = next((l for l in message.splitlines() if f"schedules.yaml: {entry}: " in l and problem in l), None)
    assert line is not None and line.startswith(str(config_dir / "schedules.yaml")), message


def test_every_schedule_problem_and_other_files_problems_are_reported_at_once(config_dir):
    edit_yaml(config_dir / "schedules.yaml", lambda d: (district_layer(d).update(members=["ghost"]),
                                                        jhy_override(d).update(person="phantom")))
    edit_yaml(config_dir / "policies.yaml", lambda d: d.update(nonsense=1))
    message = problems_of(config_dir)
    assert "'ghost' is not on the roster" in message and "'phantom' is not on the roster" in message
    assert "policies.yaml: nonsense: unknown key" in message


def test_an_unquoted_time_of_day_is_refused_not_misread(config_dir):
    text = (config_dir / "schedules.yaml").read_text(encoding="utf-8").replace("handover: '08:30'", "handover: 8:30")
    (config_dir / "schedules.yaml").write_text(text, encoding="utf-8")
    assert "handover: 510 is not a time of day: write it in quotes" in problems_of(config_dir)


def test_a_yaml_syntax_error_in_schedules_names_line_and_column(config_dir):
    (config_dir / "schedules.yaml").write_text("schedules:\n- area: [unclosed\n", encoding="utf-8")
    assert "schedules.yaml: line 3, column 1: not valid YAML" in problems_of(config_dir)


def test_an_override_may_bring_in_the_same_role_from_another_area(config_dir):
    # The sample does exactly this: 世纪城街道's duty officer covers 金华园街道 during a leave.
    district = load_config(config_dir, check_url=lambda url: None)
    assert district.person(district.schedules.find("金华园街道", "township_duty").overrides[0].person).area == "世纪城街道"


# --- gridalert oncall, as a subprocess -----------------------------------------------------------

def oncall(*args: str, config=SAMPLE_CONFIG_DIR) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gridalert", "oncall", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=120)


def test_oncall_names_the_person_covering_a_leave_with_phone_and_reason():
    result = oncall("--area", "金华园街道", "--at", "2025-01-30T10:00")
    assert result.returncode == 0, result.stderr
    assert "on duty: 张秀英 (td-SJC), phone +86 851 8000 0002" in result.stdout
    assert "override 1 (leave: 黄丽 on Spring Festival leave)" in result.stdout
    assert "until 2025-02-03 09:00 +08:00" in result.stdout and "instead of 黄丽 (td-JHY-2)" in result.stdout


def test_oncall_at_the_end_of_the_leave_names_the_rotation_again():
    result = oncall("--area", "金华园街道", "--at", "2025-02-03T09:00:00+08:00")
    assert result.returncode == 0, result.stderr
    assert "on duty: 李勇 (td-JHY)" in result.stdout and "rotation, layer 1 (weekly" in result.stdout


@pytest.fixture
def three_officers(config_dir):
    """The sample district with a three-officer daily rotation at the command centre."""
    def add_officers(d):
        d["staff"] += [{"id": f"dd-GSH-{n}", "name": name, "role": "district_duty", "area": "观山湖区",
                        "phone": f"+86 851 8000 011{n}", "channels": [f"json://127.0.0.1/inbox/dd-GSH-{n}"]}
                       for n, name in ((2, "李明"), (3, "周婷"))]
    edit_yaml(config_dir / "roster.yaml", add_officers)
    edit_yaml(config_dir / "schedules.yaml", lambda d: district_layer(d).update(members=["dd-GSH-1", "dd-GSH-2", "dd-GSH-3"]))
    return config_dir


@pytest.mark.parametrize("at, name", [
    ("2025-01-02T08:29:59", "王芳 (dd-GSH-1)"),
    ("2025-01-02T08:30", "李明 (dd-GSH-2)"),  # the handover instant belongs to the next officer
    ("2025-01-03T00:30:00Z", "周婷 (dd-GSH-3)"),  # 08:30 in Guiyang, asked in UTC
])
def test_oncall_follows_the_daily_rotation_of_the_command_centre(three_officers, at, name):
    result = oncall("--area", "观山湖区", "--at", at, config=three_officers)
    assert result.returncode == 0, result.stderr
    assert f"on duty: {name}" in result.stdout


def test_oncall_says_who_takes_over_next(three_officers):
    result = oncall("--area", "观山湖区", "--at", "2025-01-02T12:00", config=three_officers)
    assert "until 2025-01-03 08:30 +08:00 (Fri), then 周婷 (dd-GSH-3)" in result.stdout, result.stdout


def test_oncall_before_a_rotation_starts_says_so_and_exits_1():
    result = oncall("--area", "朱昌镇", "--at", "2025-01-06T08:59:59")
    assert result.returncode == 1
    assert "nobody is scheduled at this time (layer 1 starts 2025-01-06 09:00 +08:00" in result.stdout


def test_oncall_on_an_unknown_area_lists_the_known_ones_and_exits_2():
    result = oncall("--area", "花溪区")
    assert result.returncode == 2
    assert "no area '花溪区'" in result.stderr and "townships 世纪城街道, 朱昌镇, 金华园街道" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_oncall_on_a_bad_schedule_file_exits_2_naming_the_problem(config_dir):
    edit_yaml(config_dir / "schedules.yaml", lambda d: district_layer(d).update(members=["ghost"]))
    result = oncall("--area", "观山湖区", config=config_dir)
    assert result.returncode == 2
    assert f"schedules.yaml: {DISTRICT_SCHEDULE}.layers[0].members[0]: 'ghost' is not on the roster" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_oncall_on_a_malformed_time_exits_2():
    result = oncall("--area", "观山湖区", "--at", "tomorrow morning")
    assert result.returncode == 2 and "not an ISO 8601 time" in result.stderr
