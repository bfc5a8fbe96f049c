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
