"""Pure pieces of the pipeline benchmark's report: percentiles, verdicts, the Markdown table, the
"Pipeline" section of docs/performance.md, and the plot. No Kafka, no processes: unit-tested in
tests/unit/test_bench_figures.py.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``; ``inf`` stands for a value never
    observed (a page that did not arrive), so a percentile that reaches one is ``inf`` too."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def print_figures(figures: dict) -> None:
    """A benchmark's figures, one per line: name, then value (numbers with thousands separators)."""
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        print(f"{name:<{width}}  {value:,}" if number else f"{name:<{width}}  {value}")


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure, and the issue's target for it if there is one."""

    what: str
    value: str
    target: str = ""
    verdict: str = ""


def at_least(value: float, target: float, unit: str = "") -> str:
    """Verdict for a floor: ``met`` or how far below it the value is."""
    if math.isnan(value):
        return "not measured"
    if value >= target:
        return "met"
    return f"missed: {value:.2f}{unit} against {target:g}{unit} ({value / target:.0%} of the target)"


def at_most(value: float, target: float, unit: str = "") -> str:
    """Verdict for a ceiling: ``met`` or how far above it the value is."""
    if math.isnan(value):
        return "not measured"
    if math.isinf(value):
        return f"missed: not every page arrived (> {target:g}{unit})"
    if value <= target:
        return "met"
    return f"missed: {value:,.0f}{unit} is {value / target:.1f}× the {target:g}{unit} target"


def rate(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.0f} events/s"


def millis(seconds: float) -> str:
    if math.isnan(seconds):
        return "n/a"
    if math.isinf(seconds):
        return "never (page not arrived)"
    return f"{seconds * 1000:,.0f} ms"


def markdown_table(rows: Iterable[Row]) -> str:
    lines = ["| measurement | figure | target (issue 9) | verdict |", "|---|---|---|---|"]
    lines += [f"| {r.what} | {r.value} | {r.target} | {r.verdict} |" for r in rows]
    return "\n".join(lines)


LATENCY_TARGETS = {1_000: 0.25, 5_000: 1.0}  # offered events/s → p99 ceiling, s (issue 9)
MAP_NAMES = {"kaiyang": "Kaiyang map (853 grids)", "province": "province map (100,000 grids)"}


def rows(results: dict) -> list[Row]:
    reference = results["reference"]["rate"]
    table = [Row("bare aiokafka consume→produce (reference)", rate(reference))]
    by_map: dict[str, dict[int, float]] = {}
    for key, figures in results["throughput"].items():
        preset, workers = key.split("/")
        share = figures["rate"] / reference
        by_map.setdefault(preset, {})[int(workers)] = figures["rate"]
        per_worker = share / int(workers)
        table.append(Row(f"full pipeline, {MAP_NAMES[preset]}, {workers} worker(s)",
                         f"{rate(figures['rate'])} = {share:.1%} of the reference "
                         f"({per_worker:.1%} per worker; {figures['cpu_us_per_event']:,.0f} µs worker CPU per event; "
                         f"{figures['paged']}/{figures['alarms']} alarms paged, {figures['dead_letters']} dead letters)",
                         "≥ 50% per worker", at_least(per_worker * 100, 50, "%")))
    for preset, rates in by_map.items():
        if 1 in rates and 2 in rates:
            table.append(Row(f"two workers / one, {MAP_NAMES[preset]}", f"{rates[2] / rates[1]:.2f}×", "≥ 1.7×",
                             at_least(rates[2] / rates[1], 1.7, "×")))
    for offered, figures in results["latency"].items():
        target = LATENCY_TARGETS.get(int(offered))
        table.append(Row(f"produce → page, {int(offered):,} events/s offered for {figures['seconds']:.0f} s "
                         f"({figures['sent_rate']:,.0f}/s sent; {figures['behind_at_end']:,} events not yet taken in when "
                         f"the producer stopped; {figures['paged']}/{figures['alarms']} alarms paged within "
                         f"{figures['page_wait_s']:.0f} s after it stopped)",
                         " / ".join(f"p{q} {millis(figures[f'p{q}'])}" for q in (50, 90, 99)),
                         f"p99 < {target * 1000:,.0f} ms" if target else "",
                         at_most(figures["p99"] * 1000, target * 1000, " ms") if target else ""))
    table += helper_rows(results.get("helpers", {}))
    return table


# The other helpers' targets (issue 9): the figure each reports for it, and its ceiling.
HELPER_TARGETS = {
    "timers": ("escalation steps' lateness p99, 100,000 open incidents", "lateness_p99_ms", 1000.0, " ms"),
    "residents": ("worker memory per 1,000,000 monitored residents", "rss_mb_per_1M", 300.0, " MB"),
}


def helper_rows(helpers: dict[str, dict]) -> list[Row]:
    """Per helper: its target figure with a verdict, then all its figures in one row."""
    table = []
    for name, (what, key, ceiling, unit) in HELPER_TARGETS.items():
        target = f"≤ {ceiling:,.0f}{unit}"
        figures = helpers.get(name)
        if figures is None:
            table.append(Row(what, f"not measured: benchmarks/{name}.py absent or skipped", target, "not measured"))
            continue
        value = figures.get(key, math.nan)
        table.append(Row(f"{what} (benchmarks/{name}.py: {key})", f"{value:,}{unit}", target,
                         at_most(float(value), ceiling, unit)))
        table.append(Row(f"benchmarks/{name}.py, every figure", "; ".join(
            f"{k} {v:,}" if isinstance(v, (int, float)) and not isinstance(v, bool) else f"{k} {v}"
            for k, v in figures.items())))
    return table


def replace_section(document: str, heading: str, body: str) -> str:
    """``document`` with the level-2 section ``heading`` (up to the next ``## ``) replaced by
    ``body``; appended at the end if the document has no such section."""
    section = f"## {heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(document):
        return pattern.sub(lambda _: section + "\n", document, count=1).rstrip("\n") + "\n"
    return document.rstrip("\n") + "\n\n" + section


def plot(path: Path, throughput: dict[str, float], latencies: dict[str, list[tuple[float, float]]],
         title: Optional[str] = None) -> None:
    """Two panels: events/s per run (reference first, log scale); and each alarm's produce → page
    latency against when it was sent, one series per offered rate, with the issue's ceilings."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = list(throughput)[::-1]
    left.barh(names, [throughput[n] for n in names], color="#4C72B0")
    left.set_xscale("log")
    left.set_xlabel("events per second, log scale (higher is better)")
    left.set_title("Throughput, one run on one Apache Kafka", fontsize=10)
    left.tick_params(axis="y", labelsize=8)
    for y, name in enumerate(names):
        left.annotate(f"{throughput[name]:,.0f}", (throughput[name], y), va="center", fontsize=8,
                      xytext=(3, 0), textcoords="offset points")
    for label, samples in latencies.items():
        if samples:
            right.plot([s for s, _ in samples], [d * 1000 for _, d in samples], ".-", ms=3, lw=0.6, label=label)
    right.set_yscale("log")
    right.set_xlabel("alarm sent, s after the paced run's first alarm")
    right.set_ylabel("produce → page at the receiver, ms (log)")
    right.set_title("Latency of each alarm at a steady offered rate", fontsize=10)
    right.axhline(250, color="grey", ls="--", lw=0.8, label="target at 1,000/s (p99 250 ms)")
    right.axhline(1000, color="grey", ls=":", lw=0.8, label="target at 5,000/s (p99 1 s)")
    right.legend(fontsize=7)
    if title:
        fig.suptitle(textwrap.fill(title, 170), fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
