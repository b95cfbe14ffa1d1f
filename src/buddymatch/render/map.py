"""A map of a proposal: trusts at their sites, each pairing as a line.

The picture answers "who buddies whom, and how far apart are they?" at a
glance.  Seekers are dark squares, buddies white circles, and each
assignment is a straight line from seeker to buddy in the colour of its
area; a dashed ring marks a seeker with an unmet need.  A simplified
coastline of Great Britain (`buddymatch.geo_outline`) is the
background, so the map needs no network: nothing is fetched, no script,
style sheet or font is linked.

Everything is drawn from the [`Result`][buddymatch.result.Result] alone (its
JSON carries id, name, kind and coordinates of every trust it names).
Every piece of user text (names, ids, areas, reasons) is XML-escaped
([`buddymatch.escape.xml_escape`][buddymatch.escape.xml_escape]), so a trust
named
``<script>`` shows as text.  Files are written by
[`buddymatch.render.write_output`][buddymatch.render.write_output] (a
[`Map`][buddymatch.render.map.Map] of the result);
reading a result back is
[`buddymatch.mapping.read_result`][buddymatch.mapping.read_result].

The projection is equirectangular: x is longitude times the cosine of the
trusts' mean latitude, y is latitude, so distances read true near that
latitude (within about 5 % across England) and no projection library is
needed.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from buddymatch.errors import (
    InputError,
    InputProblem,
)
from buddymatch.escape import xml_escape as _x
from buddymatch.geo_outline import OUTLINES
from buddymatch.render.map_layout import (
    Box,
    Frame,
    Occupancy,
    label_box,
    label_spot,
    nice_km,
    spread,
    text_width,
    wrap_text,
)
from buddymatch.result import (
    Assignment,
    BuddyUse,
    Result,
    TrustRef,
    UnmetNeed,
)
from buddymatch.wording import area_words, plural, short_trust_name

__all__ = [
    "AREA_COLOURS",
    "Map",
    "check_trusts",
    "render_svg",
    "short_name",
]


@dataclass(frozen=True)
class Map:
    """A proposal to be drawn as a map by
    [`write_output`][buddymatch.render.write_output].

    ``write_output(Map(result), "map.svg")`` writes the picture (``.svg``,
    ``.html`` or ``.png``), where ``write_output(result, ...)`` writes the
    proposal itself (``.csv``, ``.json`` or ``.md``).

    Attributes
    ----------
    result
        The proposal; its ``trusts`` must include every trust it names.
    """

    result: Result


#: Line colours of areas, in order of the areas' names.  The Okabe-Ito
#: palette, which stays distinguishable with the common colour-vision
#: deficiencies, with its yellow and black swapped for Paul Tol's olive and
#: indigo: yellow vanishes on the pale land and black reads as a marker.
#: A ninth area and beyond reuse the colours with a dashed, then a dotted
#: line.
AREA_COLOURS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#D55E00",  # vermilion
    "#56B4E9",  # sky blue
    "#999933",  # olive
    "#332288",  # indigo
)
_DASHES: tuple[str, ...] = ("", "8 4", "2 3")

FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
_INK = "#222222"
_MUTED = "#5A5A5A"
_SEA = "#EAF1F6"
_LAND = "#F8F6F0"
_COAST = "#B5AFA2"
_UNMET = "#B00020"
_OTHER = "#9A9A9A"

# Layout, in SVG pixels.
_MARGIN = 14.0
_TITLE_H = 62.0
_PANEL_W = 250.0
_MIN_WIDTH = 480
_MAX_WIDTH = 4000
#: Beyond this many trusts, markers and lines are drawn smaller.
_CROWDED_TRUSTS = 150
_LABEL_SIZE = 11.0
_BUDDY_LABEL_SIZE = 9.0
#: Beyond this many seekers, labels show ids and only where they fit; the
#: hover titles still name every trust.
_MAX_NAMED_LABELS = 40
_MAX_UNMET_LISTED = 12
_LABEL_CHARS = 28


def _num(value: float) -> str:
    """Format a coordinate compactly (0.1 px is finer than any screen)."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def short_name(trust: TrustRef) -> str:
    """Return the trust's name without the NHS suffix, or its id.

    Parameters
    ----------
    trust
        The trust.

    Returns
    -------
    str
        E.g. ``"Truro Hospitals"`` for "Truro Hospitals NHS Trust",
        shortened with an ellipsis beyond 28 characters.
    """
    name = short_trust_name(" ".join(trust.name.split()) or trust.id)
    if len(name) > _LABEL_CHARS:
        name = name[: _LABEL_CHARS - 1].rstrip() + "…"
    return name


