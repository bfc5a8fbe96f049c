"""The check report of a grid map: problems a GIS clerk can act on, with severity and place.

Owns the problem record, its wording conventions and exit codes; knows nothing of geometry.

Severity:

- ``error`` — the map is refused; nothing of it is loaded (``ConfigError`` lists the errors);
- ``warning`` — the map loads as it is, or as repaired; the line says what was done or what
  to look at.

Every line names what it is about the same way: ``features[12] (grid_id GY-07)`` for a feature
(its position in the file, counting from 0, as GIS tools' attribute tables do not), ``gap 3``
for a place in no grid. Where a problem has a place, the line gives lon/lat (WGS84, 6 decimals,
about 0.1 m) of a point inside it and its area in m², so the clerk can zoom straight to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from gridalert.config.errors import ConfigError

EXIT_OK = 0  # clean, or warnings only: the map loads
EXIT_WARNINGS_STRICT = 1  # warnings only, and --strict was asked for
EXIT_ERRORS = 2  # errors: the map would be refused (also: file missing or unreadable)


class Severity(str, Enum):
    error = "error"
    warning = "warning"


@dataclass(frozen=True)
class Problem:
    """One line of the report. ``order`` sorts lines (file position first, then what came up)."""

    severity: Severity
    entry: str
    message: str
    order: tuple = ()
    lon: Optional[float] = None
    lat: Optional[float] = None
    area_m2: Optional[float] = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.error

    def line(self) -> str:
        return f"{self.severity.value:<7} {self.entry}: {self.message}"


def error(entry: str, message: str, order: tuple = (), **place) -> Problem:
    return Problem(Severity.error, entry, message, order, **place)


def warning(entry: str, message: str, order: tuple = (), **place) -> Problem:
    return Problem(Severity.warning, entry, message, order, **place)


def where(lon: float, lat: float) -> str:
    """``lon 106.631000, lat 26.621000``: the words every located line uses."""
    return f"lon {lon:.6f}, lat {lat:.6f}"


def square_metres(area: float) -> str:
    """``1,234 m²``; below 10 m² with two decimals, so a 0.04 m² sliver does not read as 0."""
    return f"{area:,.2f} m²" if area < 10 else f"{area:,.0f} m²"


@dataclass
class FileReport:
    """The problems of one file, and a one-line summary of what it holds."""

    file: str
    summary: str = ""
    problems: list[Problem] = field(default_factory=list)

    def add(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    def sorted(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (p.order, p.severity is not Severity.error))

    def raise_if_errors(self) -> None:
        """Refuse the file: one ``ConfigError`` naming every error (warnings are not repeated)."""
        errors = [p for p in self.sorted() if p.is_error]
        if errors:
            raise ConfigError(self.file, [(p.entry, p.message) for p in errors])


@dataclass
class CheckReport:
    """Reports of the files that make up one map (grids, and units or outline if given)."""

    files: list[FileReport] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for f in self.files for p in f.errors]

    @property
    def warnings(self) -> list[Problem]:
        return [p for f in self.files for p in f.warnings]

    def exit_code(self, *, strict: bool = False) -> int:
        if self.errors:
            return EXIT_ERRORS
        return EXIT_WARNINGS_STRICT if strict and self.warnings else EXIT_OK

    def render(self) -> str:
        lines = []
        for report in self.files:
            lines.append(f"{report.file}{' — ' + report.summary if report.summary else ''}")
            lines.extend("  " + p.line() for p in report.sorted())
        errors, warnings = len(self.errors), len(self.warnings)
        if errors:
            verdict = f"{_count(errors, 'error')}, {_count(warnings, 'warning')}: the map is refused (nothing is loaded)"
        elif warnings:
            verdict = f"{_count(warnings, 'warning')}: the map loads"
        else:
            verdict = "no problems: the map loads"
        lines.append(verdict)
        return "\n".join(lines)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
