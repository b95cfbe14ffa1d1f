"""Travel-time models: how many minutes from a seeker's site to a buddy's.

The review found that a buddy must be neither a neighbour ("would not want
to have been partnered with a neighbour, potential competitor or tertiary
provider") nor so far away that "travelling took half a day".  Both rules
need travel times, which come from one of two models:

* [`StraightLine`][buddymatch.travel.StraightLine] estimates them from
  coordinates: great-circle
  distance (haversine, mean earth radius) times a road *circuity* factor,
  divided by a speed.  Defaults 60 km/h and 1.3 (see ``docs/geography.md``).
* [`TravelMatrix`][buddymatch.travel.TravelMatrix] uses durations the user
  supplies, for example
  exported from OSRM, Valhalla or openrouteservice.  A missing pair is an
  [`InputError`][buddymatch.errors.InputError] naming it, unless a fallback
  [`StraightLine`][buddymatch.travel.StraightLine] is given
  (``Policy.travel_fallback``).

[`travel_model`][buddymatch.travel.travel_model] picks the model a problem and
policy ask for.  Every
model returns unrounded float64 minutes; rounding happens once, in
[`buddymatch.candidates`][buddymatch.candidates].
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from buddymatch.errors import InputError, InputProblem
from buddymatch.io import files
from buddymatch.io.csv_tables import LineTooLong, physical_lines
from buddymatch.model import (
    ID_PATTERN,
    MAX_ID_LENGTH,
    Policy,
    Problem,
    TravelTime,
    Trust,
)

#: Mean earth radius in km (IUGG: (2a + b) / 3 of WGS84), the radius that
#: makes the spherical great circle closest to the ellipsoid on average.
EARTH_RADIUS_KM = 6371.0088
#: Default average door-to-door road speed (km/h) of the straight-line model.
DEFAULT_SPEED_KMH = 60.0
#: Default ratio of road distance to straight-line distance.
DEFAULT_CIRCUITY = 1.3
#: Haversine km are within this fraction of the WGS84 geodesic (geopy) for
#: pairs in Great Britain: measured 0.04-0.36% short, always short, over
#: 20,000 random GB pairs; worldwide the error reaches 0.56%.  See
#: ``docs/geography.md``.
GB_RELATIVE_ERROR_BOUND = 0.005
#: Where a missing-pairs error stops listing pairs one by one.
MAX_LISTED_MISSING = 20
#: The columns of a travel-matrix CSV, in order.
MATRIX_COLUMNS = ("origin", "destination", "minutes")

# Pairs are computed in blocks of about this many elements so that the
# temporaries of the haversine stay small (fast in cache, and memory stays
# near the size of the output matrix alone).
_BLOCK_ELEMENTS = 1 << 16
_ID_RE = re.compile(ID_PATTERN)
_DEFAULT_SOURCE = "travel matrix"

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


class TravelModel(Protocol):
    """Anything that gives travel minutes from origins to destinations."""

    def minutes(
        self,
        origins: Sequence[Trust],
        destinations: Sequence[Trust],
    ) -> FloatArray:
        """Return minutes from each origin to each destination.

        Parameters
        ----------
        origins, destinations
            Trusts (distinct within each sequence).

        Returns
        -------
        numpy.ndarray
            float64 of shape ``(len(origins), len(destinations))``,
            unrounded.
        """
        ...


class _Points:
    """Per-point sines and cosines, computed once and shared by all pairs."""

    __slots__ = (
        "cos_half_lat",
        "cos_half_lon",
        "cos_lat",
        "sin_half_lat",
        "sin_half_lon",
    )

    def __init__(self, lat: ArrayLike, lon: ArrayLike) -> None:
        half_lat = np.radians(np.asarray(lat, dtype=np.float64)) * 0.5
        half_lon = np.radians(np.asarray(lon, dtype=np.float64)) * 0.5
        self.sin_half_lat = np.sin(half_lat)
        self.cos_half_lat = np.cos(half_lat)
        self.sin_half_lon = np.sin(half_lon)
        self.cos_half_lon = np.cos(half_lon)
        self.cos_lat = np.cos(2.0 * half_lat)

    def rows(self, start: int, stop: int) -> _Points:
        """Return points start:stop as a column (shape ``(k, 1)``)."""
        part = _Points.__new__(_Points)
        for name in _Points.__slots__:
            setattr(part, name, getattr(self, name)[start:stop, None])
        return part


def _haversine(a: _Points, b: _Points, out: FloatArray) -> FloatArray:
    """Write the km between points *a* and *b* (broadcast) into *out*."""
    tmp = np.empty_like(out)
    # sin(Δφ/2) = sin(φb/2) cos(φa/2) - cos(φb/2) sin(φa/2), squared.
    np.multiply(b.sin_half_lat, a.cos_half_lat, out=out)
    np.multiply(b.cos_half_lat, a.sin_half_lat, out=tmp)
    out -= tmp
    np.square(out, out=out)
    # cos φa cos φb sin²(Δλ/2), by the same identity for longitude.
    lon_term = np.empty_like(out)
    np.multiply(b.sin_half_lon, a.cos_half_lon, out=lon_term)
    np.multiply(b.cos_half_lon, a.sin_half_lon, out=tmp)
    lon_term -= tmp
    np.square(lon_term, out=lon_term)
    lon_term *= a.cos_lat
    lon_term *= b.cos_lat
    out += lon_term
    np.sqrt(out, out=out)
    # Rounding can push nearly antipodal pairs a hair above 1.
    np.minimum(out, 1.0, out=out)
    np.arcsin(out, out=out)
    out *= 2.0 * EARTH_RADIUS_KM
    return out


def haversine_km(
    lat_a: ArrayLike,
    lon_a: ArrayLike,
    lat_b: ArrayLike,
    lon_b: ArrayLike,
) -> FloatArray:
    """Return great-circle distances in km, broadcasting like a ufunc.

    Uses the haversine formula on a sphere of radius
    `EARTH_RADIUS_KM`.  ``sin((φb - φa) / 2)`` is expanded by the
    angle-difference identity into products of per-point sines and cosines,
    so no trigonometric function is evaluated per *pair* (only the final
    ``arcsin``); the result equals the textbook form to ~1e-9 km.

    Parameters
    ----------
    lat_a, lon_a, lat_b, lon_b
        Degrees (WGS84).  Shapes broadcast together: ``(n, 1)`` against
        ``(1, m)`` gives an ``(n, m)`` matrix; ``(k,)`` against ``(k,)``
        gives ``k`` pair distances.

    Returns
    -------
    numpy.ndarray
        float64 distances in km, of the broadcast shape.
    """
    a = _Points(lat_a, lon_a)
    b = _Points(lat_b, lon_b)
    shape = np.broadcast_shapes(
        a.sin_half_lat.shape,
        a.sin_half_lon.shape,
        b.sin_half_lat.shape,
        b.sin_half_lon.shape,
    )
    return _haversine(a, b, np.empty(shape))


def _coordinates(trusts: Sequence[Trust]) -> tuple[FloatArray, FloatArray]:
    lat = np.fromiter((t.lat for t in trusts), np.float64, len(trusts))
    lon = np.fromiter((t.lon for t in trusts), np.float64, len(trusts))
    return lat, lon


class StraightLine:
    """Travel time estimated from the straight line between two sites.

    ``minutes = km × circuity ÷ speed_kmh × 60``, where ``km`` is the
    haversine distance.  The defaults suit Great Britain: road routes run
    about 1.3 times the straight line at the distances that matter here, and
    60 km/h is a door-to-door average mixing motorway and urban driving.

    Parameters
    ----------
    speed_kmh
        Average road speed, km/h (> 0).
    circuity
        Road distance ÷ straight-line distance (>= 1).

    Raises
    ------
    ValueError
        If the speed is not positive or the circuity is below 1.
    """

    def __init__(
        self,
        speed_kmh: float = DEFAULT_SPEED_KMH,
        circuity: float = DEFAULT_CIRCUITY,
    ) -> None:
        if not (math.isfinite(speed_kmh) and speed_kmh > 0):
            raise ValueError(f"speed_kmh must be positive, not {speed_kmh}")
        if not (math.isfinite(circuity) and circuity >= 1.0):
            raise ValueError(f"circuity must be at least 1, not {circuity}")
        self.speed_kmh = float(speed_kmh)
        self.circuity = float(circuity)

    def __repr__(self) -> str:
        return (
            f"StraightLine(speed_kmh={self.speed_kmh:g}, "
            f"circuity={self.circuity:g})"
        )

    @property
    def minutes_per_km(self) -> float:
        """Minutes per straight-line km: circuity ÷ speed × 60."""
        return self.circuity / self.speed_kmh * 60.0

    km = staticmethod(haversine_km)

    def pair_minutes(
        self,
        lat_a: ArrayLike,
        lon_a: ArrayLike,
        lat_b: ArrayLike,
        lon_b: ArrayLike,
    ) -> FloatArray:
        """Return minutes between coordinates, broadcasting like a ufunc.

        Parameters
        ----------
        lat_a, lon_a, lat_b, lon_b
            Degrees; see [`haversine_km`][buddymatch.travel.haversine_km] for
            the shapes.

        Returns
        -------
        numpy.ndarray
            Unrounded float64 minutes.
        """
        result = haversine_km(lat_a, lon_a, lat_b, lon_b)
        result *= self.minutes_per_km
        return result

    def minutes(
        self,
        origins: Sequence[Trust],
        destinations: Sequence[Trust],
    ) -> FloatArray:
        """Return the minutes matrix from every origin to every destination.

        Parameters
        ----------
        origins, destinations
            Trusts.

        Returns
        -------
        numpy.ndarray
            float64 ``(len(origins), len(destinations))``, unrounded.
        """
        n_dest = len(destinations)
        result = np.empty((len(origins), n_dest))
        if result.size == 0:
            return result
        a = _Points(*_coordinates(origins))
        b = _Points(*_coordinates(destinations))
        rows = max(1, _BLOCK_ELEMENTS // n_dest)
        for start in range(0, len(origins), rows):
            stop = min(start + rows, len(origins))
            block = _haversine(a.rows(start, stop), b, result[start:stop])
            block *= self.minutes_per_km
        return result


class TravelMatrix:
    """Travel times the user supplies, from seeker to buddy.

    Durations may be asymmetric: ``A→B`` and ``B→A`` may differ.  Where only
    one direction is given it serves both.  A trust to itself takes 0
    minutes unless an entry says otherwise.

    Parameters
    ----------
    entries
        The durations.
    fallback
        Used for pairs the matrix lacks; ``None`` makes a missing pair an
        error.
    source
        Where the entries came from, for error messages (the file name when
        read from a file).

    Raises
    ------
    InputError
        If a pair is given twice with different minutes.
    """

    def __init__(
        self,
        entries: Sequence[TravelTime],
        fallback: StraightLine | None = None,
        source: str = _DEFAULT_SOURCE,
    ) -> None:
        self.fallback = fallback
        self.source = source
        given: dict[tuple[str, str], float] = {}
        problems: list[InputProblem] = []
        for entry in entries:
            pair = (entry.origin, entry.destination)
            old = given.setdefault(pair, entry.minutes)
            if old != entry.minutes:
                problems.append(
                    InputProblem(
                        source,
                        None,
                        "minutes",
                        f"travel time {pair[0]}->{pair[1]} is given twice "
                        f"({old:g} and {entry.minutes:g} minutes)",
                        "keep one row per origin and destination",
                    )
                )
        if problems:
            raise InputError(problems)
        self._origin_ids = tuple(o for o, _ in given)
        self._destination_ids = tuple(d for _, d in given)
        self._minutes = np.fromiter(given.values(), np.float64, len(given))

    def __len__(self) -> int:
        return len(self._minutes)

    def __repr__(self) -> str:
        return (
            f"TravelMatrix({len(self)} entries, source={self.source!r}, "
            f"fallback={self.fallback!r})"
        )

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str],
        fallback: StraightLine | None = None,
    ) -> TravelMatrix:
        """Read an ``origin,destination,minutes`` CSV file.

        Parameters
        ----------
        path
            The file (UTF-8, optional BOM; header line required).
        fallback
            As for the constructor.

        Returns
        -------
        TravelMatrix
            With ``source`` set to the file's name.

        Raises
        ------
        InputError
            Listing every bad row (by physical line number) or a missing,
            empty or over-large file.
        """
        path = Path(path)
        entries, problems = _read_matrix_csv(path)
        if problems:
            raise InputError(problems)
        return cls(entries, fallback=fallback, source=path.name)

    def minutes(
        self,
        origins: Sequence[Trust],
        destinations: Sequence[Trust],
        *,
        needed: BoolArray | None = None,
    ) -> FloatArray:
        """Return the minutes matrix from every origin to every destination.

        Parameters
        ----------
        origins, destinations
            Trusts (distinct within each sequence).
        needed
            Optional bool ``(len(origins), len(destinations))``: only these
            pairs must have a time.  The others are NaN and never reported
            missing (the candidate stage passes pairs that an earlier rule
            already excludes for every need of the seeker).

        Returns
        -------
        numpy.ndarray
            float64, unrounded; NaN where not needed and not given.

        Raises
        ------
        InputError
            Naming every needed pair (up to `MAX_LISTED_MISSING`,
            then a count) that the matrix lacks, when there is no fallback.
        """
        n_o, n_d = len(origins), len(destinations)
        if needed is not None and needed.shape != (n_o, n_d):
            raise ValueError(
                f"needed has shape {needed.shape}, not {(n_o, n_d)}"
            )
        result = np.full((n_o, n_d), np.nan)
        origin_pos = {t.id: i for i, t in enumerate(origins)}
        dest_pos = {t.id: j for j, t in enumerate(destinations)}
        for i, trust in enumerate(origins):
            j = dest_pos.get(trust.id)
            if j is not None:
                result[i, j] = 0.0
        o_ids, d_ids = self._origin_ids, self._destination_ids
        # Reverse direction first, so that an explicit entry for a direction
        # (written second) wins over the other direction's time.
        for rows_of, cols_of, row_ids, col_ids in (
            (origin_pos, dest_pos, d_ids, o_ids),
            (origin_pos, dest_pos, o_ids, d_ids),
        ):
            rows = np.fromiter(
                (rows_of.get(r, -1) for r in row_ids), np.intp, len(row_ids)
            )
            cols = np.fromiter(
                (cols_of.get(c, -1) for c in col_ids), np.intp, len(col_ids)
            )
            keep = (rows >= 0) & (cols >= 0)
            result[rows[keep], cols[keep]] = self._minutes[keep]
        missing = np.isnan(result)
        if needed is not None:
            missing &= needed
        miss_rows, miss_cols = np.nonzero(missing)
        if miss_rows.size == 0:
            return result
        if self.fallback is None:
            raise InputError(
                _missing_problems(
                    self.source,
                    [
                        (origins[i].id, destinations[j].id)
                        for i, j in zip(
                            miss_rows[: MAX_LISTED_MISSING + 1],
                            miss_cols[: MAX_LISTED_MISSING + 1],
                            strict=True,
                        )
                    ],
                    int(miss_rows.size),
                )
            )
        lat_a, lon_a = _coordinates(origins)
        lat_b, lon_b = _coordinates(destinations)
        result[miss_rows, miss_cols] = self.fallback.pair_minutes(
            lat_a[miss_rows],
            lon_a[miss_rows],
            lat_b[miss_cols],
            lon_b[miss_cols],
        )
        return result


def _missing_problems(
    source: str, pairs: list[tuple[str, str]], total: int
) -> list[InputProblem]:
    fix = (
        "add a row origin,destination,minutes for it (one direction serves "
        "both), or set travel_fallback = true in the policy to estimate "
        "missing pairs from the straight line"
    )
    listed = pairs if total <= MAX_LISTED_MISSING + 1 else pairs[:-1]
    problems = [
        InputProblem(
            source,
            None,
            None,
            f"no travel time from {origin} to {destination} (in either "
            "direction)",
            fix,
        )
        for origin, destination in listed
    ]
    if total > len(listed):
        problems.append(
            InputProblem(
                source,
                None,
                None,
                f"... and {total - len(listed)} more pairs without a travel "
                f"time ({total} in all)",
                fix,
            )
        )
    return problems


def _read_matrix_csv(
    path: Path,
) -> tuple[list[TravelTime], list[InputProblem]]:
    """Parse a travel-matrix CSV, collecting every problem with its line.

    The file is read and decoded as every input is
    (`buddymatch.io.files.read_text`), within the same limits.
    """
    name = path.name
    text = files.read_text(path, name=name)
    if isinstance(text, InputProblem):
        return [], [text]
    entries: list[TravelTime] = []
    problems: list[InputProblem] = []
    first_line: dict[tuple[str, str], tuple[int, float]] = {}
    line = 1  # where the record being read starts
    # No row within the limits is longer: three quoted cells of
    # MAX_FIELD_CHARS characters, with their commas.
    longest = len(MATRIX_COLUMNS) * (files.MAX_FIELD_CHARS + 3)
    try:
        reader = csv.reader(physical_lines(text, longest))
        header = next(reader, None)
        if header is None:
            return [], [
                InputProblem(
                    name,
                    None,
                    None,
                    "the file is empty",
                    "start with the header origin,destination,minutes",
                )
            ]
        columns = [c.strip().lower() for c in header]
        if tuple(columns) != MATRIX_COLUMNS:
            return [], [
                InputProblem(
                    name,
                    1,
                    None,
                    f"the header is {_clip(','.join(header))!r}, not "
                    "'origin,destination,minutes'",
                    "make the first line origin,destination,minutes "
                    "(in that order, no other columns)",
                )
            ]
        line = reader.line_num + 1
        rows = 0
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(field.strip() for field in record):
                continue
            rows += 1
            if rows > files.MAX_ROWS:
                problems.append(
                    InputProblem(
                        name,
                        start,
                        None,
                        f"the file has more than {files.MAX_ROWS:,} rows, "
                        "the limit (MAX_ROWS)",
                        "keep only pairs that can be partners",
                    )
                )
                break
            entry = _parse_row(name, start, record, problems)
            if entry is None:
                continue
            pair = (entry.origin, entry.destination)
            if pair in first_line:
                seen_line, seen_minutes = first_line[pair]
                if seen_minutes != entry.minutes:
                    problems.append(
                        InputProblem(
                            name,
                            start,
                            "minutes",
                            f"{pair[0]}->{pair[1]} is given again "
                            f"({entry.minutes:g} minutes; line "
                            f"{seen_line} says {seen_minutes:g})",
                            "keep one row per origin and destination",
                        )
                    )
                continue
            first_line[pair] = (start, entry.minutes)
            entries.append(entry)
    except LineTooLong as exc:
        problems.append(
            InputProblem(
                name,
                exc.line,
                None,
                f"the line is longer than {longest:,} characters, more "
                f"than three cells of at most {files.MAX_FIELD_CHARS:,} "
                "characters can fill",
                "give origin,destination,minutes, one row a line",
            )
        )
    except csv.Error as exc:
        # The record being read starts after the last one read.
        problems.append(
            InputProblem(
                name,
                line,
                None,
                f"the row is not valid CSV ({exc})",
                "check the quoting; a cell holds at most "
                f"{files.MAX_FIELD_CHARS:,} characters",
            )
        )
    if not entries and not problems:
        problems.append(
            InputProblem(
                name,
                None,
                None,
                "the matrix has no rows",
                "add origin,destination,minutes rows below the header",
            )
        )
    return entries, problems


def _clip(text: str) -> str:
    """Shorten *text* for a message."""
    return text if len(text) <= 40 else text[:37] + "..."


def _parse_row(
    name: str,
    line: int,
    record: list[str],
    problems: list[InputProblem],
) -> TravelTime | None:
    if len(record) != len(MATRIX_COLUMNS):
        problems.append(
            InputProblem(
                name,
                line,
                None,
                f"the row has {len(record)} fields, not 3",
                "give origin,destination,minutes (quote fields containing "
                "commas)",
            )
        )
        return None
    found = len(problems)
    ids: list[str] = []
    for column, raw in zip(MATRIX_COLUMNS[:2], record[:2], strict=True):
        value = raw.strip()
        if len(value) > files.MAX_FIELD_CHARS or len(value) > MAX_ID_LENGTH:
            problems.append(
                InputProblem(
                    name,
                    line,
                    column,
                    f"the id is {len(value):,} characters long",
                    f"use a trust id of at most {MAX_ID_LENGTH} characters",
                )
            )
        elif not _ID_RE.match(value):
            problems.append(
                InputProblem(
                    name,
                    line,
                    column,
                    f"{value!r} is not a trust id" if value else "empty id",
                    "use the id of a trust (letters, digits, _ . -)",
                )
            )
        ids.append(value)
    text = record[2].strip()
    try:
        # ASCII only, as the other readers: float() would also take
        # "1_000" or other scripts' digits.
        if "_" in text or not text.isascii():
            raise ValueError(text)
        minutes = float(text)
    except ValueError:
        minutes = math.nan
        problems.append(
            InputProblem(
                name,
                line,
                "minutes",
                f"{_clip(text)!r} is not a number",
                "give the travel time in minutes, e.g. 42.5",
            )
        )
    else:
        if not math.isfinite(minutes) or minutes < 0:
            problems.append(
                InputProblem(
                    name,
                    line,
                    "minutes",
                    f"{_clip(text)!r} is not a travel time",
                    "give a finite, non-negative number of minutes",
                )
            )
    if len(problems) > found:
        return None
    return TravelTime(origin=ids[0], destination=ids[1], minutes=minutes)


def travel_model(
    problem: Problem,
    policy: Policy,
    *,
    source: str = _DEFAULT_SOURCE,
) -> TravelModel:
    """Return the travel model the problem and policy select.

    Parameters
    ----------
    problem
        Its ``travel`` entries, when present, make a
        [`TravelMatrix`][buddymatch.travel.TravelMatrix].
    policy
        ``speed_kmh`` and ``circuity`` set the straight line;
        ``travel_fallback`` lets a matrix fall back to it for missing pairs.
    source
        Name of the matrix's file for error messages, when known.

    Returns
    -------
    TravelModel
        A [`TravelMatrix`][buddymatch.travel.TravelMatrix] (with a
        [`StraightLine`][buddymatch.travel.StraightLine] fallback iff
        ``policy.travel_fallback``) or a
        [`StraightLine`][buddymatch.travel.StraightLine].
    """
    line = StraightLine(policy.speed_kmh, policy.circuity)
    if problem.travel is None:
        return line
    return TravelMatrix(
        problem.travel,
        fallback=line if policy.travel_fallback else None,
        source=source,
    )
