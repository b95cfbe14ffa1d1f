"""Relations between trusts, and the pairs they rule out.

The review's interviewees "would not want to have been partnered with a
neighbour, potential competitor or tertiary provider".  Competitors and
tertiary providers are explicit relations; neighbours are derived from
travel time (`neighbour_mask`).  An ``acquirer`` relation (one trust
may take the other over) bans the pair too unless
``Policy.allow_acquirer_buddies``; a ``veto`` bans "seeker *a* with buddy
*b*" only.

Every banned pair keeps its reason and the relation's note, so that an
explanation can say *why* ("relation competitor: shared catchment").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

import numpy as np
from numpy.typing import NDArray

from buddymatch.model import SYMMETRIC_RELATIONS, Policy, Problem
from buddymatch.rules import RELATION_RULES, RelationRuleName

if TYPE_CHECKING:
    import networkx as nx

BanCode = RelationRuleName
#: Relation kinds that ban a pair, in the order they are reported: when a
#: pair has several, the first kind here is the reason given.
BAN_KINDS: tuple[BanCode, ...] = RELATION_RULES

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Ban:
    """Why a (seeker, buddy) pair may not be partnered.

    Parameters
    ----------
    code
        The relation kind: ``competitor``, ``tertiary``, ``acquirer`` or
        ``veto``.
    note
        The relation's note, when the user gave one.
    """

    code: BanCode
    note: str | None = None

    def words(self) -> str:
        """Return the reason in plain English, with the note if any."""
        text = f"relation {self.code}"
        if self.code == "acquirer":
            text += " (policy.allow_acquirer_buddies is off)"
        return f"{text}: {self.note}" if self.note else text


def _edge_key(kind: str, area: str | None) -> str:
    # Pins may name an area, and one pair may be pinned in several areas.
    return kind if area is None else f"{kind}:{area}"


class _EdgeData(TypedDict):
    """The attributes of a relation graph's edge."""

    kind: str
    note: str | None
    area: str | None
    symmetric: bool
    index: int
    reverse: bool


def _relation_edges(
    problem: Problem,
) -> list[tuple[str, str, str, _EdgeData]]:
    """Return the relation graph's edges ``(u, v, key, attributes)``.

    In relation order (then the forward edge before the reverse one), the
    first of repeated ``(u, v, key)`` only: the edges of
    `relation_graph`, without networkx, which takes ~0.1 s to load
    and which `banned_pairs` (every ``validate`` and ``propose``)
    does not need.
    """
    seen: set[tuple[str, str, str]] = set()
    edges: list[tuple[str, str, str, _EdgeData]] = []
    for index, rel in enumerate(problem.relations):
        symmetric = rel.kind in SYMMETRIC_RELATIONS
        key = _edge_key(rel.kind, rel.area)
        ends = (
            [(rel.a, rel.b), (rel.b, rel.a)] if symmetric else [(rel.a, rel.b)]
        )
        for reverse, (u, v) in enumerate(ends):
            if (u, v, key) in seen:
                continue
            seen.add((u, v, key))
            attributes: _EdgeData = {
                "kind": rel.kind,
                "note": rel.note,
                "area": rel.area,
                "symmetric": symmetric,
                "index": index,
                "reverse": bool(reverse),
            }
            edges.append((u, v, key, attributes))
    return edges


def relation_graph(problem: Problem) -> nx.MultiDiGraph:
    """Return the problem's relations as a directed multigraph.

    Nodes are the trust ids, in input order.  Every relation is an edge
    ``a → b`` keyed by its kind (``"pinned:<area>"`` for a pin naming an
    area), with attributes ``kind``, ``note``, ``area``, ``symmetric`` and
    ``index`` (its position in ``problem.relations``) and ``reverse`` (True
    on the ``b → a`` edge of a symmetric relation).  The symmetric kinds
    (competitor, tertiary, acquirer, prior) get the reverse edge ``b → a``
    too, so "may *u* be helped by *v*" is always the one question "is there
    an edge ``u → v``".  When the same relation is given twice, the first
    one (and its note) is kept.

    Parameters
    ----------
    problem
        The problem.

    Returns
    -------
    networkx.MultiDiGraph
        The relation graph.
    """
    # Imported here, not at the top: networkx takes ~0.1 s to load and only
    # callers that want the graph itself need it.
    import networkx as nx

    graph = nx.MultiDiGraph()
    graph.add_nodes_from(problem.trust_ids)
    for u, v, key, attributes in _relation_edges(problem):
        graph.add_edge(u, v, key=key, **attributes)
    return graph


