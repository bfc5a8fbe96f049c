"""The grid map: GeoJSON import and checks, point → grid (网格) location.

``GridMap`` holds one district's grids and locates points (vectorised, shapely STRtree);
``GridInfo`` is one grid's ids and names. ``geo.sample`` builds the sample district.
Geometry never leaves this package: records carry ids and names, never shapes.
"""

from gridalert.geo.gridmap import GridInfo, GridMap

__all__ = ["GridInfo", "GridMap"]
