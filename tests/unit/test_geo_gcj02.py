"""GCJ-02 ↔ WGS84 and metres on the ellipsoid: the numbers the map checks stand on."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gridalert.geo import gcj02
from gridalert.geo.metric import area_m2, distance_m

# Published pairs (WGS84 lat, lon → GCJ-02 lat, lon) used by many open implementations' tests.
KNOWN = [
    pytest.param(31.1774276, 121.5272106, 31.17530398364597, 121.531541859215, id="Shanghai"),
    pytest.param(22.543847, 113.912316, 22.540796131694766, 113.9171764808363, id="Shenzhen"),
    pytest.param(39.911954, 116.377817, 39.91334545536069, 116.38404722455657, id="Beijing"),
]


@pytest.mark.parametrize("wgs_lat, wgs_lon, gcj_lat, gcj_lon", KNOWN)
def test_the_forward_formula_matches_published_pairs(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lon, lat = gcj02.to_gcj02([wgs_lon], [wgs_lat])
    assert (lon[0], lat[0]) == pytest.approx((gcj_lon, gcj_lat), abs=1e-9)


@pytest.mark.parametrize("wgs_lat, wgs_lon, gcj_lat, gcj_lon", KNOWN)
def test_the_inverse_recovers_the_wgs84_point_to_a_millimetre(wgs_lat, wgs_lon, gcj_lat, gcj_lon):
    lon, lat = gcj02.to_wgs84([gcj_lon], [gcj_lat])
    assert float(distance_m(wgs_lon, wgs_lat, lon[0], lat[0])) < 0.001


china = st.tuples(st.floats(73.0, 135.0), st.floats(18.0, 53.5))


@settings(max_examples=300, deadline=None)
@given(st.lists(china, min_size=1, max_size=50))
def test_round_trip_through_gcj02_is_sub_millimetre_everywhere_in_china(points):
    lon, lat = np.array(points).T
    there_lon, there_lat = gcj02.to_gcj02(lon, lat)
    back_lon, back_lat = gcj02.to_wgs84(there_lon, there_lat)
    assert distance_m(lon, lat, back_lon, back_lat).max() < 0.001
    # And the offset really is there: the datums differ by tens to hundreds of metres.
    assert distance_m(lon, lat, there_lon, there_lat).min() > 10


@pytest.mark.parametrize("lon, lat", [(2.3522, 48.8566), (-74.006, 40.7128), (151.2093, -33.8688), (0.0, 0.0),
                                      (72.0, 30.0), (140.0, 35.0), (120.0, 0.5), (120.0, 56.0)],
                         ids=["Paris", "New York", "Sydney", "null island", "west of the box", "Tokyo-ish",
                              "south of the box", "north of the box"])
def test_points_outside_china_are_unchanged_both_ways(lon, lat):
    assert [a[0] for a in gcj02.to_gcj02([lon], [lat])] == [lon, lat]
    assert [a[0] for a in gcj02.to_wgs84([lon], [lat])] == [lon, lat]


def test_nan_stays_nan_and_arrays_keep_their_order():
    lon, lat = gcj02.to_wgs84([np.nan, 106.63, 2.35], [np.nan, 26.62, 48.86])
    assert np.isnan(lon[0]) and np.isnan(lat[0]) and (lon[2], lat[2]) == (2.35, 48.86)
    assert float(distance_m(106.63, 26.62, lon[1], lat[1])) > 100


def test_inputs_are_not_modified():
    lon, lat = np.array([106.63]), np.array([26.62])
    gcj02.to_gcj02(lon, lat)
    gcj02.to_wgs84(lon, lat)
    assert (lon[0], lat[0]) == (106.63, 26.62)


# --- metres ---------------------------------------------------------------------------------------

def test_area_of_a_one_degree_cell_matches_the_ellipsoid():
    # WGS84 ellipsoidal area of the cell 0–1° E × 0–1° N: 12,308.8 km² (a four-vertex polygon is
    # a chord of the curved meridian in the projection, so allow 0.01 %).
    assert float(area_m2([shapely.box(0, 0, 1, 1)])[0]) / 1e6 == pytest.approx(12308.8, rel=1e-4)


def test_area_of_a_small_square_does_not_depend_on_where_it_is_drawn_in_the_projection():
    # The same 100 m × 100 m plot near Guiyang, as one square and cut into two: equal-area means
    # the parts add up exactly.
    west, south = 106.63, 26.62
    d_lon, d_lat = 100 / 99_560.0, 100 / 110_780.0
    whole = shapely.box(west, south, west + d_lon, south + d_lat)
    halves = [shapely.box(west, south, west + d_lon / 2, south + d_lat), shapely.box(west + d_lon / 2, south, west + d_lon, south + d_lat)]
    assert float(area_m2([whole])[0]) == pytest.approx(10_000, rel=2e-3)
    assert float(area_m2(halves).sum()) == pytest.approx(float(area_m2([whole])[0]), rel=1e-9)


def test_area_is_zero_for_empty_and_for_points():
    assert area_m2([shapely.Polygon(), shapely.Point(1, 1)]).tolist() == [0.0, 0.0]


def test_distance_of_one_minute_of_latitude_near_guiyang():
    assert float(distance_m(106.6, 26.6, 106.6, 26.6 + 1 / 60)) == pytest.approx(1846.6, abs=0.5)
