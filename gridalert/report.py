"""``gridalert report``: a day's or a month's key figures as CSV and as a PNG chart.

Reads the projection (incidents opened in the period and their timelines), computes the figures
with ``incidents.kpis`` for the whole district, per township and per joint-dispatch department,
and writes ``kpi-<period>.csv`` and ``kpi-<period>.png`` into the output folder. The chart labels
are in Chinese and English; the font (Noto Sans CJK SC) comes with the ``report`` extra.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

from gridalert.incidents.kpis import STAGES, case_of, department_figures, figures
from gridalert.store import incidents_opened_between

RATES = (("response_rate", "响应率 response"), ("completion_rate", "办结率 completion"),
         ("on_time_rate", "按期处置率 on time"), ("satisfaction_rate", "满意率 satisfaction"))


@dataclass(frozen=True)
class Period:
    label: str  # 2026-11-23 or 2026-11
    since: datetime
    until: datetime


def period_of(kind: str, when: Optional[str], tz: ZoneInfo, today: date) -> Period:
    """The local day or month named by ``when`` (default: yesterday, or last month), as UTC bounds.

    Raises ``ValueError`` with a message for a person when ``when`` does not name one.
    """
    if kind == "day":
        day = date.fromisoformat(when) if when else today - timedelta(days=1)
        start, end = day, day + timedelta(days=1)
        label = day.isoformat()
    elif kind == "month":
        if when:
            try:
                year, month = (int(part) for part in when.split("-"))
                start = date(year, month, 1)
            except ValueError:
                raise ValueError(f"{when!r} is not a month; write it as YYYY-MM, e.g. 2026-11") from None
        else:
            start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        label = f"{start:%Y-%m}"
    else:
        raise ValueError(f"period must be day or month, not {kind!r}")
    bound = lambda d: datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(timezone.utc)  # noqa: E731
    return Period(label, bound(start), bound(end))


def rows_for(period: Period, limits_s, *, session) -> list[dict]:
    """Table rows: the district, each township, each department."""
    cases = [case_of(incident, steps) for incident, steps in incidents_opened_between(
        period.since, period.until, session=session)]
    rows = [{"scope": "district", "name": name, **found.row()}
            for name, found in figures(cases, limits_s).items()]
    rows += [{"scope": "township", "name": name, **found.row()}
             for name, found in figures(cases, limits_s, group=lambda case: case.township).items()]
    rows += [{"scope": "department", "name": name, **found}
             for name, found in department_figures(cases, limits_s).items()]
    return rows


def write_csv(rows: list[dict], path: Path) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    with path.open("w", newline="", encoding="utf-8-sig") as out:  # the BOM lets Excel read the Chinese
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else round(v, 4) if isinstance(v, float) else v)
                             for k, v in row.items()})


def cjk_font() -> Optional[str]:
    """The name of a font with Chinese glyphs, registered with matplotlib (None: none found)."""
    from matplotlib import font_manager

    try:
        import mplfonts
        bundled = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
        if bundled.exists():
            font_manager.fontManager.addfont(str(bundled))
            return font_manager.FontProperties(fname=str(bundled)).get_name()
    except ImportError:
        pass
    for font in font_manager.fontManager.ttflist:
        if any(mark in font.name for mark in ("CJK", "WenQuanYi", "SimHei", "Source Han")):
            return font.name
    return None


def write_png(rows: list[dict], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = cjk_font()
    if font:
        plt.rcParams["font.family"] = [font, "DejaVu Sans"]
    areas = [r for r in rows if r["scope"] in ("district", "township")]
    names = ["全区 district" if r["scope"] == "district" else r["name"] for r in areas]
    figure, (rates, stages) = plt.subplots(2, 1, figsize=(11, 9), constrained_layout=True)
    width = 0.8 / len(RATES)
    for i, (key, label) in enumerate(RATES):
        values = [100 * (r[key] or 0) for r in areas]
        rates.bar([x + i * width for x in range(len(areas))], values, width, label=label)
    rates.set_xticks([x + 0.4 - width / 2 for x in range(len(areas))], names)
    rates.set_ylim(0, 105)
    rates.set_ylabel("%")
    rates.set_title("考核指标 rates")
    rates.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=len(RATES), fontsize="small")
    width = 0.8 / len(STAGES)
    for i, stage in enumerate(STAGES):
        values = [(r[f"p90 {stage} (s)"] or 0) / 60 for r in areas]  # minutes; 0: not measured
        stages.bar([x + i * width for x in range(len(areas))], values, width, label=stage)
    stages.set_xticks([x + 0.4 - width / 2 for x in range(len(areas))], names)
    stages.set_yscale("log")  # seconds to dispatch and days to resolve on one chart
    stages.set_ylabel("min (log)")
    stages.set_title("各环节 90% 用时 90th-percentile time per stage")
    stages.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=len(STAGES), fontsize="small")
    figure.suptitle(title)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(session, *, district: str, limits_s, period: Period, out_dir: Path) -> tuple[Path, Path, list[dict]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = rows_for(period, limits_s, session=session)
    csv_path, png_path = out_dir / f"kpi-{period.label}.csv", out_dir / f"kpi-{period.label}.png"
    write_csv(rows, csv_path)
    write_png(rows, f"{district} {period.label} 考核指标 key figures", png_path)
    return csv_path, png_path, rows