def banned_pairs(
    problem: Problem, policy: Policy
) -> dict[tuple[str, str], Ban]:
    """Return every (seeker, buddy) pair that a relation bans, with why.

    Symmetric kinds (competitor, tertiary, acquirer) ban both orientations;
    a veto bans "seeker *a* with buddy *b*" only; acquirer relations ban
    nothing when ``policy.allow_acquirer_buddies`` is on.  A pair with
    several banning relations carries the first in `BAN_KINDS` order.

    Parameters
    ----------
    problem
        The problem.
    policy
        The policy.

    Returns
    -------
    dict
        ``(seeker_id, buddy_id) -> Ban``, ordered by kind then by the
        relations' input order.
    """
    kinds = [
        kind
        for kind in BAN_KINDS
        if kind != "acquirer" or not policy.allow_acquirer_buddies
    ]
    # Edges are visited in relation order (not node order), so the result
    # does not depend on the order of the trusts.
    edges = _relation_edges(problem)
    bans: dict[tuple[str, str], Ban] = {}
    for kind in kinds:
        for u, v, _key, data in edges:
            if data["kind"] == kind:
                bans.setdefault((u, v), Ban(kind, data["note"]))
    return bans


def neighbour_mask(minutes: FloatArray, policy: Policy) -> BoolArray:
    """Return where pairs are neighbours: closer than the travel window.

    Parameters
    ----------
    minutes
        Travel minutes (already rounded, where the caller compares rounded
        values); NaN is never a neighbour.
    policy
        ``min_travel_minutes`` (0 switches the rule off).

    Returns
    -------
    numpy.ndarray
        bool of the same shape.
    """
    return np.less(minutes, policy.min_travel_minutes)


def too_far_mask(minutes: FloatArray, policy: Policy) -> BoolArray:
    """Return where pairs are farther than ``policy.max_travel_minutes``.

    Parameters
    ----------
    minutes
        Travel minutes; NaN is never too far.
    policy
        ``max_travel_minutes`` (``None`` switches the rule off).

    Returns
    -------
    numpy.ndarray
        bool of the same shape.
    """
    if policy.max_travel_minutes is None:
        return np.zeros(np.shape(minutes), dtype=bool)
    return np.greater(minutes, policy.max_travel_minutes)


def conflict_mask(
    minutes: FloatArray,
    policy: Policy,
    bans: Mapping[tuple[str, str], Ban],
    origins: Sequence[str],
    destinations: Sequence[str],
) -> BoolArray:
    """Return where an origin may not be partnered with a destination.

    Combines the travel window (neighbours and too-far pairs) with the
    relation bans; it answers "is the pair ruled out by geography or a
    relation", not which rule comes first (see
    [`buddymatch.candidates`][buddymatch.candidates] for that).

    Parameters
    ----------
    minutes
        ``(len(origins), len(destinations))`` travel minutes.
    policy
        The travel window.
    bans
        From `banned_pairs`.
    origins, destinations
        Trust ids of the rows and columns.

    Returns
    -------
    numpy.ndarray
        bool, True where the pair is ruled out.
    """
    mask = neighbour_mask(minutes, policy)
    mask |= too_far_mask(minutes, policy)
    row_of = {tid: i for i, tid in enumerate(origins)}
    col_of = {tid: j for j, tid in enumerate(destinations)}
    rows = [row_of.get(seeker, -1) for seeker, _ in bans]
    cols = [col_of.get(buddy, -1) for _, buddy in bans]
    row_index = np.asarray(rows, dtype=np.intp)
    col_index = np.asarray(cols, dtype=np.intp)
    keep = (row_index >= 0) & (col_index >= 0)
    mask[row_index[keep], col_index[keep]] = True
    return mask
