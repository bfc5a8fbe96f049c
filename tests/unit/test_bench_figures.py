"""The pipeline benchmark's report arithmetic: percentiles, verdicts against the issue's targets,
the Markdown table and the docs section it replaces (benchmarks/figures.py; the harness itself is
not a test: ``make bench``)."""

from __future__ import annotations

import math

import pytest

from benchmarks.figures import Row, at_least, at_most, markdown_table, millis, percentile, replace_section


@pytest.mark.parametrize("values, q, expected", [
    ([0.3, 0.1, 0.2], 50, 0.2),
    ([0.3, 0.1, 0.2], 100, 0.3),
    ([5.0], 99, 5.0),
    (list(range(1, 101)), 90, 90),
    (list(range(1, 101)), 99, 99),
    ([0.1, 0.2, math.inf], 50, 0.2),       # a page that never came counts as the slowest
    ([0.1, 0.2, math.inf], 99, math.inf),
])
def test_percentile_is_nearest_rank(values, q, expected):
    assert percentile(values, q) == expected


def test_percentile_of_nothing_is_nan():
    assert math.isnan(percentile([], 50))


@pytest.mark.parametrize("verdict, expected", [
    (at_least(62.0, 50, "%"), "met"),
    (at_least(1.2, 50, "%"), "missed: 1.20% against 50% (2% of the target)"),
    (at_least(1.7, 1.7, "×"), "met"),
    (at_least(1.5, 1.7, "×"), "missed: 1.50× against 1.7× (88% of the target)"),
    (at_most(180.0, 250, " ms"), "met"),
    (at_most(2500.0, 250, " ms"), "missed: 2,500 ms is 10.0× the 250 ms target"),
    (at_most(math.inf, 1000, " ms"), "missed: not every page arrived (> 1000 ms)"),
    (at_least(math.nan, 50), "not measured"),
])
def test_verdicts_say_met_or_by_how_much_missed(verdict, expected):
    assert verdict == expected


def test_millis_names_pages_that_never_came():
    assert (millis(0.0123), millis(math.inf)) == ("12 ms", "never (page not arrived)")


def test_markdown_table_has_a_row_per_figure():
    table = markdown_table([Row("reference", "50,000 events/s"), Row("p99", "80 ms", "< 250 ms", "met")])
    assert table.splitlines() == ["| measurement | figure | target (issue 9) | verdict |", "|---|---|---|---|",
                                  "| reference | 50,000 events/s |  |  |", "| p99 | 80 ms | < 250 ms | met |"]


DOC = "# Performance\n\nIntro.\n\n## Grid location (geo)\n\nGeo figures.\n\n## Pipeline\n\nOld figures.\n\n## Later\n\nKept.\n"


def test_replace_section_replaces_only_that_section():
    new = replace_section(DOC, "Pipeline", "New figures.")
    assert "Old figures" not in new
    assert "## Pipeline\n\nNew figures.\n\n## Later\n\nKept.\n" in new
    assert "## Grid location (geo)\n\nGeo figures." in new


def test_replace_section_appends_when_missing():
    new = replace_section("# Performance\n\n## Grid location (geo)\n\nGeo.\n", "Pipeline", "Figures.")
    assert new.endswith("Geo.\n\n## Pipeline\n\nFigures.\n")


def test_replace_section_does_not_touch_a_section_whose_name_only_starts_alike():
    doc = "## Pipeline\n\nOld.\n\n## Pipeline: why\n\nHand-written.\n"
    assert replace_section(doc, "Pipeline", "New.") == "## Pipeline\n\nNew.\n\n## Pipeline: why\n\nHand-written.\n"


RESULTS = {
    "reference": {"rate": 20_000.0},
    "throughput": {"kaiyang/1": {"rate": 400.0, "cpu_us_per_event": 1800.0, "paged": 10, "alarms": 10, "dead_letters": 0},
                   "kaiyang/2": {"rate": 720.0, "cpu_us_per_event": 1900.0, "paged": 10, "alarms": 10, "dead_letters": 0}},
    "latency": {"1000": {"seconds": 20.0, "sent_rate": 998.0, "behind_at_end": 12_000, "paged": 99, "alarms": 100,
                         "page_wait_s": 120.0, "p50": 5.0, "p90": 9.0, "p99": math.inf}},
    "helpers": {"timers": {"lateness_p99_ms": 420.5, "steps_fired": 4000}},
}


def test_rows_judge_each_target_of_the_issue():
    from benchmarks.figures import rows

    table = rows(RESULTS)

    def row(start: str):
        return next(r for r in table if r.what.startswith(start))

    assert row("full pipeline, Kaiyang map (853 grids), 1 worker").verdict == "missed: 2.00% against 50% (4% of the target)"
    assert (row("two workers / one").value, row("two workers / one").verdict) == ("1.80×", "met")
    latency = row("produce → page, 1,000")
    assert (latency.target, latency.verdict) == ("p99 < 250 ms", "missed: not every page arrived (> 250 ms)")
    assert row("escalation steps' lateness p99").verdict == "met"
    assert row("worker memory per 1,000,000").verdict == "not measured"
