"""The staged search of the large-model path (module ``solvers.staged``).

A stage is bounded, searched, and the next bounded given the cover the
search found, so that every stage bound holds for the final proposal.
The bounds themselves are checked against brute force in
``test_bruteforce.test_decomposition_bounds_in_results_hold``; here: the
stage-by-stage decomposition equals the one-go one, every reported stage
bound is used for the final proposal, and the pieces the staged search
adds (searching some stages only) keep what they promise.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import buddymatch as bm
from buddymatch import synth
from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.solvers import propose
from buddymatch.solvers.assemble import assemble
from buddymatch.solvers.bounds import cover_counts
from buddymatch.solvers.cpsat.master import integer_master
from buddymatch.solvers.cpsat.solve import (
    FIRST_COVER_SHARE,
    settled_share,
    solve,
)
from buddymatch.solvers.decomposition import Decomposer, decomposition_bounds
from buddymatch.solvers.greedy import greedy
from buddymatch.solvers.progress import Reporter
from buddymatch.solvers.room import usable_candidates
from buddymatch.solvers.settings import SolverSettings
from buddymatch.solvers.staged import staged_search
from buddymatch.solvers.tally import rank


@pytest.fixture(scope="module")
def nhs() -> tuple[bm.Problem, bm.Policy, CandidateSet]:
    problem = synth.preset("nhs", seed=0)
    policy = bm.Policy()
    return problem, policy, build_candidates(problem.canonical(), policy)


def _verified(cands: CandidateSet, chosen: np.ndarray) -> None:
    """The proposal *chosen* obeys every rule (checked by ``verify``)."""
    result = assemble(cands, chosen, "feasible")
    assert bm.verify(cands.problem, cands.policy, result) == []


def _settings(time_limit: float = 5.0) -> SolverSettings:
    return SolverSettings(
        time_limit=time_limit, seed=0, workers=1, deterministic=True
    )


def test_stage_by_stage_equals_all_at_once(
    nhs: tuple[bm.Problem, bm.Policy, CandidateSet],
) -> None:
    _, _, cands = nhs
    start = greedy(cands, usable_candidates(cands), [])
    cover = cover_counts(cands, start)
    whole = decomposition_bounds(
        cands, cover=cover, start=start, time_limit=60
    )
    decomposer = Decomposer(cands, start)
    for priority in decomposer.stages:
        fixed = {
            q: cover[q]
            for q in (3, 2, 1)
            if (priority is None or q > priority) and cover.get(q)
        }
        decomposer.stage(priority, fixed, 60.0)
    staged = decomposer.finish()
    assert [(s.stage, s.bound_units) for s in staged.stages] == [
        (s.stage, s.bound_units) for s in whole.stages
    ]
    assert len(staged.pool_columns) == len(whole.pool_columns)


def test_a_start_meeting_the_counts_joins_the_master(
    nhs: tuple[bm.Problem, bm.Policy, CandidateSet],
) -> None:
    # Fixed counts that the seed columns cannot meet, but the start does:
    # with the start's columns the stage's LP meets them at once.
    _, _, cands = nhs
    usable = usable_candidates(cands)
    best = propose(cands.problem, cands.policy, deterministic=True)
    chosen = np.zeros(cands.n_candidates, dtype=bool)
    index = {
        (int(cands.need[k]), int(cands.buddy[k])): k
        for k in range(cands.n_candidates)
    }
    ids = {t.id: i for i, t in enumerate(cands.problem.trusts)}
    needs = {(n.seeker, n.area): i for i, n in enumerate(cands.problem.needs)}
    for a in best.assignments:
        chosen[index[(needs[(a.seeker, a.area)], ids[a.buddy])]] = True
    assert (chosen <= usable).all()
    counts = cover_counts(cands, chosen)
    empty = np.zeros(cands.n_candidates, dtype=bool)
    decomposer = Decomposer(cands, empty)
    stage = decomposer.stage(
        None, counts, 60.0, start=chosen, max_iterations=1
    )
    # One round only: the LP value can only be the proposal's quality
    # or more when its columns are there from the start.
    assert stage.lp_value * 1000 >= rank(cands, chosen)[-1] - 1


def test_settled_share() -> None:
    order = (3, 2, 1)
    assert settled_share(2, {2, 1}, order) == FIRST_COVER_SHARE
    assert settled_share(1, {2, 1}, order) == 1.0
    assert settled_share(2, {2}, order) == 1.0
    assert settled_share(3, True, order) == FIRST_COVER_SHARE
    assert settled_share(1, True, order) == 1.0
    assert settled_share(3, False, order) == 1.0


def test_the_master_keeps_the_stages_it_does_not_search(
    nhs: tuple[bm.Problem, bm.Policy, CandidateSet],
) -> None:
    _, _, cands = nhs
    usable = usable_candidates(cands)
    start = greedy(cands, usable, [])
    found = decomposition_bounds(cands, time_limit=20, start=start)
    before = cover_counts(cands, start)
    outcome = integer_master(
        cands,
        found.pool_columns,
        found.pool_buddy,
        [],
        start=start,
        time_limit=3,
        deterministic=True,
        search={1},
    )
    _verified(cands, outcome.chosen)
    after = cover_counts(cands, outcome.chosen)
    assert after[3] >= before[3] and after[2] >= before[2]
    assert rank(cands, outcome.chosen) >= rank(cands, start)
    stages = {s["stage"]: s["status"] for s in outcome.stages}
    assert "quality" not in stages
    assert stages.get("cover priority 2") in ("kept", "optimal")
    assert outcome.status == "feasible"  # a kept stage proves nothing


def test_the_compact_model_searches_only_the_stages_asked(
    nhs: tuple[bm.Problem, bm.Policy, CandidateSet],
) -> None:
    _, _, cands = nhs
    usable = usable_candidates(cands)
    start = greedy(cands, usable, [])
    outcome = solve(
        cands,
        usable,
        [],
        _settings(),
        None,
        start,
        proof=False,
        cover_search={2, 1},
        quality_stage=False,
    )
    _verified(cands, outcome.chosen)
    statuses = {s["stage"]: s["status"] for s in outcome.stages}
    assert "quality" not in statuses
    assert statuses["cover priority 3"] in ("kept", "optimal")
    assert statuses["cover priority 2"] not in ("kept",)
    assert outcome.bound is None
    assert rank(cands, outcome.chosen) >= rank(cands, start)


def test_staged_search_improves_on_its_start_and_bounds_every_stage(
    nhs: tuple[bm.Problem, bm.Policy, CandidateSet],
) -> None:
    _, _, cands = nhs
    usable = usable_candidates(cands)
    start = greedy(cands, usable, [])
    pinned = np.zeros(cands.n_candidates, dtype=bool)
    staged = staged_search(
        cands, usable, [], pinned, start, _settings(10.0), Reporter(0.0, 10.0)
    )
    _verified(cands, staged.chosen)
    assert rank(cands, staged.chosen) >= rank(cands, start)
    have = cover_counts(cands, staged.chosen)
    names = [s.stage for s in staged.decomposition.stages]
    assert names[-1] == "quality"
    for stage in staged.decomposition.stages:
        # Each stage was conditioned on counts the proposal meets.
        assert all(have[q] >= k for q, k in stage.fixed.items())
        if stage.stage != "quality":
            priority = int(stage.stage.rsplit(" ", 1)[1])
            assert stage.bound_units >= have[priority]


def test_a_stopped_staged_search_returns_its_start(
    nhs: tuple[bm.Problem, bm.Policy, CandidateSet],
) -> None:
    _, _, cands = nhs
    usable = usable_candidates(cands)
    start = greedy(cands, usable, [])
    stop = threading.Event()
    stop.set()
    settings = _settings()
    settings.stop = stop
    staged = staged_search(
        cands,
        usable,
        [],
        np.zeros(cands.n_candidates, dtype=bool),
        start,
        settings,
        Reporter(0.0, 5.0),
    )
    assert np.array_equal(staged.chosen, start)
    assert staged.decomposition.stages == []


def test_every_reported_stage_bound_is_used_for_the_proposal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The design's promise: the stages are conditioned on the cover the
    # final proposal keeps, so none is dropped as "not used".
    from buddymatch import solvers

    monkeypatch.setattr(solvers, "LARGE_MODEL_PAIRS", 0)
    monkeypatch.setattr(solvers, "DECOMPOSITION_MIN_SECONDS", 0.0)
    problem = synth.preset("nhs", seed=1)
    result = propose(problem, bm.Policy(), time_limit=20, deterministic=True)
    assert bm.verify(problem, bm.Policy(), result) == []
    stages = result.solver["decomposition"]["stages"]
    assert [s["stage"] for s in stages][-1] == "quality"
    assert all(s["used"] for s in stages), stages
    assert result.solver["bound_source"] == "decomposition" or (
        result.status == "optimal"
    )
