"""Hot reload of the grid map and the device registry: new files take effect without a restart.

Owns watching files and swapping what was loaded from them. ``maybe_reload()`` is cheap when
nothing changed (a ``stat`` per file, at most once per ``min_interval_s``); when a file changed
it loads the new content completely and only then swaps it in, so a reader sees either the old
map or the new one, never a mix. A new file with errors (or half-written, mid-copy) keeps the old
map, logs its problems once (logger ``gridalert.geo``) and returns False: the worker never stops
for a bad file. Must not locate or decide anything.

Use: take ``current`` once per event and use that one object for the whole event, so the place
and the recorded ``version`` always belong together::

    grids = maps.current
    place = grids.locate(lon, lat)
    record(place, map_version=grids.version)

Why content hashes as well as ``stat``: file systems stamp times with coarse clocks, so a file
rewritten twice within one tick with the same size looks unchanged. While a file's stamp is
younger than ``RACY_S`` its bytes are hashed on every check ("racily clean", as git calls it).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Generic, Optional, TypeVar

from gridalert.config.errors import ConfigError
from gridalert.geo.checks import CheckRules
from gridalert.geo.devices import DeviceRegistry
from gridalert.geo.geojson import ImportOptions
from gridalert.geo.gridmap import GridMap
from gridalert.geo.load import MapFiles, check_map, version_of

log = logging.getLogger("gridalert.geo")

T = TypeVar("T")
RACY_S = 2.0
MAX_LOGGED = 20  # problem lines logged per failed or warned load; the rest are counted


class ReloadingFiles(Generic[T]):
    """What was loaded from some files, reloaded when they change.

    Parameters
    ----------
    paths : sequence of Path
        The files to watch (all are read for every load).
    load : callable
        ``load(contents) -> (value, version)`` from the files' bytes; raises ``ConfigError``
        to refuse them.
    what : str
        Names the thing in log lines, e.g. "grid map".
    min_interval_s : float
        ``maybe_reload`` looks at the files at most this often; calls in between return False.

    The first load happens in the constructor; its ``ConfigError`` propagates (there is no old
    value to keep).
    """

    def __init__(self, paths: Sequence[Path], load: Callable[[list[bytes]], tuple[T, str]], *, what: str,
                 min_interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self._paths = [Path(p) for p in paths]
        self._load = load
        self._what = what
        self._interval = min_interval_s
        self._clock = clock
        try:
            stats = self._stat()
        except FileNotFoundError as exc:
            raise ConfigError(exc.filename, [("(file)", "does not exist")]) from None
        contents = self._read()
        self._current, self._version = load(contents)
        self._accept(stats, contents)
        self._failed: Optional[str] = None  # digest of the last refused contents, logged once
        self._checked_at = clock()

    @property
    def current(self) -> T:
        """The value in use; read it once per event (see the module notes)."""
        return self._current

    @property
    def version(self) -> str:
        return self._version

    @property
    def loaded_at(self) -> datetime:
        """When the current value was loaded (UTC)."""
        return self._loaded_at

    def maybe_reload(self) -> bool:
        """Load the files again if they changed; True if a new value is now current."""
        now = self._clock()
        if now - self._checked_at < self._interval:
            return False
        self._checked_at = now
        try:
            stats = self._stat()
        except OSError:
            return False  # a file is missing for a moment (replaced by rename): look again later
        if stats == self._stats and not self._racy:
            return False
        try:
            contents = self._read()
        except ConfigError:
            return False
        digest = _digest(contents)
        if digest == self._digest:
            self._stats, self._racy = stats, _is_racy(stats)
            return False
        if digest == self._failed:
            return False  # the same refused content: already logged
        previous = self._version
        try:
            value, version = self._load(contents)
        except ConfigError as exc:
            self._failed = digest
            _log_problems(log.error, f"{self._what}: new {exc.file} refused; keeping version {previous}",
                          [f"{exc.file}: {entry}: {problem}" for entry, problem in exc.problems])
            return False
        except Exception:  # never let a bad file stop the worker; the old value stays in use
            self._failed = digest
            log.exception("%s: loading the changed files failed; keeping version %s", self._what, previous)
            return False
        self._current, self._version = value, version
        self._accept(stats, contents)
        self._failed = None
        log.info("%s: loaded version %s (was %s)", self._what, version, previous)
        return True

    def _accept(self, stats, contents: list[bytes]) -> None:
        self._stats, self._racy = stats, _is_racy(stats)
        self._digest = _digest(contents)
        self._loaded_at = datetime.now(timezone.utc)

    def _stat(self) -> tuple:
        result = []
        for path in self._paths:
            st = os.stat(path)
            result.append((st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(result)

    def _read(self) -> list[bytes]:
        contents = []
        for path in self._paths:
            try:
                contents.append(path.read_bytes())
            except OSError as exc:
                raise ConfigError(path, [("(file)", f"cannot be read: {exc}")]) from None
        return contents


class ReloadingGridMap(ReloadingFiles[GridMap]):
    """The grid map from ``path`` (and optional units/outline files), reloaded when they change.

    Keyword arguments are ``GridMap.from_geojson``'s: ``units``, ``outline``, ``mapping``,
    ``crs``, ``rules``. Warnings of a loaded map are logged; a map with errors is refused.

    Examples
    --------
    >>> from gridalert.config import SAMPLE_CONFIG_DIR
    >>> maps = ReloadingGridMap(SAMPLE_CONFIG_DIR / "grids.geojson")
    >>> maps.current.locate(106.6310, 26.6210).grid_id, maps.version == maps.current.version
    ('GSH-JHY-01-03', True)
    >>> maps.maybe_reload()
    False
    """

    def __init__(self, path: str | Path, *, units: str | Path | None = None, outline: str | Path | None = None,
                 mapping: Optional[dict] = None, crs: str = "wgs84", rules: Optional[CheckRules] = None,
                 min_interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic):
        files = MapFiles(Path(path), Path(units) if units else None, Path(outline) if outline else None,
                         ImportOptions(dict(mapping or {}), crs), rules or CheckRules())

        def load(contents: list[bytes]) -> tuple[GridMap, str]:
            grids = GridMap.from_checked(check_map(files, contents))
            if grids.warnings:
                _log_problems(log.warning, f"grid map {grids.version}: loaded with {len(grids.warnings)} warnings",
                              [p.line() for p in grids.warnings])
            return grids, grids.version

        super().__init__(files.paths, load, what="grid map", min_interval_s=min_interval_s, clock=clock)


class ReloadingDevices(ReloadingFiles[DeviceRegistry]):
    """The device registry from devices.yaml, reloaded when it changes (a moved device's new
    position applies to the next event). ``get(id)`` reads the current registry."""

    def __init__(self, path: str | Path, *, crs: str = "wgs84", min_interval_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        path = Path(path)

        def load(contents: list[bytes]) -> tuple[DeviceRegistry, str]:
            version = version_of(contents)
            return DeviceRegistry.from_yaml(path, contents[0], crs=crs, version=version), version

        super().__init__([path], load, what="device registry", min_interval_s=min_interval_s, clock=clock)

    def get(self, device_id: str, default=None):
        return self._current.get(device_id, default)

    def __contains__(self, device_id: object) -> bool:
        return device_id in self._current

    def __len__(self) -> int:
        return len(self._current)


def _digest(contents: list[bytes]) -> str:
    digest = hashlib.sha256()
    for data in contents:
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def _is_racy(stats: tuple) -> bool:
    now_ns = time.time_ns()
    return any(now_ns - mtime_ns < RACY_S * 1e9 for mtime_ns, _, _ in stats)


def _log_problems(emit, headline: str, lines: list[str]) -> None:
    shown = lines[:MAX_LOGGED]
    more = f"\n  … and {len(lines) - MAX_LOGGED} more" if len(lines) > MAX_LOGGED else ""
    emit("%s\n  %s%s", headline, "\n  ".join(shown), more)
