"""The map's geometry: projection, text sizes, label placement, spacing.

Pure arithmetic on coordinates and estimated text boxes, shared by the
SVG drawing ([`buddymatch.render.map`][buddymatch.render.map]).  The projection
is
equirectangular: x is longitude times the cosine of the trusts' mean
latitude, y is latitude, so distances read true near that latitude
(within about 5 % across England) and no projection library is needed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

#: Beyond this many markers, markers are not spread apart (quadratic).
_MAX_SPREAD = 600
_KM_PER_DEGREE = 111.32


# Advance widths in ems of character classes of DejaVu Sans, the widest
# of the fonts asked for; an SVG writer has no font metrics, so text boxes
# are estimated from these (within about 5 % of the real width, erring
# wide, for English names and ids).  Bold is about 10 % wider.
_NARROW = frozenset("il.,:;|!'’")
_SLIM = frozenset("fjrt()[]- ")
_WIDE = frozenset("mwMW")


def _char_em(ch: str) -> float:
    if ch in _NARROW:
        return 0.30
    if ch in _SLIM:
        return 0.38
    if ch in _WIDE:
        return 0.92
    if ch.isupper():
        return 0.72
    if ch.isdigit():
        return 0.64
    return 0.60 if ch.islower() else 0.75


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Return the estimated width of *text* in pixels."""
    em = sum(_char_em(ch) for ch in text)
    return em * size * (1.15 if bold else 1.05)


# ---------------------------------------------------------------------------
# Geometry: projection, layout, label placement
# ---------------------------------------------------------------------------

#: The view when the result names no trust: Great Britain.
_DEFAULT_VIEW = (-5.9, 49.9, 1.8, 55.9)  # lon min, lat min, lon max, lat max


