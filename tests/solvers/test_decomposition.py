"""The decomposition bound: never below the true optimum of any stage.

Tiny random problems are solved by exhaustive enumeration
(`enumeration`, written independently of the solver code).  The bound of
each stage must be at least the best value any proposal keeping the fixed
cover counts reaches.  The pricing is checked the same way, buddy by
buddy, and on "nhs" the bounds are checked against the engine's proven optimum.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import buddymatch as bm
from buddymatch import synth
from buddymatch.candidates import build_candidates
from buddymatch.solvers import propose
from buddymatch.solvers.decomposition import (
    _Pairs,
    _price,
    decomposition_bounds,
)
from buddymatch.solvers.room import usable_candidates
from enumeration import check_stage_bounds, tiny_problem


@pytest.mark.parametrize("block", range(10))
def test_bounds_are_never_below_the_enumerated_optimum(block: int) -> None:
    # Given the lexicographic optimum's counts and a random proposal's.
    checked = check_stage_bounds(
        range(block * 30, block * 30 + 30),
        lambda cands, fixed: (
            decomposition_bounds(cands, cover=fixed, time_limit=30).stages
        ),
    )
    assert any(s.stage == "quality" for s in checked)


def test_a_converged_bound_is_the_master_value() -> None:
    # With the duals read with the right signs, the bound at convergence
    # is the master's LP value (rounded down), not something looser.
    for seed in range(40):
        problem, policy = tiny_problem(seed)
        cands = build_candidates(problem.canonical(), policy)
        found = decomposition_bounds(cands, time_limit=30)
        for stage in found.stages:
            assert stage.converged
            units = 1000 if stage.stage == "quality" else 1
            assert stage.bound_units <= stage.lp_value * units + 1e-6


def _brute_price(
    pairs: _Pairs, item: np.ndarray, group: np.ndarray, b: int
) -> float:
    """The best reduced value of buddy row *b*'s columns, by brute force."""
    mine = np.flatnonzero(pairs.buddy_row == b).tolist()
    limit = pairs.limit[b]
    best = 0.0
    for size in range(1, len(mine) + 1):
        for subset in itertools.combinations(mine, size):
            if int(pairs.workload[list(subset)].sum()) > pairs.capacity[b]:
                continue
            groups = {int(pairs.group[i]) for i in subset}
            if limit >= 0 and len(groups) > limit:
                continue
            value = float(item[list(subset)].sum())
            value -= float(sum(group[g] for g in groups))
            best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(25))
def test_pricing_finds_each_buddys_best_column(seed: int) -> None:
    problem, policy = tiny_problem(seed)
    cands = build_candidates(problem.canonical(), policy)
    pairs = _Pairs(cands, usable_candidates(cands))
    rng = np.random.default_rng(seed)
    for _ in range(5):
        item = rng.normal(5.0, 10.0, len(pairs.need))
        group = rng.uniform(0.0, 8.0, len(pairs.group_buddy))
        priced = _price(pairs, item, group)
        for b in range(pairs.n_buddies):
            want = _brute_price(pairs, item, group, b)
            assert priced.best[b] == pytest.approx(want, abs=1e-9)
            column = priced.columns[b]
            if want > 0:
                groups = np.unique(pairs.group[column])
                got = item[column].sum() - group[groups].sum()
                assert got == pytest.approx(want, abs=1e-9)
                assert pairs.workload[column].sum() <= pairs.capacity[b]
                assert np.all(pairs.buddy_row[column] == b)


def test_nhs_bounds_hold_against_the_engines_proven_optimum() -> None:
    problem = synth.preset("nhs", seed=0)
    policy = bm.Policy()
    cands = build_candidates(problem.canonical(), policy)
    result = propose(problem, policy, time_limit=30, candidates=cands)
    assert bm.verify(problem, policy, result) == []
    assert result.status == "optimal"
    cover = {c.priority: c.covered for c in result.coverage}
    found = decomposition_bounds(cands, cover=cover, time_limit=30)
    bounds = {s.stage: s for s in found.stages}
    for p, covered in cover.items():
        assert bounds[f"cover priority {p}"].bound >= covered
    assert bounds["quality"].bound >= result.objective
    # The master solution is a fractional proposal over the candidates.
    assert found.pair_weight.shape == (cands.n_candidates,)
    assert found.pair_weight.max() <= 1.0 + 1e-6


def test_a_stage_stopped_early_still_returns_its_master_solution() -> None:
    # One pricing round per stage: each stage ends with columns added
    # after its last LP solve, which must not lose that solve's answer.
    problem = synth.preset("nhs", seed=0)
    cands = build_candidates(problem.canonical(), bm.Policy())
    found = decomposition_bounds(cands, time_limit=30, max_iterations=1)
    assert not found.stages[-1].converged
    assert len(found.weights) == len(found.columns)
    assert found.need_cover.sum() > 0
    # The master's rows hold: each need gets buddies x cover columns.
    for n, need in enumerate(cands.problem.needs):
        held = found.pair_weight[cands.need == n].sum()
        assert held == pytest.approx(need.buddies * found.need_cover[n])