def full_name(trust: TrustRef) -> str:
    name = " ".join(trust.name.split())
    return f"{name} ({trust.id})" if name and name != trust.id else trust.id


# ---------------------------------------------------------------------------
# Checking that a result names only trusts it carries
# ---------------------------------------------------------------------------


def _named_ids(result: Result) -> list[tuple[str, str]]:
    """Return ``(field path, trust id)`` of every trust the result names."""
    named: list[tuple[str, str]] = []
    for i, a in enumerate(result.assignments):
        named += [
            (f"assignments.{i}.seeker", a.seeker),
            (f"assignments.{i}.buddy", a.buddy),
        ]
    for i, p in enumerate(result.partnerships):
        named += [
            (f"partnerships.{i}.seeker", p.seeker),
            (f"partnerships.{i}.buddy", p.buddy),
        ]
    named += [
        (f"unmet.{i}.seeker", u.seeker) for i, u in enumerate(result.unmet)
    ]
    return named


def check_trusts(result: Result, file: str) -> None:
    """Raise an InputError if *result* names a trust it does not carry.

    A map draws each trust at its site, which only ``result.trusts``
    gives; a result edited by hand may name one that is not there.

    Parameters
    ----------
    result
        The proposal.
    file
        Where the result comes from, for the error.

    Raises
    ------
    InputError
        Listing each field that names a missing trust.
    """
    known = {t.id for t in result.trusts}
    problems = [
        InputProblem(
            file,
            path,
            None,
            f"trust {trust_id!r} is not among the result's trusts, so it "
            "has no site to draw",
            "map a result written by buddymatch (propose --out "
            "result.json), which lists every trust it names under "
            "'trusts'",
        )
        for path, trust_id in _named_ids(result)
        if trust_id not in known
    ]
    if problems:
        raise InputError(problems)


# ---------------------------------------------------------------------------
# The SVG
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Look:
    """Sizes of markers and lines, in pixels; smaller on crowded maps."""

    seeker_half: float  # half the side of a seeker's square
    buddy_r: float
    ring_r: float  # the unmet-need ring around a seeker
    line_width: float
    line_gap: float  # between parallel lines of one partnership
    min_gap: float  # centre to centre, so that markers do not cover

    @classmethod
    def for_count(cls, n_trusts: int) -> _Look:
        k = 1.0 if n_trusts <= _CROWDED_TRUSTS else 0.6
        return cls(5.0 * k, 4.5 * k, 10.5 * k, 2.4 * k, 3.2 * k, 11.0 * k)

    def radius(self, roles: Roles, trust_id: str) -> float:
        """Half the size of the trust's marker, ring included."""
        if trust_id in roles.unmet:
            return self.ring_r
        if trust_id in roles.seekers:
            return self.seeker_half
        return self.buddy_r


