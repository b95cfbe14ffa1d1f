"""Small models search with the full linear relaxation (issue 18)."""

from __future__ import annotations

import buddymatch
from buddymatch import synth
from buddymatch.solvers.cpsat import solve as engine
from buddymatch.solvers.cpsat.solve import SolverSettings, _solver


def _settings(workers: int) -> SolverSettings:
    return SolverSettings(
        time_limit=1.0, seed=0, workers=workers, deterministic=False
    )


def test_one_worker_gets_the_full_relaxation_on_a_small_model() -> None:
    params = _solver(_settings(1), 1.0, large=False, small_lp=True).parameters
    assert params.linearization_level == 2


def test_few_workers_include_the_full_relaxation_worker() -> None:
    params = _solver(_settings(2), 1.0, large=False, small_lp=True).parameters
    assert list(params.subsolvers) == ["max_lp", "default_lp"]


def test_deterministic_search_gets_the_full_relaxation_worker() -> None:
    settings = _settings(1)
    settings.deterministic = True
    params = _solver(settings, 1.0, large=False, small_lp=True).parameters
    assert list(params.subsolvers) == ["max_lp"]


def test_large_models_and_full_portfolios_keep_cpsat_defaults() -> None:
    large = _solver(_settings(1), 1.0, large=True, small_lp=True).parameters
    assert large.linearization_level == 1
    full = _solver(_settings(8), 1.0, large=False, small_lp=True).parameters
    assert list(full.subsolvers) == []


def test_small_model_with_one_worker_is_proven_and_verified() -> None:
    problem = synth.preset("nhs", seed=0)
    assert engine.SMALL_MODEL_LP
    result = buddymatch.propose(problem, workers=1, time_limit=60.0)
    assert buddymatch.verify(problem, None, result) == []
    assert result.status == "optimal"
    assert result.bound == result.objective
