"""Tests of the relation graph and the pairs relations ban."""

from __future__ import annotations

import numpy as np
import pytest

import buddymatch as bm
from buddymatch.conflicts import (
    BAN_KINDS,
    Ban,
    banned_pairs,
    conflict_mask,
    neighbour_mask,
    relation_graph,
    too_far_mask,
)
from conftest import make_trust

TRUSTS = tuple(
    make_trust(tid, 52.0 + k / 10, -1.5, capacity=2)
    for k, tid in enumerate(("A", "B", "C", "D"))
)


def rel(a: str, b: str, kind: str, note: str | None = None) -> bm.Relation:
    return bm.Relation(a=a, b=b, kind=kind, note=note)


def problem(*relations: bm.Relation) -> bm.Problem:
    return bm.Problem(
        trusts=TRUSTS,
        needs=(bm.Need(seeker="A", area="finance"),),
        relations=relations,
    )


def test_the_graph_holds_every_relation_with_its_note() -> None:
    graph = relation_graph(
        problem(
            rel("A", "B", "competitor", "shared catchment"),
            rel("A", "C", "veto"),
            bm.Relation(a="A", b="D", kind="pinned", area="finance"),
        )
    )
    assert list(graph.nodes) == ["A", "B", "C", "D"]
    assert graph.edges["A", "B", "competitor"]["note"] == "shared catchment"
    assert graph.edges["B", "A", "competitor"]["symmetric"]
    assert graph.has_edge("A", "C", "veto")
    assert not graph.has_edge("C", "A", "veto")
    assert graph.edges["A", "D", "pinned:finance"]["area"] == "finance"


def test_a_competitor_relation_bans_both_directions() -> None:
    bans = banned_pairs(
        problem(rel("B", "A", "competitor", "rivals")), bm.Policy()
    )
    assert bans == {
        ("B", "A"): Ban("competitor", "rivals"),
        ("A", "B"): Ban("competitor", "rivals"),
    }


def test_a_tertiary_relation_bans_both_directions() -> None:
    bans = banned_pairs(problem(rel("A", "C", "tertiary")), bm.Policy())
    assert set(bans) == {("A", "C"), ("C", "A")}
    assert bans["C", "A"].words() == "relation tertiary"


def test_a_veto_bans_seeker_a_with_buddy_b_only() -> None:
    bans = banned_pairs(problem(rel("A", "B", "veto", "failed")), bm.Policy())
    assert bans == {("A", "B"): Ban("veto", "failed")}


def test_acquirers_are_banned_unless_the_policy_allows() -> None:
    relations = (rel("A", "D", "acquirer"),)
    assert set(banned_pairs(problem(*relations), bm.Policy())) == {
        ("A", "D"),
        ("D", "A"),
    }
    allowed = bm.Policy(allow_acquirer_buddies=True)
    assert banned_pairs(problem(*relations), allowed) == {}


def test_prior_preferred_and_pinned_ban_nothing() -> None:
    bans = banned_pairs(
        problem(
            rel("A", "B", "prior"),
            rel("A", "C", "preferred"),
            rel("A", "D", "pinned"),
        ),
        bm.Policy(),
    )
    assert bans == {}


@pytest.mark.parametrize(
    ("kinds", "reason"),
    [
        (("veto", "competitor"), "competitor"),
        (("acquirer", "tertiary"), "tertiary"),
        (("veto", "acquirer"), "acquirer"),
        (("tertiary", "competitor", "veto"), "competitor"),
    ],
)
def test_the_first_kind_in_reason_order_wins(
    kinds: tuple[str, ...], reason: str
) -> None:
    relations = [rel("A", "B", kind, f"note {kind}") for kind in kinds]
    ban = banned_pairs(problem(*relations), bm.Policy())["A", "B"]
    assert ban == Ban(reason, f"note {reason}")  # type: ignore[arg-type]
    assert BAN_KINDS.index(ban.code) == min(BAN_KINDS.index(k) for k in kinds)


