"""The neighbourhood search: small exact steps around a proposal.

A step frees some seekers and keeps every other chosen pair, so its
answer must keep every rule (the verifier says so), never rank below the
proposal it started from, and never let fall the cover of a priority it
does not search.  Freeing every seeker makes the step the whole problem:
then it must find the engine's proven optimum.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import buddymatch as bm
from buddymatch import synth
from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.solvers.assemble import assemble
from buddymatch.solvers.cpsat import neighbourhood
from buddymatch.solvers.cpsat.neighbourhood import neighbourhood_search
from buddymatch.solvers.greedy import greedy
from buddymatch.solvers.room import usable_candidates
from buddymatch.solvers.settings import SolverSettings
from buddymatch.solvers.tally import rank
from solvers.cpsat.test_master import proven_cases


def _settings(seconds: float, seed: int = 0) -> SolverSettings:
    return SolverSettings(
        time_limit=seconds, seed=seed, workers=1, deterministic=True
    )


def _verified(
    problem: bm.Problem,
    policy: bm.Policy,
    cands: CandidateSet,
    chosen: np.ndarray,
) -> None:
    result = assemble(cands, chosen, "feasible")
    assert bm.verify(problem, policy, result) == []


@pytest.mark.parametrize("block", range(4))
def test_freeing_every_seeker_finds_the_proven_optimum(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One step as large as the problem: the step is the whole model.
    monkeypatch.setattr(neighbourhood, "START_PAIRS", 10**6)
    checked = pinned = 0
    for case in proven_cases(block):
        seed, cands, pins = case.seed, case.cands, case.pins
        usable = usable_candidates(cands)
        start = greedy(cands, usable, pins)
        if start is None:
            continue  # the greedy misses a pin; the engine starts elsewhere
        found = neighbourhood_search(
            cands,
            usable,
            pins,
            start,
            _settings(30),
            seconds=30,
            search={3, 2, 1, None},
        )
        assert found.record["steps"] == 1, seed  # proven: stops at once
        _verified(case.problem, case.policy, cands, found.chosen)
        cover = {c.priority: c.covered for c in case.engine.coverage}
        mine = rank(cands, found.chosen)
        assert mine[:3] == tuple(cover.get(p, 0) for p in (3, 2, 1)), seed
        objective = case.engine.objective
        assert mine[3] / 1000 == pytest.approx(objective, abs=1e-3), seed
        checked += 1
        pinned += bool(pins)
    assert checked >= 20
    assert pinned


def _nhs() -> tuple[bm.Problem, bm.Policy, CandidateSet]:
    problem = synth.preset("nhs", seed=0)
    policy = bm.Policy()
    return problem, policy, build_candidates(problem.canonical(), policy)


def test_small_steps_keep_the_rules_the_start_and_the_covers_not_searched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(neighbourhood, "START_PAIRS", 300)
    problem, policy, cands = _nhs()
    usable = usable_candidates(cands)
    start = greedy(cands, usable, [])
    assert start is not None
    began = rank(cands, start)
    for search in ({1, None}, {None}, {3, 2, 1, None}):
        found = neighbourhood_search(
            cands, usable, [], start, _settings(3), seconds=3, search=search
        )
        _verified(problem, policy, cands, found.chosen)
        got = rank(cands, found.chosen)
        assert got > began, search  # the greedy start is far from optimal
        for k, p in enumerate((3, 2, 1)):
            if p not in search:
                assert got[k] >= began[k], (search, p)
        assert found.record["improved"] >= 1


def test_deterministic_mode_repeats_itself() -> None:
    _, _, cands = _nhs()
    usable = usable_candidates(cands)
    start = greedy(cands, usable, [])
    assert start is not None
    masks = [
        neighbourhood_search(
            cands,
            usable,
            [],
            start,
            _settings(2, seed=3),
            seconds=2,
            search={3, 2, 1, None},
        ).chosen
        for _ in range(2)
    ]
    assert np.array_equal(masks[0], masks[1])


def test_a_stopped_search_returns_its_start() -> None:
    _, _, cands = _nhs()
    usable = usable_candidates(cands)
    start = greedy(cands, usable, [])
    assert start is not None
    stop = threading.Event()
    stop.set()
    settings = SolverSettings(
        time_limit=30, seed=0, workers=1, deterministic=True, stop=stop
    )
    found = neighbourhood_search(
        cands, usable, [], start, settings, seconds=30, search={None}
    )
    assert found.record["steps"] == 0
    assert np.array_equal(found.chosen, start)
