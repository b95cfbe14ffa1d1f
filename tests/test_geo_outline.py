"""The map's land: the bundled Natural Earth outline, read and drawn right.

The places are checked with a point-in-polygon test written here, not the
module's own, over exactly the rings the map draws (``OUTLINES``).
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from buddymatch import geo_outline
from buddymatch.geo_outline import (
    DATA_FILE,
    OUTLINES,
    Polygon,
    land,
    outline,
    outlines,
    parse_land,
)


def surrounds(ring: Polygon, lat: float, lon: float) -> bool:
    """Even-odd ray casting: does *ring* surround the point?"""
    inside = False
    for k in range(len(ring)):
        x1, y1 = ring[k]
        x2, y2 = ring[k - 1]
        if (y1 > lat) != (y2 > lat):
            crossing = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < crossing:
                inside = not inside
    return inside


def on_land(lat: float, lon: float, rings: tuple[Polygon, ...]) -> bool:
    return any(surrounds(ring, lat, lon) for ring in rings)


# (place, lat, lon): hospital sites and town centres near the coast, where
# the hand-traced outline went wrong, and places well inland.
LAND = [
    ("Blackpool town centre", 53.817, -3.05),
    ("Blackpool Victoria Hospital", 53.8288, -3.026),
    ("Carlisle", 54.89, -2.93),
    ("West Cumberland Hospital, Whitehaven", 54.5366, -3.5603),
    ("Furness General Hospital, Barrow", 54.1346, -3.1995),
    ("Royal Cornwall Hospital, Truro", 50.2666, -5.0925),
    ("West Cornwall Hospital, Penzance", 50.1207, -5.5441),
    ("Hull Royal Infirmary", 53.7446, -0.3584),
    ("James Paget Hospital, Great Yarmouth", 52.5567, 1.7190),
    ("London, Trafalgar Square", 51.508, -0.128),
    ("Douglas, Isle of Man", 54.16, -4.49),
    ("Belfast", 54.597, -5.93),
    ("Lerwick, Shetland", 60.155, -1.15),
]
SEA = [
    ("Irish Sea west of Blackpool", 53.82, -3.25),
    ("Solway Firth", 54.90, -3.40),
    ("Solway Firth off Caerlaverock", 54.93, -3.45),
    ("Solway Firth off Annan", 54.95, -3.30),
    ("North Sea", 54.5, 2.0),
    ("Irish Sea south of the Isle of Man", 53.9, -4.0),
    ("Bristol Channel", 51.3, -3.8),
    ("English Channel", 50.3, -1.0),
    ("the Wash", 52.9, 0.3),
    ("Humber estuary", 53.62, 0.0),
]


@pytest.mark.parametrize(("place", "lat", "lon"), LAND)
def test_places_on_land_are_drawn_on_land(
    place: str, lat: float, lon: float
) -> None:
    assert on_land(lat, lon, OUTLINES), place


@pytest.mark.parametrize(("place", "lat", "lon"), SEA)
def test_places_at_sea_are_drawn_at_sea(
    place: str, lat: float, lon: float
) -> None:
    assert not on_land(lat, lon, OUTLINES), place


def test_the_outline_is_read_once_from_the_package() -> None:
    assert outlines() is outlines()
    assert land() is land()
    assert OUTLINES is outlines()
    # Every land mass as in the file, without GeoJSON's closing points.
    data = resources.files("buddymatch").joinpath("data", "geo", DATA_FILE)
    document = json.loads(data.read_text(encoding="utf-8"))
    (feature,) = document["features"]
    polygons = feature["geometry"]["coordinates"]
    assert len(OUTLINES) == len(polygons) == 85
    assert sum(map(len, OUTLINES)) == sum(
        len(ring) - 1 for polygon in polygons for ring in polygon
    )


def test_named_islands_are_the_land_masses_around_their_towns() -> None:
    assert len(geo_outline.GREAT_BRITAIN) == len(OUTLINES[0])  # largest
    assert on_land(52.92, -1.47, (geo_outline.GREAT_BRITAIN,))  # Derby
    assert on_land(53.42, -7.94, (geo_outline.IRELAND,))  # Athlone
    assert on_land(50.70, -1.29, (geo_outline.ISLE_OF_WIGHT,))
    assert on_land(53.26, -4.31, (geo_outline.ANGLESEY,))
    assert on_land(54.22, -4.56, (geo_outline.ISLE_OF_MAN,))
    assert not on_land(53.26, -4.31, (geo_outline.GREAT_BRITAIN,))
    with pytest.raises(AttributeError):
        _ = geo_outline.ATLANTIS


# A square island (lon/lat 0..4) with a square lake (1..3) in it.
ISLAND = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
LAKE = [[1, 1], [1, 3], [3, 3], [3, 1], [1, 1]]


@pytest.mark.parametrize("lake", [LAKE, LAKE[::-1]])
def test_a_hole_stays_water_when_drawn(lake: list[list[int]]) -> None:
    (rings,) = parse_land({"type": "Polygon", "coordinates": [ISLAND, lake]})
    assert len(rings) == 2  # the hole is kept, not dropped nor made land
    drawn = (outline(rings),)
    assert not on_land(2.0, 2.0, drawn)  # the lake
    assert on_land(0.5, 0.5, drawn)  # the shore around it
    assert on_land(3.5, 2.0, drawn)
    assert not on_land(5.0, 2.0, drawn)  # the sea


def test_multipolygons_features_and_collections_are_read() -> None:
    small = [[10, 10], [11, 10], [11, 11], [10, 10]]
    multi = {
        "type": "MultiPolygon",
        "coordinates": [[small], [ISLAND, LAKE]],
    }
    for document in (
        multi,
        {"type": "Feature", "geometry": multi, "properties": {}},
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": multi}],
        },
    ):
        lands = parse_land(document)
        assert [len(rings) for rings in lands] == [2, 1]  # largest first
        assert lands[1] == (((10.0, 10.0), (11.0, 10.0), (11.0, 11.0)),)


@pytest.mark.parametrize(
    "document",
    [
        {"type": "Point", "coordinates": [0, 0]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, "x"], [1, 0]]]},
        {"type": "FeatureCollection", "features": None},
    ],
)
def test_anything_but_polygons_is_refused(document: object) -> None:
    with pytest.raises(ValueError):
        parse_land(document)


def test_the_outline_ships_with_its_citation() -> None:
    folder = resources.files("buddymatch").joinpath("data", "geo")
    assert folder.joinpath(DATA_FILE).is_file()
    readme = " ".join(
        folder.joinpath("README.md").read_text(encoding="utf-8").split()
    )
    assert "Natural Earth" in readme
    assert "public domain" in readme