@dataclass(frozen=True)
class Roles:
    """Who is who in the result, indexed by trust, in a stable order."""

    trusts: dict[str, TrustRef]
    seekers: list[str]
    buddies: list[str]
    others: list[str]  # carried by the result but named nowhere
    areas: list[str]
    as_seeker: dict[str, list[Assignment]]
    as_buddy: dict[str, list[Assignment]]
    unmet: dict[str, list[UnmetNeed]]
    use: dict[str, BuddyUse]

    @classmethod
    def of(cls, result: Result) -> Roles:
        trusts = {t.id: t for t in sorted(result.trusts, key=lambda t: t.id)}
        seekers = {a.seeker for a in result.assignments}
        seekers |= {p.seeker for p in result.partnerships}
        seekers |= {u.seeker for u in result.unmet}
        buddies = {a.buddy for a in result.assignments}
        buddies |= {p.buddy for p in result.partnerships}
        as_seeker: dict[str, list[Assignment]] = defaultdict(list)
        as_buddy: dict[str, list[Assignment]] = defaultdict(list)
        for a in sorted(
            result.assignments, key=lambda a: (a.seeker, a.area, a.buddy)
        ):
            as_seeker[a.seeker].append(a)
            as_buddy[a.buddy].append(a)
        unmet: dict[str, list[UnmetNeed]] = defaultdict(list)
        for u in sorted(result.unmet, key=lambda u: (u.seeker, u.area)):
            unmet[u.seeker].append(u)
        return cls(
            trusts,
            sorted(seekers),
            sorted(buddies),
            [i for i in trusts if i not in seekers | buddies],
            sorted({a.area for a in result.assignments}),
            dict(as_seeker),
            dict(as_buddy),
            dict(unmet),
            {u.buddy: u for u in result.utilisation},
        )

    def style(self, area: str) -> tuple[str, str]:
        """Return the colour and dash pattern of *area*'s lines."""
        k = self.areas.index(area)
        n = len(AREA_COLOURS)
        return AREA_COLOURS[k % n], _DASHES[(k // n) % len(_DASHES)]

    def assignment_title(self, a: Assignment) -> str:
        """Hover text of an assignment's line."""
        seeker, buddy = self.trusts[a.seeker], self.trusts[a.buddy]
        return (
            f"{full_name(seeker)} ← {full_name(buddy)}\n"
            f"area: {a.area} ({a.tier} tier)\n"
            f"{a.travel_minutes:.0f} min apart, culture fit "
            f"{a.culture_fit:.2f}, expertise {a.expertise}/5, "
            f"score {a.score:.2f}" + ("\npinned" if a.pinned else "")
        )

    def trust_title(self, trust_id: str) -> str:
        """Hover text of a trust's marker: its role, partners and gaps."""
        trust = self.trusts[trust_id]
        lines = [f"{full_name(trust)}, {trust.kind.replace('_', ' ')}"]
        if trust_id in self.seekers:
            lines.append(
                "seeker; buddies: "
                + (
                    "; ".join(
                        f"{a.area} from {full_name(self.trusts[a.buddy])}"
                        for a in self.as_seeker.get(trust_id, [])
                    )
                    or "none"
                )
            )
        if trust_id in self.buddies:
            lines.append(
                "buddy to: "
                + "; ".join(
                    f"{full_name(self.trusts[a.seeker])} in {a.area}"
                    for a in sorted(
                        self.as_buddy.get(trust_id, []),
                        key=lambda a: (a.seeker, a.area),
                    )
                )
            )
            use = self.use.get(trust_id)
            if use is not None:
                lines.append(
                    f"workload {use.workload} of capacity {use.capacity}"
                )
        lines.extend(
            f"UNMET {u.area}: {u.detail}" for u in self.unmet.get(trust_id, [])
        )
        return "\n".join(lines)


def _halo_text(
    x: float,
    y: float,
    text: str,
    *,
    size: float,
    anchor: str,
    colour: str,
    weight: str = "normal",
    css: str = "label",
) -> str:
    """Return text drawn over a white halo, readable on top of lines."""
    common = (
        f'x="{_num(x)}" y="{_num(y)}" font-size="{size:g}" '
        f'text-anchor="{anchor}" font-weight="{weight}"'
    )
    # The halo is a second copy rather than paint-order, which not every
    # SVG renderer (nor every PNG converter) supports.
    return (
        f'<g class="{css}"><text {common} fill="white" stroke="white" '
        f'stroke-width="3" stroke-linejoin="round" aria-hidden="true">'
        f"{_x(text)}</text>"
        f'<text {common} fill="{colour}">{_x(text)}</text></g>'
    )


def _summary_line(result: Result) -> str:
    return (
        f"status {result.status} · "
        f"{plural(len(result.assignments), 'assignment')} in "
        f"{plural(len(result.partnerships), 'partnership')} · "
        f"{plural(len(result.unmet), 'unmet need')}"
    )


def render_svg(
    result: Result,
    *,
    width: int = 900,
    title: str = "Buddying proposal",
) -> str:
    """Return a map of *result* as a standalone SVG document.

    Parameters
    ----------
    result
        The proposal; its ``trusts`` must include every trust it names.
    width
        Width of the picture in pixels (480-4000); the height follows from
        the trusts' extent.
    title
        Heading drawn above the map.

    Returns
    -------
    str
        SVG 1.1 text (UTF-8, no XML declaration).  Each assignment is one
        ``<line class="assignment">`` and each trust one
        ``<g class="trust …">``; both carry a ``<title>`` that viewers show
        on hover.

    Raises
    ------
    InputError
        If the result names a trust missing from ``result.trusts``.
    ValueError
        If *width* is out of range.
    """
    if not _MIN_WIDTH <= width <= _MAX_WIDTH:
        raise ValueError(
            f"width must be {_MIN_WIDTH} to {_MAX_WIDTH} pixels, got {width}"
        )
    check_trusts(result, "<result>")
    roles = Roles.of(result)
    # Trusts the result carries but names nowhere are drawn too (grey), so
    # that nothing in the file is silently left off the map.
    ids = list(roles.trusts)
    look = _Look.for_count(len(ids))
    lats = np.array([roles.trusts[i].lat for i in ids], dtype=np.float64)
    lons = np.array([roles.trusts[i].lon for i in ids], dtype=np.float64)
    frame = Frame.fit(
        lats,
        lons,
        left=_MARGIN,
        top=_TITLE_H,
        width=width - _PANEL_W - 2 * _MARGIN,
    )
    xs, ys = spread(*frame.project(lons, lats), gap=look.min_gap)
    at = {i: (float(x), float(y)) for i, x, y in zip(ids, xs, ys, strict=True)}
    scale_bar, scale_box = _scale_bar(frame)
    panel, panel_h = _panel(result, roles, left=width - _PANEL_W)
    height = math.ceil(_TITLE_H + max(frame.height, panel_h) + _MARGIN)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT}" role="img" aria-labelledby="map-title">',
        f'<title id="map-title">{_x(title)}: {_x(_summary_line(result))}'
        "</title>",
        f'<rect class="page" width="{width}" height="{height}" fill="white"/>',
        f'<text x="{_num(_MARGIN)}" y="28" font-size="20" '
        f'font-weight="bold" fill="{_INK}">{_x(title)}</text>',
        f'<text x="{_num(_MARGIN)}" y="50" font-size="13" '
        f'fill="{_MUTED}">{_x(_summary_line(result))}</text>',
        *_background(frame),
        *_lines(roles, look, at),
        *_markers(roles, look, at),
        *_labels(roles, look, at, frame, [scale_box]),
        *scale_bar,
        *panel,
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _background(frame: Frame) -> list[str]:
    box = (
        f'x="{_num(frame.left)}" y="{_num(frame.top)}" '
        f'width="{_num(frame.width)}" height="{_num(frame.height)}"'
    )
    out = [
        f'<defs><clipPath id="map-clip"><rect {box}/></clipPath></defs>',
        '<g class="background" clip-path="url(#map-clip)">',
        f'<rect {box} fill="{_SEA}"/>',
    ]
    for polygon in OUTLINES:
        coast = np.array(polygon, dtype=np.float64)
        xs, ys = frame.project(coast[:, 0], coast[:, 1])
        points = " ".join(
            f"{_num(float(x))},{_num(float(y))}"
            for x, y in zip(xs, ys, strict=True)
        )
        out.append(
            f'<polygon class="coast" points="{points}" fill="{_LAND}" '
            f'stroke="{_COAST}" stroke-width="1" stroke-linejoin="round"/>'
        )
    out += ["</g>", f'<rect {box} fill="none" stroke="{_COAST}"/>']
    return out


def _lines(
    roles: Roles, look: _Look, at: dict[str, tuple[float, float]]
) -> list[str]:
    """One line per assignment; a partnership's lines run side by side."""
    out = ['<g class="assignments" fill="none" stroke-linecap="round">']
    for seeker in roles.seekers:
        by_buddy: dict[str, list[Assignment]] = defaultdict(list)
        for a in roles.as_seeker.get(seeker, []):
            by_buddy[a.buddy].append(a)
        for buddy in sorted(by_buddy):
            group = by_buddy[buddy]
            (x1, y1), (x2, y2) = at[seeker], at[buddy]
            length = math.hypot(x2 - x1, y2 - y1) or 1.0
            # Unit normal: each of the partnership's lines is shifted
            # sideways so that every area's colour shows.
            nx, ny = -(y2 - y1) / length, (x2 - x1) / length
            for k, a in enumerate(group):
                shift = (k - (len(group) - 1) / 2) * look.line_gap
                colour, dash = roles.style(a.area)
                dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                out.append(
                    f'<line class="assignment" data-seeker="{_x(a.seeker)}" '
                    f'data-buddy="{_x(a.buddy)}" data-area="{_x(a.area)}" '
                    f'x1="{_num(x1 + nx * shift)}" '
                    f'y1="{_num(y1 + ny * shift)}" '
                    f'x2="{_num(x2 + nx * shift)}" '
                    f'y2="{_num(y2 + ny * shift)}" stroke="{colour}" '
                    f'stroke-width="{look.line_width:g}" '
                    f'stroke-opacity="0.9"{dash_attr}>'
                    f"<title>{_x(roles.assignment_title(a))}</title></line>"
                )
    out.append("</g>")
    return out


def _markers(
    roles: Roles, look: _Look, at: dict[str, tuple[float, float]]
) -> list[str]:
    """One group per trust: seekers are drawn last, on top."""
    out = ['<g class="trusts">']
    seekers = set(roles.seekers)
    buddies = set(roles.buddies)
    order = [
        *(i for i in roles.buddies if i not in seekers),
        *roles.others,
        *roles.seekers,
    ]
    for trust_id in order:
        x, y = at[trust_id]
        kinds = [
            kind
            for kind, on in (
                ("seeker", trust_id in seekers),
                ("buddy", trust_id in buddies),
                ("unmet", trust_id in roles.unmet),
            )
            if on
        ] or ["other"]
        parts = [
            f'<g class="trust {" ".join(kinds)}" data-trust="{_x(trust_id)}">',
            f"<title>{_x(roles.trust_title(trust_id))}</title>",
        ]
        if trust_id in roles.unmet:
            parts.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" '
                f'r="{look.ring_r:g}" fill="white" fill-opacity="0.6" '
                f'stroke="{_UNMET}" stroke-width="2" '
                'stroke-dasharray="4 2.5"/>'
            )
        if trust_id in seekers:
            s = look.seeker_half
            parts.append(
                f'<rect x="{_num(x - s)}" y="{_num(y - s)}" '
                f'width="{2 * s:g}" height="{2 * s:g}" fill="{_INK}" '
                'stroke="white" stroke-width="1"/>'
            )
            if trust_id in buddies:  # a seeker that also buddies others
                parts.append(
                    f'<circle cx="{_num(x)}" cy="{_num(y)}" '
                    f'r="{s * 0.45:g}" fill="white"/>'
                )
        elif trust_id in buddies:
            parts.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" '
                f'r="{look.buddy_r:g}" fill="white" stroke="{_INK}" '
                'stroke-width="1.8"/>'
            )
        else:
            parts.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" '
                f'r="{look.buddy_r * 0.7:g}" fill="{_OTHER}"/>'
            )
        parts.append("</g>")
        out.append("".join(parts))
    out.append("</g>")
    return out


