"""Loading a district's map files as one checked whole: grids, optional units and outline.

Owns the sequence: read each file once, hash the bytes into the map's version, check features
(``geo.geojson``), then the map as a whole (``geo.checks``) and the units against the grids
(``geo.units``), and return the parts with one report. Every problem is found in one pass, so
one run of ``gridalert geo check`` shows the whole list. Must not build the index or locate.

Version: the first 12 hex digits of SHA-256 over the grids file's bytes; when a units or outline
file or non-default import options are used, their bytes and a text of the options are hashed in
too. The same files always give the same version; any change of content gives a new one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import shapely

from gridalert.config.errors import ConfigError
from gridalert.geo import checks, gcj02
from gridalert.geo.checks import CheckRules
from gridalert.geo.geojson import ImportOptions, read_document, read_features
from gridalert.geo.gridmap import GridInfo
from gridalert.geo.report import CheckReport, FileReport, error
from gridalert.geo.units import UnitInfo, read_units

VERSION_DIGITS = 12


@dataclass
class MapFiles:
    """The files of one map and how to read them."""

    grids: Path
    units: Optional[Path] = None
    outline: Optional[Path] = None
    options: ImportOptions = ImportOptions()
    rules: CheckRules = CheckRules()

    @property
    def paths(self) -> list[Path]:
        return [p for p in (self.grids, self.units, self.outline) if p is not None]


@dataclass
class CheckedMap:
    """What ``check_map`` found: usable parts only when ``report.errors`` is empty."""

    grids: list[tuple[GridInfo, shapely.Geometry]]
    units: Optional[list[tuple[UnitInfo, shapely.Geometry]]]
    report: CheckReport
    version: str

    def raise_if_errors(self) -> None:
        """Refuse the map: one ``ConfigError`` on the first file with errors, naming every error of
        every file (other files' entries are prefixed with their file name)."""
        failing = [f for f in self.report.files if f.errors]
        if not failing:
            return
        problems = [(p.entry, p.message) for p in failing[0].sorted() if p.is_error]
        for other in failing[1:]:
            problems += [(f"{other.file}: {p.entry}", p.message) for p in other.sorted() if p.is_error]
        raise ConfigError(failing[0].file, problems)


def version_of(contents: list[bytes], options: ImportOptions = ImportOptions()) -> str:
    """The map version for the files' bytes (grids first) and options; see the module notes."""
    digest = hashlib.sha256(contents[0])
    for data in contents[1:]:
        digest.update(b"\0" + hashlib.sha256(data).digest())
    if options != ImportOptions():
        digest.update(b"\0" + options.describe().encode("utf-8"))
    return digest.hexdigest()[:VERSION_DIGITS]


def read_bytes(files: MapFiles) -> list[bytes]:
    """Every file's bytes, in ``files.paths`` order; ``ConfigError`` for a missing or unreadable one."""
    contents = []
    for path in files.paths:
        try:
            contents.append(Path(path).read_bytes())
        except FileNotFoundError:
            raise ConfigError(path, [("(file)", "does not exist")]) from None
        except OSError as exc:
            raise ConfigError(path, [("(file)", f"cannot be read: {exc}")]) from None
    return contents


def check_map(files: MapFiles, contents: Optional[list[bytes]] = None) -> CheckedMap:
    """Read and check the map's files (or their ``contents``, already read).

    Raises ``ConfigError`` only when a file cannot be read or parsed at all (not JSON, not a
    FeatureCollection); every other problem is in the report.
    """
    contents = read_bytes(files) if contents is None else contents
    data = dict(zip(files.paths, contents))
    report = CheckReport()
    features, grid_report = read_features(read_document(files.grids, data[files.grids]), str(files.grids), files.options)
    report.files.append(grid_report)
    infos = [GridInfo(**f.properties) for f in features]
    geometries = np.array([f.geometry for f in features], dtype=object)
    entries = [f.entry for f in features]
    outline = _read_outline(files, data[files.outline], report) if files.outline else None
    if features:
        # Hierarchy and overlaps are exact on the features that passed their own checks, so they
        # are reported in the same run; gaps are not (a refused feature would leave a false one).
        feature_errors = bool(grid_report.errors)
        grid_report.add(checks.hierarchy(entries, [f.properties for f in features]))
        ids = [info.grid_id for info in infos]
        coverage = checks.is_coverage(geometries)
        grid_report.add(checks.overlaps(entries, ids, geometries, files.rules, coverage))
        if not feature_errors:
            union = checks.district_union(geometries, coverage)
            grid_report.add(checks.gaps(ids, geometries, union, outline, files.rules))
            if outline is not None:
                grid_report.add(checks.outside_outline(entries, geometries, outline, files.rules))
    grid_report.summary = _summary(infos, outline is not None)
    units = None
    if files.units is not None:
        by_id = {info.grid_id: g for info, g in zip(infos, geometries)}
        units, unit_report = read_units(read_document(files.units, data[files.units]), str(files.units),
                                        files.options, by_id, files.rules)
        report.files.append(unit_report)
    return CheckedMap(list(zip(infos, geometries)), units, report, version_of(contents, files.options))


def _summary(infos: list[GridInfo], declared_outline: bool) -> str:
    districts = sorted({i.district for i in infos})
    villages = len({(i.district, i.village) for i in infos})
    townships = len({(i.district, i.township) for i in infos})
    where = districts[0] if len(districts) == 1 else f"{len(districts)} districts"
    outline = "declared outline" if declared_outline else "outline: the union of the grids"
    return f"{len(infos):,} grids in {villages:,} villages, {townships:,} townships of {where} ({outline})"


def _read_outline(files: MapFiles, data: bytes, report: CheckReport) -> Optional[shapely.Geometry]:
    """The declared district outline: a Polygon/MultiPolygon geometry, Feature or FeatureCollection."""
    source = str(files.outline)
    document = read_document(files.outline, data)
    file_report = FileReport(source)
    report.files.append(file_report)
    kind = document.get("type") if isinstance(document, dict) else None
    try:
        if kind == "FeatureCollection":
            shapes = [shapely.geometry.shape(f["geometry"]) for f in document["features"]]
        elif kind == "Feature":
            shapes = [shapely.geometry.shape(document["geometry"])]
        else:
            shapes = [shapely.geometry.shape(document)]
        outline = shapely.union_all(shapely.make_valid(np.array(shapes, dtype=object)))
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
        file_report.add([error("(top level)", f"not a usable outline: {exc}")])
        return None
    outline = checks.polygonal(outline) if outline.geom_type == "GeometryCollection" else outline
    if outline.is_empty or outline.geom_type not in ("Polygon", "MultiPolygon"):
        file_report.add([error("(top level)", "the outline must be a Polygon or MultiPolygon")])
        return None
    if files.options.crs == "gcj02":
        outline = shapely.transform(outline, lambda xy: np.column_stack(gcj02.to_wgs84(xy[:, 0], xy[:, 1])))
    file_report.summary = "district outline"
    return outline
