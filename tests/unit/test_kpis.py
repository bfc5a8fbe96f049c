"""Key figures: rates that say what they divide, stage times at the 90th percentile, the report files."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from gridalert.incidents.kpis import STAGES, Case, Step, department_figures, disposal_due, figures, percentile
from gridalert.store import make_engine, make_sessionmaker, record_incident_events, upgrade
from tests.support.district import T0, book, command, detect, reading, wooden_village_wiring

DAY = 86400.0
LIMITS = {"own_level": DAY, "upper_level": 3 * DAY, "difficult": 7 * DAY}


def case(name: str, steps: list[tuple[str, float]], *, status: str, township: str = "金华园街道",
         klass: str = "own_level", rating: int | None = None, departments: list[tuple[str, str, float]] = ()) -> Case:
    at = lambda s: T0 + timedelta(seconds=s)  # noqa: E731
    return Case(incident_id=name, township=township, klass=klass, status=status, opened_at=T0, rating=rating,
                steps=tuple([Step("opened", T0)] + [Step(kind, at(s)) for kind, s in steps]
                            + [Step(kind, at(s), department) for kind, department, s in departments]))


CASES = [
    case("A", [("dispatched", 10), ("accepted", 70), ("on_scene", 600), ("resolved", 1800), ("closed", 2000)],
         status="closed", rating=5),
    case("B", [("dispatched", 5), ("escalated", 305)], status="dispatched", township="朱昌镇"),
    case("C", [("dispatched", 20), ("accepted", 200), ("resolved", 2 * DAY)], status="resolved", rating=3),
    case("D", [("dispatched", 8), ("resolved", 900)], status="resolved", klass="difficult",
         departments=[("dept_dispatched", "fire", 8), ("dept_accepted", "fire", 68),
                      ("dept_dispatched", "power", 8)]),
]


def test_each_rate_divides_what_it_says():
    row = figures(CASES, LIMITS)["all"].row()
    assert row["incidents"] == 4
    assert row["response_rate"] == 2 / 4            # A and C accepted, of four dispatched
    assert row["completion_rate"] == 3 / 4          # A closed, C and D resolved; B still open
    assert row["on_time_rate"] == 2 / 3             # C took two days against a one-day limit
    assert row["satisfaction_rate"] == 1 / 2        # a 5 and a 3
    assert row["mtta_s"] == (70 + 200) / 2 and row["mttr_s"] == (1800 + 2 * DAY + 900) / 3


def test_stage_times_are_reported_at_the_90th_percentile_per_township():
    by_township = figures(CASES, LIMITS, group=lambda c: c.township)
    assert list(by_township) == ["朱昌镇", "金华园街道"]
    row = by_township["金华园街道"].row()
    assert row[f"p90 {STAGES[0]} (s)"] == 20  # 10, 20, 8 → the 90th percentile is the slowest of three
    assert row[f"p90 {STAGES[1]} (s)"] == 180
    assert row[f"p90 {STAGES[3]} (s)"] == 2 * DAY - 200  # resolved without an on-scene step: from acceptance
    assert by_township["朱昌镇"].row()["response_rate"] == 0 and by_township["朱昌镇"].row()["on_time_rate"] is None


def test_nearest_rank_percentile():
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(x) for x in range(1, 11)], 0.9) == 9.0
    assert percentile([float(x) for x in range(1, 101)], 0.9) == 90.0


# D above, plus two more incidents for the fire brigade: one late and rated, one it never accepted
DEPARTMENT_CASES = [
    CASES[3],
    case("E", [("dispatched", 30), ("accepted", 100), ("resolved", 2 * DAY), ("closed", 2 * DAY + 60)],
         status="closed", rating=4,
         departments=[("dept_dispatched", "fire", 30), ("dept_accepted", "fire", 330)]),
    case("F", [("dispatched", 15)], status="dispatched", departments=[("dept_dispatched", "fire", 15)]),
]


def test_departments_count_their_own_orders_and_acceptances():
    rows = department_figures(DEPARTMENT_CASES, LIMITS)
    assert rows["fire"]["orders"] == 3
    assert rows["fire"]["response_rate"] == 2 / 3             # D and E accepted by fire, F not
    assert rows["fire"]["p90 dispatch → accept (s)"] == 300.0  # 60 and 300: the slower of two
    assert rows["power"]["response_rate"] == 0.0 and rows["power"]["p90 dispatch → accept (s)"] is None


def test_a_departments_mtta_runs_from_the_alarm_to_its_own_acceptance():
    rows = department_figures(DEPARTMENT_CASES, LIMITS)
    assert rows["fire"]["mtta_s"] == (68 + 330) / 2  # not E's person, who accepted at 100
    assert rows["power"]["mtta_s"] is None


def test_a_department_shares_the_outcome_of_the_incidents_dispatched_to_it():
    fire, power = (department_figures(DEPARTMENT_CASES, LIMITS)[name] for name in ("fire", "power"))
    assert fire["completion_rate"] == 2 / 3    # D resolved, E closed, F open
    assert fire["on_time_rate"] == 1 / 2       # D within its seven days; E took two against one
    assert fire["satisfaction_rate"] == 1.0    # E's 4
    assert fire["mttr_s"] == (900 + 2 * DAY) / 2
    assert power == {"orders": 1, "response_rate": 0.0, "completion_rate": 1.0, "on_time_rate": 1.0,
                     "satisfaction_rate": None, "mtta_s": None, "mttr_s": 900.0, "p90 dispatch → accept (s)": None}


def test_on_time_means_resolved_no_later_than_the_disposal_limit():
    exactly = case("G", [("dispatched", 1), ("resolved", DAY)], status="resolved")
    late = case("H", [("dispatched", 1), ("resolved", DAY + 1)], status="resolved")
    assert figures([exactly, late], LIMITS)["all"].row()["on_time_rate"] == 1 / 2
    assert disposal_due(T0, DAY) == T0 + timedelta(days=1) and disposal_due(T0, None) is None


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'gridalert.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield url, make_sessionmaker(engine)
    engine.dispose()


def test_gridalert_report_writes_the_days_figures_as_csv_and_a_png_chart(database, tmp_path):
    url, sessions = database
    incidents, state, steps = book(), None, []
    for alarm in (detect(reading("h-1", 80.0)), wooden_village_wiring("w-1")):
        state, out = incidents.on_alarm(state, alarm, T0)
        steps += out
    heat = steps[0].incident_id
    for action, actor, seconds in [("accept", "gh-1", 60), ("resolve", "gh-1", 1200)]:
        state, out, refused = incidents.on_command(state, command(action, heat, actor), T0 + timedelta(seconds=seconds))
        assert refused is None
        steps += out
    with sessions.begin() as session:
        record_incident_events(steps, session=session)

    day = T0.astimezone(timezone(timedelta(hours=8))).date().isoformat()
    env = {**os.environ, "GRIDALERT_DATABASE_URL": url}
    result = subprocess.run([sys.executable, "-m", "gridalert", "report", "--period", "day", "--date", day,
                             "--out", str(tmp_path / "out")], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{day}: 2 incident(s)" in result.stdout
    with (tmp_path / "out" / f"kpi-{day}.csv").open(encoding="utf-8-sig") as f:
        rows = {(r["scope"], r["name"]): r for r in csv.DictReader(f)}
    assert rows[("district", "all")]["response_rate"] == "0.5"
    assert rows[("district", "all")]["completion_rate"] == "0.5"
    assert rows[("township", "金华园街道")]["incidents"] == "2"
    assert rows[("department", "fire")]["orders"] == "1"
    assert rows[("department", "fire")].keys() >= {"completion_rate", "on_time_rate", "satisfaction_rate",
                                                   "mtta_s", "mttr_s"}
    png = (tmp_path / "out" / f"kpi-{day}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_a_month_that_is_no_month_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "gridalert", "report", "--period", "month", "--date", "Nov"],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "GRIDALERT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert result.returncode == 2 and "'Nov' is not a month; write it as YYYY-MM" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_period_is_a_local_day_or_month():
    from zoneinfo import ZoneInfo

    from gridalert.report import period_of

    shanghai = ZoneInfo("Asia/Shanghai")
    day = period_of("day", "2026-11-23", shanghai, datetime(2026, 11, 24).date())
    assert day.since == datetime(2026, 11, 22, 16, tzinfo=timezone.utc) and day.until - day.since == timedelta(days=1)
    month = period_of("month", None, shanghai, datetime(2026, 1, 15).date())
    assert month.label == "2025-12" and month.until == datetime(2025, 12, 31, 16, tzinfo=timezone.utc)