def _labels(
    roles: Roles,
    look: _Look,
    at: dict[str, tuple[float, float]],
    frame: Frame,
    reserved: Sequence[Box],
) -> list[str]:
    """Seekers by short name (ids when crowded), then buddy ids where free.

    Labels are placed greedily beside their marker where they overlap no
    marker, no other label and no *reserved* box (the scale bar).  When
    nowhere is free, a seeker's label goes where it overlaps least (on a
    crowded map it is left out), and a buddy's is left out: hover titles
    still name every trust.
    """
    taken = Occupancy(
        (
            frame.left,
            frame.top,
            frame.left + frame.width,
            frame.top + frame.height,
        )
    )
    for box in reserved:
        taken.add(box)
    for trust_id, (x, y) in at.items():
        r = look.radius(roles, trust_id)
        taken.add((x - r, y - r, x + r, y + r))
    crowded = len(roles.seekers) > _MAX_NAMED_LABELS
    order = list(roles.seekers)
    if not crowded and order:
        # Seekers with most trusts nearby choose first: they have the
        # fewest free places.
        points = np.array(list(at.values()), dtype=np.float64)
        mine = np.array([at[i] for i in order], dtype=np.float64)
        gaps = np.hypot(
            mine[:, None, 0] - points[None, :, 0],
            mine[:, None, 1] - points[None, :, 1],
        )
        near = (gaps < 60.0).sum(axis=1)
        order = [order[k] for k in np.argsort(-near, kind="stable")]
    out = ['<g class="labels">']
    for trust_id in order:
        text = trust_id if crowded else short_name(roles.trusts[trust_id])
        x, y = at[trust_id]
        w = text_width(text, _LABEL_SIZE, bold=True)
        gap = look.radius(roles, trust_id) + 3
        tx, ty, anchor, cost = label_spot(taken, x, y, w, _LABEL_SIZE, gap)
        if crowded and cost > 0:
            continue
        taken.add(label_box(tx, ty, anchor, w, _LABEL_SIZE))
        out.append(
            _halo_text(
                tx,
                ty,
                text,
                size=_LABEL_SIZE,
                anchor=anchor,
                colour=_INK,
                weight="bold",
                css="label seeker-label",
            )
        )
    seekers = set(roles.seekers)
    for trust_id in roles.buddies:
        if trust_id in seekers:
            continue
        x, y = at[trust_id]
        w = text_width(trust_id, _BUDDY_LABEL_SIZE)
        tx, ty, anchor, cost = label_spot(
            taken, x, y, w, _BUDDY_LABEL_SIZE, look.buddy_r + 2
        )
        if cost > 0:
            continue
        taken.add(label_box(tx, ty, anchor, w, _BUDDY_LABEL_SIZE))
        out.append(
            _halo_text(
                tx,
                ty,
                trust_id,
                size=_BUDDY_LABEL_SIZE,
                anchor=anchor,
                colour=_MUTED,
                css="label buddy-label",
            )
        )
    out.append("</g>")
    return out


