"""SolveParams: one set of search settings for every entry point that solves.

Its values are checked once, when it is made; keywords given instead are
turned into one by ``SolveParams.merge``, which refuses a keyword that
contradicts a ``params`` given with it.  Every entry point gives, with
``params``, the same verified answer as with the keywords in deterministic
mode, and hands the same settings to every solve it makes.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import pickle
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

import buddymatch as bm
import buddymatch.solvers
from buddymatch.explain.bundle import RESOLVE_PARAMS
from buddymatch.explain.pairs import PIN_PARAMS
from buddymatch.params import DEFAULT_TIME_LIMIT, SolveParams
from buddymatch.synth import generate
from buddymatch.verify import recompute_objective, verify
from conftest import at, make_trust, seeker

#: Deterministic, one worker: the answer depends on the input alone.
KEYWORDS: dict[str, Any] = {
    "time_limit": 5.0,
    "seed": 3,
    "workers": 1,
    "deterministic": True,
}
PARAMS = SolveParams(**KEYWORDS)


def _checked(
    problem: bm.Problem, policy: bm.Policy, result: bm.Result
) -> bm.Result:
    assert verify(problem, policy, result) == []
    if result.objective is not None:
        assert result.objective == pytest.approx(
            recompute_objective(problem, policy, result), abs=1e-6
        )
    return result


def _comparable(result: bm.Result) -> bm.Result:
    """The result without its wall-clock parts (runtime, stage times)."""
    return result.model_copy(update={"runtime": 0.0, "solver": {}})


def _settings(result: bm.Result) -> dict[str, Any]:
    return {key: result.solver[key] for key in KEYWORDS}


@pytest.fixture(scope="module")
def problem() -> bm.Problem:
    """Ten needs, some unmet: the search (not the flow) solves it, and
    the explanations re-solve under relaxed policies."""
    return generate(5, (1, 3), 14, seed=0, n_areas=4, capacity_ratio=0.8)


@pytest.fixture(scope="module")
def policy() -> bm.Policy:
    # Partner limits and a budget keep the problem off the min-cost flow.
    return bm.Policy(max_partners=2, budget=150_000.0)


@pytest.fixture(scope="module")
def result(problem: bm.Problem, policy: bm.Policy) -> bm.Result:
    return _checked(
        problem, policy, bm.propose(problem, policy, params=PARAMS)
    )


@pytest.fixture
def solves(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[SolveParams]]:
    """The params of every propose call (the entry points look it up on
    the solvers package, or on the re-matching's run module)."""
    seen: list[SolveParams] = []
    # bm.propose is cached on first use: cache the real one, not the spy.
    real = bm.propose
    assert real is buddymatch.solvers.propose

    def spy(*args: Any, **kwargs: Any) -> bm.Result:
        seen.append(kwargs["params"])
        return real(*args, **kwargs)

    monkeypatch.setattr(buddymatch.solvers, "propose", spy)
    # (buddymatch.rematch is also a function: the module by its name.)
    run = importlib.import_module("buddymatch.rematch.run")
    monkeypatch.setattr(run, "propose", spy)
    yield seen


# ---------------------------------------------------------------------------
# The values
# ---------------------------------------------------------------------------


def test_defaults_are_those_of_propose() -> None:
    params = SolveParams()
    assert params.time_limit == DEFAULT_TIME_LIMIT == 10.0
    assert (params.seed, params.workers) == (0, None)
    assert not params.deterministic and not params.log_search
    assert params.progress is None and params.stop is None
    assert params.solver_params == {}
    assert bm.SolveParams is SolveParams


def test_values_are_normalised() -> None:
    # numpy's integers and flags, and 0/1 for a flag, as users pass them.
    given: dict[str, Any] = {
        "time_limit": 3,
        "seed": np.int64(7),
        "workers": np.int32(2),
        "deterministic": 1,
        "log_search": np.bool_(False),
    }
    params = SolveParams(**given)
    assert params.time_limit == 3.0 and type(params.time_limit) is float
    assert params.seed == 7 and type(params.seed) is int
    assert params.workers == 2 and type(params.workers) is int
    assert params.deterministic is True and params.log_search is False


@pytest.mark.parametrize(
    ("values", "error", "words"),
    [
        ({"time_limit": -1}, ValueError, "time_limit"),
        ({"time_limit": math.inf}, ValueError, "finite"),
        ({"time_limit": math.nan}, ValueError, "finite"),
        ({"time_limit": "10"}, TypeError, "time_limit"),
        ({"time_limit": True}, TypeError, "time_limit"),
        ({"seed": 1.5}, TypeError, "seed must be an integer"),
        ({"seed": 2**31}, ValueError, "32 bits"),
        ({"seed": -(2**31) - 1}, ValueError, "32 bits"),
        ({"workers": 0}, ValueError, "at least 1"),
        ({"workers": 2.0}, TypeError, "workers must be an integer"),
        ({"deterministic": "yes"}, TypeError, "deterministic"),
        ({"log_search": 2}, TypeError, "log_search"),
        ({"progress": "print"}, TypeError, "progress must be callable"),
        ({"stop": True}, TypeError, "threading.Event"),
        ({"solver_params": [("x", 1)]}, TypeError, "solver_params"),
        ({"solver_params": {1: 2}}, TypeError, "solver_params"),
    ],
)
def test_bad_values_are_refused_with_their_name(
    values: dict[str, Any], error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        SolveParams(**values)


def test_a_zero_time_limit_is_allowed() -> None:
    # "The limit is used up before any proposal" is a case propose handles.
    assert SolveParams(time_limit=0).time_limit == 0.0


def test_it_is_frozen_keyword_only_and_keeps_a_copy() -> None:
    given = {"num_workers": 1}
    params = SolveParams(solver_params=given)
    given["num_workers"] = 8
    assert params.solver_params == {"num_workers": 1}
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.seed = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        SolveParams(5.0)  # type: ignore[call-arg]
    changed = dataclasses.replace(params, seed=4)
    assert (changed.seed, params.seed) == (4, 0)
    with pytest.raises(ValueError, match="workers"):
        dataclasses.replace(params, workers=0)


def test_it_hashes_compares_and_pickles() -> None:
    params = SolveParams(time_limit=2, solver_params={"num_workers": 1})
    assert params == SolveParams(
        time_limit=2.0, solver_params={"num_workers": 1}
    )
    assert hash(params) == hash(SolveParams(time_limit=2))
    # Process pools send the params to their workers.
    assert pickle.loads(pickle.dumps(params)) == params


def test_the_module_loads_no_solver_and_no_numpy() -> None:
    code = (
        "import sys, buddymatch.params\n"
        "print(sorted(m for m in ('numpy', 'ortools', 'pydantic',"
        " 'buddymatch.solvers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------------------
# Keywords and params: SolveParams.merge
# ---------------------------------------------------------------------------


def test_keywords_fill_the_defaults() -> None:
    merged = SolveParams.merge(None, time_limit=3, workers=2)
    assert merged == SolveParams(time_limit=3.0, workers=2)
    assert SolveParams.merge(None) == SolveParams()
    own = SolveParams(time_limit=2.0, deterministic=True)
    assert SolveParams.merge(None, defaults=own, seed=5) == (
        dataclasses.replace(own, seed=5)
    )


def test_params_are_taken_as_they_are() -> None:
    own = SolveParams(time_limit=2.0, deterministic=True)
    assert SolveParams.merge(PARAMS, defaults=own) is PARAMS
    # A keyword that agrees with params is no conflict (10 is 10.0).
    assert SolveParams.merge(PARAMS, time_limit=5, seed=3) is PARAMS


def test_a_keyword_that_contradicts_params_is_a_type_error() -> None:
    with pytest.raises(TypeError) as caught:
        SolveParams.merge(PARAMS, seed=4, time_limit=5, workers=2)
    words = str(caught.value)
    assert "either as params or as keywords" in words
    assert "seed=4 but params.seed=3" in words
    assert "workers=2 but params.workers=1" in words
    assert "time_limit" not in words


def test_bad_keywords_and_bad_params_are_refused() -> None:
    with pytest.raises(ValueError, match="time_limit"):
        SolveParams.merge(None, time_limit=-2)
    with pytest.raises(TypeError, match="params must be a SolveParams"):
        SolveParams.merge({"seed": 1})  # type: ignore[arg-type]


def _propose(problem: bm.Problem, policy: bm.Policy, **kw: Any) -> Any:
    return bm.propose(problem, policy, **kw)


def _many(problem: bm.Problem, policy: bm.Policy, **kw: Any) -> Any:
    with ThreadPoolExecutor(2) as pool:
        return bm.propose_many(problem, [policy], pool, **kw)


def _rematch(problem: bm.Problem, policy: bm.Policy, **kw: Any) -> Any:
    return bm.rematch(problem, policy, [], **kw)


def _explain(problem: bm.Problem, policy: bm.Policy, **kw: Any) -> Any:
    result = bm.propose(problem, policy, params=PARAMS)
    return bm.explain_result(problem, policy, result, **kw)


def _pair(problem: bm.Problem, policy: bm.Policy, **kw: Any) -> Any:
    result = bm.propose(problem, policy, params=PARAMS)
    need = problem.needs[0]
    return bm.explain_pair(
        problem, policy, result, need.seeker, need.area, "nobody", **kw
    )


ENTRY_POINTS: dict[str, Callable[..., Any]] = {
    "propose": _propose,
    "propose_many": _many,
    "rematch": _rematch,
    "explain_result": _explain,
    "explain_pair": _pair,
}


@pytest.mark.parametrize("call", ENTRY_POINTS.values(), ids=ENTRY_POINTS)
def test_every_entry_point_refuses_a_contradicting_keyword(
    call: Callable[..., Any],
    problem: bm.Problem,
    policy: bm.Policy,
    solves: list[SolveParams],
) -> None:
    clash = re.escape("workers=2 but params.workers=1")
    with pytest.raises(TypeError, match=clash):
        call(problem, policy, params=PARAMS, workers=2)
    # Refused before anything is solved (explanations solve what they
    # explain first, with params of their own).
    assert all(params is PARAMS for params in solves)


# ---------------------------------------------------------------------------
# Every entry point: params give the keywords' answer, and reach every solve
# ---------------------------------------------------------------------------


def test_propose_with_params_is_propose_with_keywords(
    problem: bm.Problem, policy: bm.Policy, result: bm.Result
) -> None:
    by_keywords = _checked(
        problem, policy, bm.propose(problem, policy, **KEYWORDS)
    )
    assert result.solver["backend"] == "ortools-cpsat"
    assert _comparable(by_keywords) == _comparable(result)
    assert _settings(result) == _settings(by_keywords) == KEYWORDS


def test_propose_passes_every_setting_to_the_search(
    problem: bm.Problem, policy: bm.Policy
) -> None:
    seen: list[tuple[float, float, float, float]] = []
    params = dataclasses.replace(
        PARAMS,
        progress=lambda *args: seen.append(args),
        solver_params={"linearization_level": 2},
        stop=threading.Event(),
        log_search=True,
    )
    result = _checked(
        problem, policy, bm.propose(problem, policy, params=params)
    )
    assert result.solver["cpsat.linearization_level"] == 2
    assert seen  # the quality stage reported its improving solutions


def test_propose_many_with_params_is_with_keywords(
    problem: bm.Problem, policy: bm.Policy, result: bm.Result
) -> None:
    other = bm.Policy(max_partners=1)
    with ThreadPoolExecutor(2) as pool:
        by_params = bm.propose_many(
            problem, [policy, other], pool, params=PARAMS
        )
        by_keywords = bm.propose_many(
            problem, [policy, other], pool, **KEYWORDS
        )
    for scenario, a, b in zip(
        (policy, other), by_params, by_keywords, strict=True
    ):
        _checked(problem, scenario, a)
        _checked(problem, scenario, b)
        assert _comparable(a) == _comparable(b)
        assert _settings(a) == KEYWORDS
    assert _comparable(by_params[0]) == _comparable(result)


def _rematch_case() -> tuple[bm.Problem, bm.Policy, list[bm.Arrangement]]:
    """S keeps OLD outside the model (too close now) and may have two
    buddies: the first proposal gives it three, so S is solved alone to
    pick its new buddy, and the whole once more."""

    def trust(tid: str, minutes: float, **levels: int) -> bm.Trust:
        return make_trust(tid, *at(minutes), capacity=5, expertise=levels)

    problem = bm.Problem(
        trusts=(
            seeker("S"),
            trust("OLD", 40, maternity=5),
            trust("F", 60, finance=5),
            trust("G", 70, governance=5),
            trust("FG", 140, finance=3, governance=3),
        ),
        needs=(
            bm.Need(seeker="S", area="maternity"),
            bm.Need(seeker="S", area="finance", priority=3),
            bm.Need(seeker="S", area="governance", priority=1),
        ),
    )
    policy = bm.Policy(min_travel_minutes=45, max_buddies_per_seeker=2)
    kept = bm.Arrangement(
        seeker="S", area="maternity", buddy="OLD", status="ongoing"
    )
    return problem, policy, [kept]


def test_rematch_with_params_is_with_keywords(
    problem: bm.Problem, policy: bm.Policy, solves: list[SolveParams]
) -> None:
    # The generated problem's first two proposals, as arrangements.
    first = bm.propose(problem, policy, params=PARAMS)
    items = [
        bm.Arrangement(
            seeker=a.seeker, area=a.area, buddy=a.buddy, status=status
        )
        for a, status in zip(
            first.assignments[:2], ("ongoing", "ended"), strict=False
        )
    ]
    solves.clear()
    by_params = bm.rematch(problem, policy, items, params=PARAMS)
    by_keywords = bm.rematch(problem, policy, items, **KEYWORDS)
    for rm in (by_params, by_keywords):
        _checked(rm.problem, rm.result.policy, rm.result)
    assert by_params.model_copy(
        update={"result": _comparable(by_params.result)}
    ) == by_keywords.model_copy(
        update={"result": _comparable(by_keywords.result)}
    )
    assert _settings(by_params.result) == KEYWORDS
    assert solves == [PARAMS, PARAMS]


def test_rematch_passes_params_to_the_solve_of_one_seeker(
    solves: list[SolveParams],
) -> None:
    problem, policy, items = _rematch_case()
    seen: list[tuple[float, float, float, float]] = []
    params = dataclasses.replace(
        PARAMS,
        progress=lambda *args: seen.append(args),
        solver_params={"linearization_level": 2},
    )
    rm = bm.rematch(problem, policy, items, params=params)
    _checked(rm.problem, rm.result.policy, rm.result)
    assert rm.all_met() and {c.buddy for c in rm.new} == {"FG"}
    assert "solved 2 times" in rm.notes
    assert rm.result.solver["cpsat.linearization_level"] == 2
    # The whole problem's solves report progress; the seeker's own does
    # not (it is not the proposal).
    whole = [p for p in solves if p.progress is not None]
    alone = [p for p in solves if p.progress is None]
    assert whole and all(p == params for p in whole)
    assert alone and all(
        p == dataclasses.replace(params, progress=None) for p in alone
    )
    assert len(solves) == len(whole) + len(alone)


def test_explain_result_with_params_is_with_keywords(
    problem: bm.Problem,
    policy: bm.Policy,
    result: bm.Result,
    solves: list[SolveParams],
) -> None:
    assert result.unmet  # so that policy changes are re-solved
    settings: dict[str, Any] = {
        "time_limit": 1.0,
        "workers": 1,
        "deterministic": True,
    }
    by_keywords = bm.explain_result(problem, policy, result, **settings)
    assert solves and all(p == SolveParams(**settings) for p in solves)
    solves.clear()
    own = SolveParams(**settings)
    by_params = bm.explain_result(problem, policy, result, params=own)
    assert solves and all(p is own for p in solves)
    assert by_params.to_json() == by_keywords.to_json()
    relaxations = [r for u in by_params.unmet for r in u.relaxations]
    assert relaxations
    for relaxation in relaxations:
        if relaxation.result is not None:
            _checked(problem, relaxation.result.policy, relaxation.result)


def test_explanations_resolve_deterministically_unless_told(
    problem: bm.Problem,
    policy: bm.Policy,
    result: bm.Result,
    solves: list[SolveParams],
) -> None:
    bm.explain_result(problem, policy, result)
    assert solves and all(p == RESOLVE_PARAMS for p in solves)
    assert RESOLVE_PARAMS.deterministic and RESOLVE_PARAMS.time_limit == 2.0
    solves.clear()
    bm.explain_result(problem, policy, result, time_limit=1.0)
    assert solves and all(
        p == dataclasses.replace(RESOLVE_PARAMS, time_limit=1.0)
        for p in solves
    )
    assert PIN_PARAMS.deterministic and PIN_PARAMS.time_limit == 10.0


def _allowed_pair(
    problem: bm.Problem, policy: bm.Policy, result: bm.Result
) -> tuple[str, str, str]:
    """A pair every hard rule allows that the proposal does not choose."""
    cands = bm.build_candidates(problem.canonical(), policy)
    chosen = {(a.seeker, a.area, a.buddy) for a in result.assignments}
    ids = cands.problem.trust_ids
    for k in range(cands.n_candidates):
        need = cands.problem.needs[int(cands.need[k])]
        pair = (need.seeker, need.area, ids[int(cands.buddy[k])])
        if pair not in chosen:
            explanation = bm.explain_pair(
                problem, policy, result, *pair, params=PARAMS
            )
            if explanation.pinned_result is not None:
                return pair
    raise AssertionError("no allowed pair to pin")


def test_explain_pair_with_params_is_with_keywords(
    problem: bm.Problem,
    policy: bm.Policy,
    result: bm.Result,
    solves: list[SolveParams],
) -> None:
    pair = _allowed_pair(problem, policy, result)
    settings: dict[str, Any] = {
        "time_limit": 5.0,
        "workers": 1,
        "deterministic": True,
    }
    own = SolveParams(**settings)
    solves.clear()
    by_params = bm.explain_pair(problem, policy, result, *pair, params=own)
    assert len(solves) == 1 and solves[0] is own
    by_keywords = bm.explain_pair(problem, policy, result, *pair, **settings)
    assert solves == [own, own]
    assert by_params.pinned_result is not None
    assert by_keywords.pinned_result is not None
    pinned = problem.replace(
        relations=(
            *problem.relations,
            bm.Relation(a=pair[0], b=pair[2], kind="pinned", area=pair[1]),
        )
    )
    _checked(pinned, policy, by_params.pinned_result)
    assert by_params.model_copy(
        update={"pinned_result": _comparable(by_params.pinned_result)}
    ) == by_keywords.model_copy(
        update={"pinned_result": _comparable(by_keywords.pinned_result)}
    )