@dataclass(frozen=True)
class Frame:
    """Equirectangular projection of the view into the map's pixels."""

    left: float
    top: float
    width: float
    height: float
    x_centre: float  # projected units (degrees of latitude)
    y_centre: float
    shrink: float  # cos(mean latitude): degrees of longitude to x units
    scale: float  # pixels per projected unit

    @classmethod
    def fit(
        cls,
        lats: NDArray[np.float64],
        lons: NDArray[np.float64],
        *,
        left: float,
        top: float,
        width: float,
    ) -> Frame:
        if lats.size:
            shrink = math.cos(math.radians(float(lats.mean())))
            x = lons * shrink
            x_lo, x_hi = float(x.min()), float(x.max())
            y_lo, y_hi = float(lats.min()), float(lats.max())
        else:
            lon_lo, lat_lo, lon_hi, lat_hi = _DEFAULT_VIEW
            shrink = math.cos(math.radians((lat_lo + lat_hi) / 2))
            x_lo, x_hi = lon_lo * shrink, lon_hi * shrink
            y_lo, y_hi = lat_lo, lat_hi
        # Room for markers and labels at the edges; a lone trust or a row of
        # trusts still gets a view about 100 km across.
        pad = max(0.25, 0.06 * max(x_hi - x_lo, y_hi - y_lo))
        x_span = max(x_hi - x_lo + 2 * pad, 1.0)
        y_span = max(y_hi - y_lo + 2 * pad, 1.0)
        # A very tall or very wide view would waste the page.
        height = min(max(width * y_span / x_span, 0.6 * width), 1.5 * width)
        scale = min(width / x_span, height / y_span)
        return cls(
            left,
            top,
            width,
            height,
            (x_lo + x_hi) / 2,
            (y_lo + y_hi) / 2,
            shrink,
            scale,
        )

    def project(
        self, lons: NDArray[np.float64], lats: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return pixel x and y of points (vectorised)."""
        middle_x = self.left + self.width / 2
        middle_y = self.top + self.height / 2
        x = middle_x + (lons * self.shrink - self.x_centre) * self.scale
        y = middle_y - (lats - self.y_centre) * self.scale
        return x, y

    def km_per_pixel(self) -> float:
        return _KM_PER_DEGREE / self.scale


Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass
class Occupancy:
    """Boxes already taken on the map, in a coarse grid for fast lookup."""

    bounds: Box
    cell: float = 48.0
    boxes: list[Box] = field(default_factory=list)
    grid: dict[tuple[int, int], list[int]] = field(default_factory=dict)

    def _cells(self, box: Box) -> Iterable[tuple[int, int]]:
        for i in range(int(box[0] // self.cell), int(box[2] // self.cell) + 1):
            for j in range(
                int(box[1] // self.cell), int(box[3] // self.cell) + 1
            ):
                yield i, j

    def add(self, box: Box) -> None:
        self.boxes.append(box)
        for key in self._cells(box):
            self.grid.setdefault(key, []).append(len(self.boxes) - 1)

    def cost(self, box: Box) -> float:
        """Overlap area with taken boxes, plus any part outside the map."""
        x0, y0, x1, y1 = self.bounds
        inside_w = max(0.0, min(box[2], x1) - max(box[0], x0))
        inside_h = max(0.0, min(box[3], y1) - max(box[1], y0))
        outside = (box[2] - box[0]) * (box[3] - box[1]) - inside_w * inside_h
        total = 10.0 * outside
        seen: set[int] = set()
        for key in self._cells(box):
            for k in self.grid.get(key, ()):
                if k in seen:
                    continue
                seen.add(k)
                other = self.boxes[k]
                w = min(box[2], other[2]) - max(box[0], other[0])
                h = min(box[3], other[3]) - max(box[1], other[1])
                if w > 0 and h > 0:
                    total += w * h
        return total


def label_spot(
    taken: Occupancy,
    x: float,
    y: float,
    text_w: float,
    size: float,
    gap: float,
) -> tuple[float, float, str, float]:
    """Return the least crowded place for a label beside a marker.

    Tries eight places around the marker, right first (the way maps are
    read); returns the text anchor point, the SVG ``text-anchor`` and the
    overlap cost of the best place.
    """
    h = size * 1.15
    base = size * 0.35  # from the vertical middle to the baseline
    diagonal = gap * 0.7
    spots = (
        (x + gap, y + base, "start"),
        (x - gap, y + base, "end"),
        (x + diagonal, y - diagonal - h / 2 + base, "start"),
        (x + diagonal, y + diagonal + h / 2 + base, "start"),
        (x - diagonal, y - diagonal - h / 2 + base, "end"),
        (x - diagonal, y + diagonal + h / 2 + base, "end"),
        (x, y - gap - h / 2 + base, "middle"),
        (x, y + gap + h / 2 + base, "middle"),
    )
    best: tuple[float, float, str, float] | None = None
    for tx, ty, anchor in spots:
        cost = taken.cost(_text_box(tx, ty, anchor, text_w, size))
        if best is None or cost < best[3]:
            best = (tx, ty, anchor, cost)
        if cost == 0:
            break
    assert best is not None
    return best


def _text_box(
    tx: float, ty: float, anchor: str, text_w: float, size: float
) -> Box:
    """Return the box of text drawn at (tx, ty) with *anchor*."""
    h = size * 1.15
    base = size * 0.35  # from the vertical middle to the baseline
    x0 = {"start": tx, "end": tx - text_w, "middle": tx - text_w / 2}[anchor]
    return (x0, ty - base - h / 2, x0 + text_w, ty - base + h / 2)


def label_box(
    tx: float, ty: float, anchor: str, text_w: float, size: float
) -> Box:
    """Return the box a placed label takes, margin included."""
    x0, y0, x1, y1 = _text_box(tx, ty, anchor, text_w, size)
    # Labels that merely touch read as one ("Croydon Hospitals ■
    # Gillingham Hospitals"), so a margin around a placed label is taken.
    return (x0 - 5, y0 - 1.5, x1 + 5, y1 + 1.5)


def wrap_text(text: str, width: float, size: float) -> list[str]:
    """Break *text* at spaces into lines at most *width* pixels wide."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while text_width(word, size) > width and len(word) > 1:
            # A word longer than a line is cut where it overflows.
            cut = len(word) - 1
            while cut > 1 and text_width(word[:cut], size) > width:
                cut -= 1
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        joined = f"{line} {word}" if line else word
        if line and text_width(joined, size) > width:
            lines.append(line)
            line = word
        else:
            line = joined
    if line:
        lines.append(line)
    return lines


def spread(
    xs: NDArray[np.float64], ys: NDArray[np.float64], *, gap: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Push markers that would cover each other a few pixels apart.

    Trusts in one town (two trusts in Croydon, say) would otherwise hide
    one another.  Each round moves every pair closer than *gap* apart by
    half the shortfall each, and no marker ends more than half a *gap*
    from its site: a kilometre or two on a map of England.  Above
    `_MAX_SPREAD` markers the map is dense anyway and positions are
    kept exact.
    """
    n = xs.size
    if n < 2 or n > _MAX_SPREAD:
        return xs, ys
    sites = np.stack([xs, ys], axis=1)
    # A tiny, fixed offset per marker gives coincident sites a direction
    # to part in (the golden angle spreads them evenly).
    turn = np.arange(n) * 2.399963
    points = sites + 1e-3 * np.stack([np.cos(turn), np.sin(turn)], axis=1)
    for _ in range(50):
        apart = points[:, None, :] - points[None, :, :]
        dist = np.hypot(apart[..., 0], apart[..., 1])
        np.fill_diagonal(dist, np.inf)
        short = np.where(dist < gap, gap - dist, 0.0)
        if not short.any():
            break
        push = short / (2 * np.maximum(dist, 1e-9))
        points = points + (apart * push[..., None]).sum(axis=1)
        moved = points - sites
        far = np.hypot(moved[:, 0], moved[:, 1])
        limit = np.minimum(1.0, (gap / 2) / np.maximum(far, 1e-9))
        points = sites + moved * limit[:, None]
    return points[:, 0], points[:, 1]


def nice_km(limit: float) -> float:
    """Return the largest 1, 2 or 5 × 10^k kilometres not above *limit*."""
    nice = 1.0
    for power in range(0, 5):
        for step in (1, 2, 5):
            if step * 10**power <= limit:
                nice = float(step * 10**power)
    return nice