def _scale_bar(frame: Frame) -> tuple[list[str], Box]:
    """Return a scale bar for the map's bottom right corner, and its box."""
    km = nice_km(frame.width * 0.2 * frame.km_per_pixel())
    length = km / frame.km_per_pixel()
    right = frame.left + frame.width - 12
    x = right - length
    y = frame.top + frame.height - 12
    box = (x - 8, y - 20, right + 8, y + 8)
    return [
        '<g class="scale-bar">',
        f'<rect x="{_num(box[0])}" y="{_num(box[1])}" '
        f'width="{_num(box[2] - box[0])}" height="{_num(box[3] - box[1])}" '
        'fill="white" fill-opacity="0.8"/>',
        f'<path d="M{_num(x)},{_num(y - 4)} v4 h{_num(length)} v-4" '
        f'fill="none" stroke="{_INK}" stroke-width="1.5"/>',
        f'<text x="{_num(x + length / 2)}" y="{_num(y - 7)}" font-size="10" '
        f'text-anchor="middle" fill="{_INK}">{km:g} km</text>',
        "</g>",
    ], box


def _panel(
    result: Result, roles: Roles, *, left: float
) -> tuple[list[str], float]:
    """Key, areas legend and unmet needs, right of the map.

    Returns the SVG elements and the panel's height below the title.
    """
    x = left + 4
    y = _TITLE_H - 14
    look = _Look.for_count(0)  # the key shows full-size markers
    wrap = _PANEL_W - 16
    out = ['<g class="legend">']

    def heading(text: str) -> None:
        nonlocal y
        y += 30
        out.append(
            f'<text x="{_num(x)}" y="{_num(y)}" font-size="13" '
            f'font-weight="bold" fill="{_INK}">{_x(text)}</text>'
        )
        y += 4

    def row(symbol: str, text: str) -> None:
        # *symbol* is drawn centred on (cx, y + 18): the row's middle.
        nonlocal y
        y += 18
        out.append(symbol)
        out.append(
            f'<text x="{_num(x + 30)}" y="{_num(y + 4)}" font-size="12" '
            f'fill="{_INK}">{_x(text)}</text>'
        )

    def note(text: str, size: float, colour: str, step: float) -> None:
        nonlocal y
        y += step
        out.append(
            f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size:g}" '
            f'fill="{colour}">{_x(text)}</text>'
        )

    heading("Key")
    cx = x + 12
    s = look.seeker_half
    row(
        f'<rect x="{_num(cx - s)}" y="{_num(y + 18 - s)}" width="{2 * s:g}" '
        f'height="{2 * s:g}" fill="{_INK}"/>',
        "seeker (needs help)",
    )
    row(
        f'<circle cx="{_num(cx)}" cy="{_num(y + 18)}" r="{look.buddy_r:g}" '
        f'fill="white" stroke="{_INK}" stroke-width="1.8"/>',
        "buddy",
    )
    row(
        f'<circle cx="{_num(cx)}" cy="{_num(y + 18)}" r="8" fill="none" '
        f'stroke="{_UNMET}" stroke-width="2" stroke-dasharray="4 2.5"/>',
        "seeker with an unmet need",
    )
    if set(roles.seekers) & set(roles.buddies):
        row(
            f'<rect x="{_num(cx - s)}" y="{_num(y + 18 - s)}" '
            f'width="{2 * s:g}" height="{2 * s:g}" fill="{_INK}"/>'
            f'<circle cx="{_num(cx)}" cy="{_num(y + 18)}" '
            f'r="{s * 0.45:g}" fill="white"/>',
            "seeker that is also a buddy",
        )
    if roles.others:
        row(
            f'<circle cx="{_num(cx)}" cy="{_num(y + 18)}" '
            f'r="{look.buddy_r * 0.7:g}" fill="{_OTHER}"/>',
            "other trust in the result",
        )
    heading("Pairings by area")
    counts = Counter(a.area for a in result.assignments)
    if not roles.areas:
        note("no pairings proposed", 12, _MUTED, 16)
    for area in roles.areas:
        colour, dash = roles.style(area)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        row(
            f'<line x1="{_num(x)}" y1="{_num(y + 18)}" x2="{_num(x + 24)}" '
            f'y2="{_num(y + 18)}" stroke="{colour}" stroke-width="3"'
            f"{dash_attr}/>",
            f"{area_words(area)} ({counts[area]})",
        )
    y += 8
    note("A line joins a seeker to its buddy.", 10.5, _MUTED, 14)
    note("SVG/HTML: hover for the details.", 10.5, _MUTED, 13)
    heading("Unmet needs")
    if not roles.unmet:
        note("none: every need is met", 12, _MUTED, 16)
    # One entry per seeker, the most urgent first.
    seekers = sorted(
        roles.unmet,
        key=lambda i: (-max(u.priority for u in roles.unmet[i]), i),
    )
    for trust_id in seekers[:_MAX_UNMET_LISTED]:
        y += 5
        trust = roles.trusts[trust_id]
        for line in wrap_text(f"{short_name(trust)} ({trust_id})", wrap, 11):
            note(line, 11, _UNMET, 14)
        for u in sorted(roles.unmet[trust_id], key=lambda u: -u.priority):
            text = (
                f"{area_words(u.area)}, priority {u.priority}: "
                f"{u.reason.replace('_', ' ')}"
            )
            for k, line in enumerate(wrap_text(text, wrap - 8, 10.5)):
                note(("· " if k == 0 else "  ") + line, 10.5, _INK, 13.5)
    if len(seekers) > _MAX_UNMET_LISTED:
        hidden = sum(len(roles.unmet[i]) for i in seekers[_MAX_UNMET_LISTED:])
        note(
            f"… and {plural(hidden, 'more need')} of "
            f"{plural(len(seekers) - _MAX_UNMET_LISTED, 'more seeker')}",
            11,
            _MUTED,
            18,
        )
    out.append("</g>")
    return out, y - _TITLE_H + 8
