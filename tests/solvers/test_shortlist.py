"""The candidate shortlist used for models too large to solve whole."""

from __future__ import annotations

import math

import numpy as np
import pytest

import buddymatch as bm
from buddymatch import solvers, synth
from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.solvers import shortlist as shortlists
from buddymatch.solvers.assemble import resolve_pins
from buddymatch.solvers.greedy import greedy
from buddymatch.solvers.room import usable_candidates
from conftest import solve_verified


@pytest.fixture(scope="module")
def problem() -> bm.Problem:
    # Many candidates per need, capacity short: the shortlist must choose.
    return synth.generate(12, 3, 60, seed=3, pins=2)


def _setup(
    problem: bm.Problem,
) -> tuple[CandidateSet, np.ndarray, list[list[int]], np.ndarray]:
    cands = build_candidates(problem.canonical(), bm.Policy())
    usable = usable_candidates(cands)
    groups, impossible = resolve_pins(cands, usable)
    assert not impossible
    warm = greedy(cands, usable, groups)
    assert warm is not None
    return cands, usable, groups, warm


def test_keeps_each_needs_best_and_the_warm_start(
    problem: bm.Problem,
) -> None:
    cands, usable, _, warm = _setup(problem)
    mask = shortlists.shortlist(cands, usable, warm, per_buddy=1)
    assert not np.any(mask & ~(usable | warm))
    assert np.all(mask[warm])
    for n, need in enumerate(problem.canonical().needs):
        pairs = cands.pairs_of_need(n)
        pairs = pairs[usable[pairs]]
        if not len(pairs):
            continue
        kept = pairs[mask[pairs]]
        # Enough to meet the need, and its best-scoring pair among them.
        assert len(kept) >= need.buddies
        best = pairs[np.argmax(cands.score[pairs])]
        assert mask[best]


def test_shortlist_is_smaller_and_grows_with_per_buddy(
    problem: bm.Problem,
) -> None:
    cands, usable, _, warm = _setup(problem)
    sizes = [
        int(shortlists.shortlist(cands, usable, warm, k).sum())
        for k in (1, 2, 4)
    ]
    assert sizes[0] < sizes[1] < sizes[2] < int(usable.sum())


def test_buddies_with_room_are_shortlisted(problem: bm.Problem) -> None:
    cands, usable, _, warm = _setup(problem)
    nothing = np.zeros_like(warm)
    # With an empty warm start every buddy has room, so the second
    # ranking repeats the first; with the greedy's, it reaches further.
    alone = shortlists.shortlist(cands, usable, nothing, 1)
    best_only = shortlists._best_per_need(
        cands,
        usable,
        np.array([n.buddies for n in cands.problem.needs]),
    )
    assert np.array_equal(alone, best_only)
    with_room = shortlists.shortlist(cands, usable, warm, 1)
    assert np.any(with_room & ~best_only & ~warm)


def test_per_buddy_must_be_positive(problem: bm.Problem) -> None:
    cands, usable, _, warm = _setup(problem)
    with pytest.raises(ValueError, match="at least 1"):
        shortlists.shortlist(cands, usable, warm, 0)


def test_propose_on_a_shortlist_claims_no_proof(
    problem: bm.Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = solve_verified(problem, time_limit=20.0)
    assert whole.status == "optimal"
    monkeypatch.setattr(solvers, "LARGE_MODEL_PAIRS", 0)
    monkeypatch.setattr(shortlists, "SHORTLIST_ABOVE", 0)
    monkeypatch.setattr(shortlists, "SHORTLIST_PER_BUDDY", 1)
    seen: list[tuple[float, float]] = []
    short = solve_verified(
        problem,
        time_limit=20.0,
        progress=lambda _t, _o, bound, gap: seen.append((bound, gap)),
    )
    # Every rule holds (solve_verified) and the pins with them, but no
    # proof is claimed: the best on a shortlist need not be the best.
    # CP-SAT's bound on the shortlist proves nothing; the only bounds are
    # the decomposition's or the transportation relaxation's, over every
    # usable pair (here the relaxation's: no time for the decomposition).
    assert short.status == "feasible"
    assert short.solver["bound_source"] in ("transport", "none")
    if short.bound is not None:
        assert short.solver["bound_source"] == "transport"
        assert short.objective is not None
        assert short.bound >= short.objective
    info = short.solver["shortlist"]
    assert 0 < info["pairs"] < info["usable_pairs"]
    assert info["whole_model"] is False
    assert all(stage["shortlist"] for stage in short.solver["stages"])
    assert all(math.isnan(b) and math.isnan(g) for b, g in seen)
    assert sum(a.pinned for a in short.assignments) >= 1
    # The whole model's answer is proven optimal: the shortlist's cannot
    # beat it.
    rank = [(c.priority, c.covered) for c in short.coverage]
    assert rank <= [(c.priority, c.covered) for c in whole.coverage]


def test_shortlist_then_whole_model_proves_an_uncontested_optimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Capacity for everything: the shortlist's cover is proven by counting,
    # and the whole model proves the best quality on top of it.
    roomy = synth.generate(10, 3, 60, seed=5, capacity_ratio=3.0)
    whole = solve_verified(roomy, time_limit=20.0)
    monkeypatch.setattr(solvers, "LARGE_MODEL_PAIRS", 0)
    monkeypatch.setattr(shortlists, "SHORTLIST_PER_BUDDY", 1)
    both = solve_verified(roomy, time_limit=20.0)
    assert whole.status == both.status == "optimal"
    assert both.objective == pytest.approx(whole.objective)
    assert both.coverage == whole.coverage
    assert both.solver["shortlist"]["whole_model"] is True
    stages = both.solver["stages"]
    listed = [s for s in stages if s.get("shortlist")]
    assert listed and listed != stages
    assert stages[-1]["stage"] == "quality"
    assert not stages[-1].get("shortlist")


def test_shortlist_then_whole_model_bounds_quality_honestly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Capacity for 40 % of the demand: which needs to meet is contested.
    problem = synth.generate(12, 3, 60, seed=3, capacity_ratio=0.4)
    whole = solve_verified(problem, time_limit=20.0)
    assert whole.status == "optimal"
    monkeypatch.setattr(solvers, "LARGE_MODEL_PAIRS", 0)
    monkeypatch.setattr(shortlists, "SHORTLIST_PER_BUDDY", 1)
    both = solve_verified(problem, time_limit=20.0)
    # The whole model keeps the shortlist's cover without proving it, so
    # nothing is claimed optimal; its quality bound is still a true bound
    # (the proven optimum meets at least that cover).
    assert both.status == "feasible"
    kept = [s for s in both.solver["stages"] if s["status"] == "kept"]
    assert kept
    assert both.bound is not None and both.objective is not None
    assert both.bound >= both.objective - 1e-6
    assert both.bound >= whole.objective - 1e-6


def test_shortlist_then_whole_model_is_deterministic(
    problem: bm.Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(solvers, "LARGE_MODEL_PAIRS", 0)
    runs = [
        solve_verified(problem, time_limit=5.0, deterministic=True)
        for _ in range(2)
    ]
    assert runs[0].assignments == runs[1].assignments
    assert runs[0].objective == runs[1].objective
