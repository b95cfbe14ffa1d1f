"""The land of Great Britain, Ireland and the islands, for map backgrounds.

The map of a proposal ([`buddymatch.mapping`][buddymatch.mapping]) draws trusts
at their
coordinates over this outline, so that a reader recognises the country at a
glance.  It works offline: no map tiles are fetched.

The outline is the package file ``data/geo/british-isles-land.geojson``:
Natural Earth's 1:10m "land" and "minor islands" (public domain,
naturalearthdata.com), clipped to 11° W – 2.6° E, 49.4° N – 61.2° N,
unioned, simplified with a tolerance of 0.002° (about 150–220 m) and
without islands under about 1 km² (85 land masses, 6,970 points).  It is
read on first use, once.

Coordinates are ``(lon, lat)`` pairs in WGS84 degrees.  A ring lists a
coast in order around it, and its last point joins the first (it is not
repeated, unlike in GeoJSON).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "ANGLESEY",
    "DATA_FILE",
    "GREAT_BRITAIN",
    "IRELAND",
    "ISLE_OF_MAN",
    "ISLE_OF_WIGHT",
    "OUTLINES",
    "Land",
    "Polygon",
    "land",
    "outline",
    "outlines",
    "parse_land",
]

#: One ring: ``(lon, lat)`` pairs in order around a coast.
Polygon = tuple[tuple[float, float], ...]

#: One land mass: its outer coast, then the coast of each hole in it (a
#: lake or lagoon that the data leaves out of the land).
Land = tuple[Polygon, ...]

#: The outline's file, inside the package's ``data/geo`` folder.
DATA_FILE = "british-isles-land.geojson"

# Bound by the module's __getattr__ on first use (PEP 562), so that
# importing the module reads nothing; declared here for type checkers.
#: One ring per land mass, largest first, each drawable as one filled
#: polygon (see `outlines`).
OUTLINES: tuple[Polygon, ...]
#: The outer coast of each named island.
GREAT_BRITAIN: Polygon
IRELAND: Polygon
ISLE_OF_WIGHT: Polygon
ANGLESEY: Polygon
ISLE_OF_MAN: Polygon

# A town well inland on each named island: the island is the land mass
# whose outer coast surrounds it.
_NAMED: dict[str, tuple[float, float]] = {
    "GREAT_BRITAIN": (-1.47, 52.92),  # Derby
    "IRELAND": (-7.94, 53.42),  # Athlone
    "ISLE_OF_WIGHT": (-1.29, 50.70),  # Newport
    "ANGLESEY": (-4.31, 53.26),  # Llangefni
    "ISLE_OF_MAN": (-4.56, 54.22),  # Greeba
}


def _ring(coordinates: Any, where: str) -> Polygon:
    """Return a GeoJSON linear ring as a ring without its closing point."""
    if not isinstance(coordinates, list):
        raise ValueError(f"{where}: a ring must be a list of positions")
    points: list[tuple[float, float]] = []
    for position in coordinates:
        if (
            not isinstance(position, list)
            or len(position) < 2
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool)
                for v in position[:2]
            )
        ):
            raise ValueError(f"{where}: {position!r} is not a position")
        points.append((float(position[0]), float(position[1])))
    if points and points[0] == points[-1]:
        points.pop()
    if len(points) < 3:
        raise ValueError(f"{where}: a ring needs at least three points")
    return tuple(points)


def _area(ring: Polygon) -> float:
    """Return the signed area of *ring* (positive anticlockwise)."""
    total = 0.0
    for k, (x1, y1) in enumerate(ring):
        x2, y2 = ring[k - 1]
        total += x2 * y1 - x1 * y2
    return total / 2


def _polygons(geometry: Any, where: str) -> list[Land]:
    """Return the land masses of one GeoJSON geometry."""
    if not isinstance(geometry, dict):
        raise ValueError(f"{where}: a geometry must be an object")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        parts = [coordinates]
    elif kind == "MultiPolygon" and isinstance(coordinates, list):
        parts = coordinates
    elif kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list):
            raise ValueError(f"{where}: 'geometries' must be a list")
        return [
            land
            for k, member in enumerate(members)
            for land in _polygons(member, f"{where}.geometries.{k}")
        ]
    else:
        raise ValueError(
            f"{where}: expected Polygon or MultiPolygon, not {kind!r}"
        )
    lands: list[Land] = []
    for k, rings in enumerate(parts):
        if not isinstance(rings, list) or not rings:
            raise ValueError(f"{where}.{k}: a polygon needs its outer ring")
        lands.append(
            tuple(
                _ring(ring, f"{where}.{k}.{j}") for j, ring in enumerate(rings)
            )
        )
    return lands


def parse_land(document: Any) -> tuple[Land, ...]:
    """Return the land masses of a decoded GeoJSON document.

    Parameters
    ----------
    document
        A FeatureCollection, a Feature or a geometry, as ``json.loads``
        returns it, whose geometries are Polygons or MultiPolygons in
        ``(lon, lat)`` order.

    Returns
    -------
    tuple of Land
        Each polygon's rings, outer coast first, largest land mass first;
        the closing point of each ring is dropped.

    Raises
    ------
    ValueError
        If the document holds anything but polygons.
    """
    if isinstance(document, dict) and document.get("type") == (
        "FeatureCollection"
    ):
        features = document.get("features")
        if not isinstance(features, list):
            raise ValueError("features: must be a list")
        geometries = [
            (f.get("geometry") if isinstance(f, dict) else None, f"{k}")
            for k, f in enumerate(features)
        ]
    elif isinstance(document, dict) and document.get("type") == "Feature":
        geometries = [(document.get("geometry"), "geometry")]
    else:
        geometries = [(document, "geometry")]
    lands = [
        land
        for geometry, where in geometries
        for land in _polygons(geometry, where)
    ]
    lands.sort(key=lambda rings: -abs(_area(rings[0])))
    return tuple(lands)


def outline(rings: Land) -> Polygon:
    """Return a land mass as one ring: its land filled, its holes empty.

    An SVG ``<polygon>`` draws one ring, so each hole is walked the other
    way round from the coast and joined to the nearest point of what is
    drawn so far by a cut, out and back along one segment.  The cut's two
    edges cancel, so the ring (filled by the non-zero or the even-odd
    rule) covers the land and leaves every hole empty; its only trace is
    the outline's stroke along the cut.

    Parameters
    ----------
    rings
        The outer coast, then the holes, each in either direction.

    Returns
    -------
    Polygon
        The outer coast, anticlockwise, with any holes joined in.
    """
    outer, *holes = rings
    ring = list(outer if _area(outer) > 0 else outer[::-1])
    for hole in holes:
        walk = list(hole if _area(hole) < 0 else hole[::-1])
        i, j = min(
            ((i, j) for i in range(len(ring)) for j in range(len(walk))),
            key=lambda ij: (
                (ring[ij[0]][0] - walk[ij[1]][0]) ** 2
                + (ring[ij[0]][1] - walk[ij[1]][1]) ** 2
            ),
        )
        ring[i + 1 : i + 1] = [*walk[j:], *walk[: j + 1], ring[i]]
    return tuple(ring)


@cache
def land() -> tuple[Land, ...]:
    """Return the bundled land masses, read from the package once.

    Returns
    -------
    tuple of Land
        Every land mass, largest first: its outer coast, then its holes.
    """
    text = (
        resources.files("buddymatch")
        .joinpath("data", "geo", DATA_FILE)
        .read_text(encoding="utf-8")
    )
    return parse_land(json.loads(text))


@cache
def outlines() -> tuple[Polygon, ...]:
    """Return one ring per land mass, for drawing, largest first.

    Returns
    -------
    tuple of Polygon
        The outer coast of each land mass; one with holes is joined to
        them by a cut (see the module's source), so that filling the ring
        leaves the holes empty.  The bundled outline has no holes.
    """
    return tuple(outline(rings) for rings in land())


def _surrounds(ring: Polygon, lon: float, lat: float) -> bool:
    """Return whether *ring* surrounds the point (even-odd rule)."""
    inside = False
    for k, (x1, y1) in enumerate(ring):
        x2, y2 = ring[k - 1]
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (
            y2 - y1
        ):
            inside = not inside
    return inside


def __getattr__(name: str) -> object:
    """Read the outline when one of its constants is first asked for."""
    if name == "OUTLINES":
        return outlines()
    if name in _NAMED:
        lon, lat = _NAMED[name]
        for rings in land():
            if _surrounds(rings[0], lon, lat):
                return rings[0]
        raise LookupError(f"no land mass of the outline surrounds {name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
