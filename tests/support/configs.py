"""A copy of the sample district to change in a test, one YAML file at a time."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

import yaml

from gridalert.config import SAMPLE_CONFIG_DIR


def copy_sample(target: Path) -> Path:
    shutil.copytree(SAMPLE_CONFIG_DIR, target)
    return target


def edit_yaml(path: Path, change: Callable[[dict], None]) -> None:
    """Load ``path``, let ``change`` edit the document in place, write it back (keys in order)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def unit_feature(unit_id: str, grid_id: str, box: tuple[float, float, float, float],
                 unit_head: str | None = None) -> dict:
    """A ten-household unit (十联户) drawn as the rectangle ``box`` = (west, south, east, north)."""
    west, south, east, north = box
    properties = {"unit_id": unit_id, "grid_id": grid_id} | ({"unit_head": unit_head} if unit_head else {})
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def write_units(directory: Path, *features: dict) -> Path:
    """``units.geojson`` in a configuration directory: with it the district pages unit heads."""
    path = directory / "units.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False),
                    encoding="utf-8")
    return path