def test_the_first_of_two_equal_relations_keeps_its_note() -> None:
    bans = banned_pairs(
        problem(
            rel("A", "B", "competitor", "first"),
            rel("B", "A", "competitor", "second"),
        ),
        bm.Policy(),
    )
    assert bans["A", "B"].note == bans["B", "A"].note == "first"


def test_bans_do_not_depend_on_the_order_of_trusts() -> None:
    relations = (
        rel("C", "A", "competitor", "x"),
        rel("A", "B", "veto"),
        rel("D", "B", "tertiary"),
    )
    forward = banned_pairs(problem(*relations), bm.Policy())
    backward = banned_pairs(
        problem(*relations).replace(trusts=TRUSTS[::-1]), bm.Policy()
    )
    assert forward == backward
    assert list(forward) == list(backward)


def test_ban_words_carry_the_note() -> None:
    assert Ban("competitor", "shared catchment").words() == (
        "relation competitor: shared catchment"
    )
    assert Ban("veto").words() == "relation veto"
    assert "allow_acquirer_buddies" in Ban("acquirer").words()


def test_the_travel_window_masks() -> None:
    minutes = np.array([[10.0, 30.0, 150.0, 150.1, np.nan]])
    policy = bm.Policy()
    assert neighbour_mask(minutes, policy).tolist() == [
        [True, False, False, False, False]
    ]
    assert too_far_mask(minutes, policy).tolist() == [
        [False, False, False, True, False]
    ]
    open_window = bm.Policy(min_travel_minutes=0, max_travel_minutes=None)
    assert not neighbour_mask(minutes, open_window).any()
    assert not too_far_mask(minutes, open_window).any()


def test_the_conflict_mask_joins_travel_and_relations() -> None:
    ids = ["A", "B", "C"]
    minutes = np.array(
        [[0.0, 60.0, 200.0], [60.0, 0.0, 20.0], [200.0, 20.0, 0.0]]
    )
    bans = banned_pairs(problem(rel("A", "B", "veto")), bm.Policy())
    mask = conflict_mask(minutes, bm.Policy(), bans, ids, ids)
    assert mask.tolist() == [
        [True, True, True],
        [False, True, True],
        [True, True, True],
    ]


def _bans_from_the_graph(
    prob: bm.Problem, policy: bm.Policy
) -> dict[tuple[str, str], Ban]:
    """The bans read off :func:`relation_graph`, in relation order."""
    graph = relation_graph(prob)
    edges = sorted(
        graph.edges(keys=True, data=True),
        key=lambda e: (e[3]["index"], e[3]["reverse"]),
    )
    bans: dict[tuple[str, str], Ban] = {}
    for kind in BAN_KINDS:
        if kind == "acquirer" and policy.allow_acquirer_buddies:
            continue
        for u, v, _key, data in edges:
            if data["kind"] == kind:
                bans.setdefault((u, v), Ban(kind, data["note"]))
    return bans


@pytest.mark.parametrize("allow_acquirers", [False, True])
def test_banned_pairs_are_the_relation_graphs_bans(
    allow_acquirers: bool,
) -> None:
    """banned_pairs skips networkx but reads the same edges, same order."""
    rng = np.random.default_rng(7)
    kinds = ("competitor", "tertiary", "acquirer", "veto", "prior")
    ids = [t.id for t in TRUSTS]
    policy = bm.Policy(allow_acquirer_buddies=allow_acquirers)
    for _ in range(50):
        relations = []
        for _ in range(int(rng.integers(0, 9))):
            a, b = rng.choice(ids, size=2, replace=False)
            note = str(rng.choice(["x", "y"])) if rng.random() < 0.5 else None
            relations.append(rel(str(a), str(b), str(rng.choice(kinds)), note))
        prob = problem(*relations)
        bans = banned_pairs(prob, policy)
        expected = _bans_from_the_graph(prob, policy)
        assert bans == expected
        assert list(bans) == list(expected)
