"""The sample district: 观山湖区 (Guanshanhu, Guiyang) cut into rectangular grids.

Owns the layout behind ``config/sample/grids.geojson`` and writes it, deterministically:
``python -m gridalert.geo.sample OUT``. Each village is a block of grids tiled edge to edge (so
grids share edges and corners); villages are separated by gaps of about 200 m that lie in no grid.
The layout is invented for demos and tests; it is not a survey of the real district.

Points the demo and tests rely on:

- lon 106.6310, lat 26.6210, the Financial City office tower, is in grid ``GSH-JHY-01-03``
  (金融城社区第3网格, 金华园街道);
- lon 106.6260, lat 26.6190 is in the gap between 长岭社区 and 金融城社区: in no grid.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import NamedTuple

DISTRICT = "观山湖区"
DISTRICT_CODE = "GSH"


class Village(NamedTuple):
    """A block of ``cols`` × ``rows`` grids covering west..east, south..north (degrees)."""

    township_code: str
    township: str
    number: int
    name: str
    west: float
    south: float
    east: float
    north: float
    cols: int
    rows: int


VILLAGES = (
    Village("JHY", "金华园街道", 1, "金融城社区", 106.628, 26.616, 106.640, 26.628, 2, 2),
    Village("JHY", "金华园街道", 2, "金元社区", 106.642, 26.616, 106.660, 26.628, 3, 1),
    Village("JHY", "金华园街道", 3, "碧海社区", 106.628, 26.630, 106.660, 26.645, 2, 2),
    Village("SJC", "世纪城街道", 1, "世纪城社区", 106.600, 26.630, 106.612, 26.645, 2, 2),
    Village("SJC", "世纪城街道", 2, "会展城社区", 106.614, 26.630, 106.625, 26.645, 1, 3),
    Village("SJC", "世纪城街道", 3, "长岭社区", 106.600, 26.616, 106.625, 26.628, 5, 1),
    Village("ZC", "朱昌镇", 1, "朱昌村", 106.600, 26.590, 106.618, 26.612, 2, 2),
    Village("ZC", "朱昌镇", 2, "茶饭村", 106.620, 26.590, 106.638, 26.612, 3, 1),
    Village("ZC", "朱昌镇", 3, "毛寨村", 106.640, 26.590, 106.660, 26.612, 2, 2),
)


def build_sample_district() -> dict:
    """The sample district as a GeoJSON FeatureCollection (a plain dict, same on every call).

    Grids are numbered within their village in reading order (north row first, west to east):
    ``GSH-<township>-<village>-<grid>``, e.g. ``GSH-JHY-01-03``; each grid's head is
    ``gh-<grid_id>``. Coordinates are rounded to 6 decimals; rings run counter-clockwise.
    """
    return {"type": "FeatureCollection", "features": [f for v in VILLAGES for f in _village_features(v)]}


def _village_features(village: Village) -> list[dict]:
    width = (village.east - village.west) / village.cols
    height = (village.north - village.south) / village.rows
    features = []
    for row in range(village.rows):  # row 0 is the northernmost
        for col in range(village.cols):
            number = row * village.cols + col + 1
            grid_id = f"{DISTRICT_CODE}-{village.township_code}-{village.number:02d}-{number:02d}"
            west, east = village.west + col * width, village.west + (col + 1) * width
            north, south = village.north - row * height, village.north - (row + 1) * height
            features.append(_feature(grid_id, f"{village.name}第{number}网格", village, (west, south, east, north)))
    return features


def _feature(grid_id: str, grid_name: str, village: Village, box: tuple[float, float, float, float]) -> dict:
    west, south, east, north = (round(value, 6) for value in box)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {
        "type": "Feature",
        "id": grid_id,
        "properties": {
            "grid_id": grid_id,
            "grid_name": grid_name,
            "village": village.name,
            "township": village.township,
            "district": DISTRICT,
            "grid_head": f"gh-{grid_id}",
        },
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def render(collection: dict) -> str:
    """GeoJSON text with one feature per line, so a change to one grid is a one-line diff."""
    lines = [json.dumps(feature, ensure_ascii=False) for feature in collection["features"]]
    return '{"type": "FeatureCollection", "features": [\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gridalert.geo.sample", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the GeoJSON, e.g. config/sample/grids.geojson")
    args = parser.parse_args(argv)
    args.out.write_text(render(build_sample_district()), encoding="utf-8")


if __name__ == "__main__":
    main()
