"""``gridalert geo``: check a district's map files; build synthetic maps.

Owns the command-line wording only; the work is in ``geo.load`` and ``geo.synth``. Expected
failures end with a plain message and an exit code, never a traceback: 0 the map loads (clean or
warnings only), 1 warnings with ``--strict``, 2 the map would be refused, or a file is missing.
"""

from __future__ import annotations

import sys
import time
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from gridalert.config.errors import ConfigError
from gridalert.geo.report import EXIT_ERRORS

geo_app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                      help="Grid maps: check a district's files (`check`), build synthetic maps (`synth`).")


class Crs(str, Enum):
    wgs84 = "wgs84"
    gcj02 = "gcj02"


class Preset(str, Enum):
    small = "small"
    kaiyang = "kaiyang"
    province = "province"


def _fail(message: str, code: int = EXIT_ERRORS) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _must_exist(path: Optional[Path], what: str) -> None:
    if path is not None and not path.is_file():
        raise _fail(f"{path}: no such {what} file" if not path.exists() else f"{path}: not a file")


def _mapping(values: list[str]) -> dict[str, str]:
    from gridalert.geo.geojson import parse_mapping

    pairs = [pair for value in values for pair in value.split(",") if pair.strip()]
    try:
        return parse_mapping(pairs)
    except ValueError as exc:
        raise _fail(f"--mapping: {exc}") from None


@geo_app.command()
def check(
    file: Path = typer.Argument(..., help="the grids: a GeoJSON FeatureCollection of Polygon/MultiPolygon"),
    units: Optional[Path] = typer.Option(None, "--units", help="ten-household units (十联户) GeoJSON"),
    outline: Optional[Path] = typer.Option(None, "--outline", help="declared district outline GeoJSON (default: the grids' union)"),
    mapping: list[str] = typer.Option([], "--mapping", "-m", metavar="OURS=THEIRS",
                                      help="the file's property names, e.g. -m grid_id=WGBM -m village=CUN (or comma-separated)"),
    crs: Crs = typer.Option(Crs.wgs84, "--crs", help="the files' datum; gcj02 is converted to WGS84"),
    devices: Optional[Path] = typer.Option(None, "--devices", help="devices.yaml: also list devices in no grid"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when there are warnings"),
) -> None:
    """Check a grid map and print what a GIS clerk needs to fix: one line per problem.

    Exit 0: the map loads (clean or warnings only); 1: warnings and --strict; 2: refused.
    """
    from gridalert.geo.checks import CheckRules
    from gridalert.geo.geojson import ImportOptions
    from gridalert.geo.load import MapFiles, check_map

    for path, what in ((file, "grid map"), (units, "units"), (outline, "outline"), (devices, "devices")):
        _must_exist(path, what)
    options = ImportOptions(_mapping(mapping), crs.value)
    try:
        checked = check_map(MapFiles(file, units, outline, options, CheckRules()))
    except ConfigError as exc:
        raise _fail(f"{exc.render()}\nthe map is refused (nothing is loaded)") from None
    if devices is not None and not checked.report.errors:
        _add_device_warnings(checked, devices, crs.value)
    typer.echo(checked.report.render())
    if not checked.report.errors:
        typer.echo(f"version {checked.version}")
    raise typer.Exit(checked.report.exit_code(strict=strict))


def _add_device_warnings(checked, path: Path, crs: str) -> None:
    from gridalert.geo.devices import DeviceRegistry
    from gridalert.geo.gridmap import GridMap
    from gridalert.geo.report import FileReport

    report = FileReport(str(path))
    try:
        registry = DeviceRegistry.from_yaml(path, crs=crs)
    except ConfigError as exc:
        report.add([_as_error(entry, problem) for entry, problem in exc.problems])
    else:
        report.add(registry.outside_grids(GridMap(checked.grids)))
        report.summary = f"{len(registry):,} devices"
    checked.report.files.append(report)


def _as_error(entry: str, problem: str):
    from gridalert.geo.report import error

    return error(entry, problem)


@geo_app.command()
def synth(
    preset: Preset = typer.Option(Preset.small, "--preset", help="small (36 grids), kaiyang (853), province (100,000)"),
    townships: Optional[int] = typer.Option(None, "--townships", min=1),
    villages: Optional[int] = typer.Option(None, "--villages", min=1),
    grids: Optional[int] = typer.Option(None, "--grids", min=1),
    districts: Optional[int] = typer.Option(None, "--districts", min=1),
    seed: int = typer.Option(0, "--seed", help="same seed, same map"),
    outline: Optional[Path] = typer.Option(None, "--outline", help="GeoJSON polygon to fill (default: the preset's)"),
    gaps: int = typer.Option(0, "--gaps", min=0, help="leave this many grid-sized holes, to see `check` report them"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="grids GeoJSON to write (default: standard output)"),
    units_out: Optional[Path] = typer.Option(None, "--units-out", help="also write ten-household units (household points)"),
    households: str = typer.Option("20-60", "--households", metavar="MIN-MAX", help="households per grid, for --units-out"),
    devices_out: Optional[Path] = typer.Option(None, "--devices-out", help="also write a devices.yaml"),
    devices: int = typer.Option(0, "--devices", min=0, help="how many devices (default: two per grid)"),
) -> None:
    """Build a synthetic district whose grids tile exactly; deterministic by seed.

    Townships, villages and grids (50–200 vertices each) inside an outline; optionally households
    grouped in ten-household units, and devices.
    """
    from gridalert.geo import synth as synthetic

    _must_exist(outline, "outline")
    try:
        shape = synthetic.read_outline(outline) if outline else None
        spec = synthetic.spec_for(preset.value, townships=townships, villages=villages, grids=grids,
                                  districts=districts, seed=seed, outline=shape, gaps=gaps)
        per_grid = tuple(int(n) for n in households.split("-", 1))
        if len(per_grid) != 2 or not 1 <= per_grid[0] <= per_grid[1]:
            raise ValueError("--households must be MIN-MAX, e.g. 20-60")
    except (ValueError, KeyError, OSError) as exc:
        raise _fail(f"gridalert geo synth: {exc}") from None
    started = time.perf_counter()
    built = synthetic.build(spec)
    written = _write(out, lambda stream: synthetic.write_features(stream, built.features()))
    homes = synthetic.households(built, per_grid, seed) if units_out or (devices_out and units_out) else []
    if units_out:
        _write(units_out, lambda stream: synthetic.write_features(stream, synthetic.unit_features(homes)))
    if devices_out:
        entries = synthetic.devices(built, devices or 2 * len(built.infos), homes, seed)
        _write(devices_out, lambda stream: synthetic.write_devices(stream, entries))
    villages_n = len({(i.district, i.village) for i in built.infos})
    townships_n = len({(i.district, i.township) for i in built.infos})
    typer.echo(f"wrote {written} grids ({villages_n} villages, {townships_n} townships) to {out or 'standard output'}"
               f"{f', units to {units_out}' if units_out else ''}{f', devices to {devices_out}' if devices_out else ''}"
               f" in {time.perf_counter() - started:.1f} s", err=True)


def _write(path: Optional[Path], write) -> int:
    if path is None:
        return write(sys.stdout)
    try:
        with open(path, "w", encoding="utf-8") as stream:
            return write(stream)
    except OSError as exc:
        raise _fail(f"{path}: cannot write: {exc}") from None
