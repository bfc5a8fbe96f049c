"""Helpers for end-to-end tests: events as gateways send them, and reading what the pipeline did."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from shapely.geometry import shape

from gridalert.config.model import TIER_ROLE
from gridalert.incidents.routing import Responsibility
from gridalert.store import get_timeline, list_incidents
from gridalert.streams.records import Place
from gridalert.streams.producer import produce_events
from tests.support.waiting import wait_until

BEIJING = timezone(timedelta(hours=8))


def heat(temperature: float, *, lon: float, lat: float, device: str, event_id: str | None = None, **data) -> dict:
    return {"specversion": "1.0", "id": event_id or f"t-{uuid.uuid4().hex[:10]}", "source": "urn:test:gw",
            "type": "heat.reading", "time": datetime.now(BEIJING).isoformat(),
            "data": {"lon": lon, "lat": lat, "device": device, "temperature_c": temperature, **data}}


def wiring(residual_ma: float, *, lon: float, lat: float, device: str, **data) -> dict:
    return {"specversion": "1.0", "id": f"w-{uuid.uuid4().hex[:10]}", "source": "urn:test:wiring",
            "type": "wiring.reading", "time": datetime.now(BEIJING).isoformat(),
            "data": {"lon": lon, "lat": lat, "device": device, "residual_current_ma": residual_ma, **data}}


def send(pipeline, *events, key: bytes | None = None) -> None:
    raw = [e if isinstance(e, bytes) else json.dumps(e).encode() for e in events]
    produce_events(pipeline.bootstrap, raw, key=key)


def point_in(config_dir: Path, grid_id: str) -> tuple[float, float]:
    """A point well inside a grid of the district's map."""
    document = json.loads((config_dir / "grids.geojson").read_text(encoding="utf-8"))
    feature = next(f for f in document["features"] if f["properties"]["grid_id"] == grid_id)
    point = shape(feature["geometry"]).representative_point()
    return point.x, point.y


def incidents_where(sessions, predicate):
    with sessions() as session:
        return [i for i in list_incidents(session=session, limit=1000) if predicate(i)]


def gridalert_command(pipeline, *args: str, timeout_s: float = 60) -> subprocess.CompletedProcess:
    """Run ``gridalert command ...`` as a duty officer would, against the test pipeline."""
    env = {**pipeline.worker.env}
    return subprocess.run([sys.executable, "-m", "gridalert", "command", *args], env=env, capture_output=True,
                          text=True, timeout=timeout_s)


def chain_of(district, grid_id, when: datetime | None = None) -> list[str]:
    """Who leads at grid, village, township and district tier for a grid of the sample roster at
    ``when`` (default now): the grid head, the secretary, and the duty officers the schedules
    name then (as routing and ``gridalert oncall`` answer; grid workers are paged with the head)."""
    info = district.grids.get(grid_id)
    place = Place(district=info.district, grid_id=grid_id, grid_name=info.grid_name, village=info.village,
                  township=info.township)
    who = Responsibility(district.roster, district.schedules)
    when = when or datetime.now(timezone.utc)
    chain = []
    for tier in ("grid", "village", "township", "district"):
        leads = [p.id for p in who.at(tier, place, when) if p.role == TIER_ROLE[tier]]
        assert len(leads) == 1, f"the sample should have one {TIER_ROLE[tier].value} for {grid_id} at {when}: {leads}"
        chain.append(leads[0])
    return chain


def alarm_in(pipeline, grid_id: str, temperature: float = 80.0) -> dict:
    """Send a heat alarm from a new camera inside ``grid_id``; return the event sent."""
    lon, lat = point_in(pipeline.config_dir, grid_id)
    event = heat(temperature, lon=lon, lat=lat, device=f"tc-{uuid.uuid4().hex[:6]}")
    send(pipeline, event)
    return event


def timeline_once(sessions, incident_id: str, ready, *, what: str, timeout_s: float = 30):
    """The incident's timeline once ``ready(steps)`` holds: a page can reach its receiver before
    the recorder has written the step that sent it."""
    def read():
        with sessions() as session:
            steps = get_timeline(incident_id, session=session)
        return steps if ready(steps) else None

    return wait_until(read, timeout_s=timeout_s, what=what)


def reading(event_type: str, *, lon: float, lat: float, at: datetime | None = None,
            event_id: str | None = None, **data) -> dict:
    """Any event type as a gateway sends it (structured CloudEvents JSON, Beijing time)."""
    return {"specversion": "1.0", "id": event_id or f"r-{uuid.uuid4().hex[:10]}", "source": "urn:test:gw",
            "type": event_type, "time": (at or datetime.now(BEIJING)).isoformat(),
            "data": {"lon": lon, "lat": lat, **data}}


def http(method: str, url: str, *, data: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    """(status, body text) of one request to a test process; errors are answers too."""
    request = urllib.request.Request(url, method=method, headers=headers or {},
                                     data=data if data is not None else (b"" if method == "POST" else None))
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
