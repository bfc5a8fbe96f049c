"""Configuration loading: bad config stops start-up naming file, entry and problem."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gridalert.config import ConfigErrors, SAMPLE_CONFIG_DIR
from gridalert.config.loader import load_config
from tests.support.configs import edit_yaml





def problems_of(config_dir) -> str:
    with pytest.raises(ConfigErrors) as caught:
        load_config(config_dir)
    return caught.value.render()


def test_the_sample_district_loads():
    district = load_config(SAMPLE_CONFIG_DIR)
    assert len(district.grids) >= 30 and district.person(district.roster.staff[0].id) is not None
    assert district.devices["tc-jrc-01"].lon == pytest.approx(106.631)


@pytest.mark.parametrize("change, file, entry, problem", [
    (lambda d: d["staff"][0].update(role="mayor"), "roster.yaml", "staff[0]", "role"),
    (lambda d: d["staff"][0].update(area="nowhere"), "roster.yaml", "staff[0]", "'nowhere' is no grid"),
    (lambda d: d["staff"][1].update(id=d["staff"][0]["id"]), "roster.yaml", "staff", "appears more than once"),
    (lambda d: d["staff"][0].update(channles=["json://x"]), "roster.yaml", "staff[0]", "unknown key"),
    (lambda d: d["staff"][0].update(channels=["not a url at all"]), "roster.yaml", "staff[0]", "channels[0]"),
    (lambda d: d.update(staff=[p for p in d["staff"] if p["role"] != "district_duty"]),
     "roster.yaml", "staff", "no district_duty"),
])
def test_roster_problems_name_file_entry_and_problem(config_dir, change, file, entry, problem):
    edit_yaml(config_dir / "roster.yaml", change)
    message = problems_of(config_dir)
    line = next((l for l in message.splitlines() if entry in l and problem in l), None)
    assert line is not None and line.startswith(str(config_dir / file)), message


@pytest.mark.parametrize("change, entry, problem", [
    (lambda d: d["routing"]["heat.reading"].update(start_tier="galaxy"), "routing.heat.reading.start_tier", "unknown tier"),
    (lambda d: d["detectors"]["heat"].update(alarm_c="hot"), "detectors.heat.alarm_c", "number"),
    (lambda d: d["paging"].update(attempts=0), "paging.attempts", "greater than or equal to 1"),
])
def test_policy_problems_name_the_entry(config_dir, change, entry, problem):
    edit_yaml(config_dir / "policies.yaml", change)
    message = problems_of(config_dir)
    assert f"policies.yaml: {entry}: " in message and problem in message, message


def test_yaml_syntax_error_names_line_and_column(config_dir):
    (config_dir / "policies.yaml").write_text("detectors:\n  heat: [unclosed\n", encoding="utf-8")
    assert "policies.yaml: line 3, column 1: not valid YAML" in problems_of(config_dir)


def test_every_broken_file_is_reported_at_once(config_dir):
    (config_dir / "grids.geojson").unlink()
    (config_dir / "policies.yaml").write_text("nonsense: 1\n", encoding="utf-8")
    message = problems_of(config_dir)
    assert "grids.geojson: (file): missing" in message and "policies.yaml: nonsense: unknown key" in message


def test_cli_refuses_to_start_on_bad_config_with_exit_code_2_and_no_traceback(config_dir):
    edit_yaml(config_dir / "roster.yaml", lambda d: d["staff"][0].update(area="nowhere"))
    result = subprocess.run([sys.executable, "-m", "gridalert", "run", "--config", str(config_dir)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "roster.yaml: staff[0]" in result.stderr and "Traceback" not in result.stderr + result.stdout


def test_channels_read_secrets_and_ports_from_the_environment(config_dir):
    edit_yaml(config_dir / "roster.yaml", lambda d: d["staff"][0].update(
        channels=["json://127.0.0.1:${GRIDALERT_INBOX_PORT:-8025}/inbox/a", "json://${HOOK_HOST}/b"]))
    district = load_config(config_dir, environ={"HOOK_HOST": "10.0.0.9"})
    assert district.roster.staff[0].channels == ["json://127.0.0.1:8025/inbox/a", "json://10.0.0.9/b"]
    district = load_config(config_dir, environ={"HOOK_HOST": "h", "GRIDALERT_INBOX_PORT": "9001"})
    assert district.roster.staff[0].channels[0] == "json://127.0.0.1:9001/inbox/a"


def test_a_channel_naming_an_unset_variable_is_a_config_error(config_dir):
    edit_yaml(config_dir / "roster.yaml", lambda d: d["staff"][0].update(channels=["wecombot://${WECOM_KEY}"]))
    with pytest.raises(ConfigErrors) as caught:
        load_config(config_dir, environ={})
    assert "roster.yaml: staff[0]" in caught.value.render()
    assert "channels[0]: environment variable WECOM_KEY is not set" in caught.value.render()


def test_the_reply_to_citizen_reporters_reads_the_environment_and_must_name_the_contact(config_dir):
    district = load_config(config_dir, environ={"GRIDALERT_INBOX_PORT": "9001"})
    assert district.roster.reporter_reply == "json://127.0.0.1:9001/inbox/reporter-{contact}"
    edit_yaml(config_dir / "roster.yaml", lambda d: d.update(reporter_reply="json://${SMS_GW}/send"))
    with pytest.raises(ConfigErrors) as caught:
        load_config(config_dir, environ={})
    assert "reporter_reply: environment variable SMS_GW is not set" in caught.value.render()
    with pytest.raises(ConfigErrors) as caught:
        load_config(config_dir, environ={"SMS_GW": "gw"})
    assert "reporter_reply must contain {contact}" in caught.value.render()


def test_detector_overrides_name_a_known_area_and_valid_thresholds(config_dir):
    edit_yaml(config_dir / "policies.yaml", lambda d: d["detectors"].update(areas={
        "no-such-village": {"activity": {"window_s": 86400}}}))
    with pytest.raises(ConfigErrors) as caught:
        load_config(config_dir, environ={})
    assert "policies.yaml: detectors.areas.no-such-village" in caught.value.render()
    assert "is no grid, village or township" in caught.value.render()
    edit_yaml(config_dir / "policies.yaml", lambda d: d["detectors"].update(areas={
        "朱昌镇": {"heat": {"warning_c": 60}}}))
    with pytest.raises(ConfigErrors) as caught:
        load_config(config_dir, environ={})
    assert "areas.朱昌镇.heat" in caught.value.render() and "warning_c 60.0 is above alarm_c 50.0" in caught.value.render()
