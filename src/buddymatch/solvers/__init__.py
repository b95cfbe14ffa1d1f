"""Solving: from a problem and a policy to a [`Result`][buddymatch.Result].

[`propose`][buddymatch.solvers.propose] is the entry point.  It builds the
candidate pairs (the
hard pair rules), checks pins against them, solves problems of
transportation structure exactly by min-cost flow (`flow`, which
loads OR-Tools' graph module only), and otherwise runs the CP-SAT backend
in `buddymatch.solvers.cpsat`; it converts what it found in one place
(`assemble`).  On large models the per-buddy decomposition
(`decomposition`, an LP for GLOP) bounds every stage and its columns
feed an integer master (`cpsat.master`), see `bounds`.  Only
modules of this package import ortools.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.model import Policy, Problem
from buddymatch.params import (
    DEFAULT_TIME_LIMIT,
    EventCallback,
    ProgressCallback,
    SolveParams,
)
from buddymatch.result import Result
from buddymatch.solvers import shortlist as shortlists
from buddymatch.solvers.assemble import assemble, resolve_pins
from buddymatch.solvers.flow import flow_structure, solve_flow
from buddymatch.solvers.greedy import greedy_start
from buddymatch.solvers.interrupt import interrupt_to_stop
from buddymatch.solvers.progress import Reporter
from buddymatch.solvers.room import Ledger, usable_candidates
from buddymatch.solvers.settings import Outcome, SolverSettings

if TYPE_CHECKING:
    # CP-SAT (and the LP of the decomposition) load only when a problem
    # needs a search: the min-cost-flow path and `import buddymatch`
    # never pay for them (about 0.3 s).
    from buddymatch.solvers.decomposition import Decomposition
    from buddymatch.travel import TravelModel

#: Default CP-SAT workers, by model size; chosen by measurement on this
#: 2-core class of machine (docs/performance.md): 8 workers proved "nhs"
#: optimal in 0.4-0.9 s where 2 took 2.4-3.5 s, but on "national" 2
#: workers gave better cover and gap with half the memory.  Since small
#: models search with the full linear relaxation (cpsat.solve
#: SMALL_MODEL_LP), one worker proves the 15 x 4-need instances in
#: 0.06-0.26 s against 0.13-0.42 s for 8 (benchmarks/bench_small.py).
WORKERS_SMALL = 1
WORKERS_LARGE = 2
#: Usable candidate pairs above which a model counts as large.
LARGE_MODEL_PAIRS = 20_000
#: Workers in deterministic mode: interleaved search in one thread proved
#: the example optimal in 5.1 s and "nhs" in 2.3 s, against 8.0 s and
#: 15.7 s with 8 interleaved workers (same run, docs/performance.md).
WORKERS_DETERMINISTIC = 1
#: Seconds (deterministic time in deterministic mode) of the solve that
#: asks whether the budget alone keeps an unmet need out, and the least
#: worth starting (see ``_budget_check``).
BUDGET_CHECK_SECONDS = 1.0
BUDGET_CHECK_MIN_SECONDS = 0.05
#: In deterministic mode (no wall-clock end), the most deterministic time
#: all those solves of one call may take together.
BUDGET_CHECK_TOTAL_SECONDS = 5.0
#: Least seconds left after the greedy start (the time limit, in
#: deterministic mode) for the decomposition and the integer master to
#: run.  On "national" (one session): with 10, 20 and 30 s they took the
#: search's time without converging and met fewer priority-2 needs
#: (416/425/425 against 425/440/441 without them); with 60 s they met
#: 447-453 against 427-438 and brought the bound from 65,549 to
#: 61,162-61,553.
DECOMPOSITION_MIN_SECONDS = 45.0
#: Usable pairs up to which the staged search runs (above
#: `LARGE_MODEL_PAIRS`); beyond it only the shortlist is searched and no
#: bound is claimed.  On "programme" (4.2 million usable pairs) a pricing
#: round and its LP take about 14 s: with 60 s the call overran its limit
#: (74.6 s) and searched nothing, and with 300 s the priority-2 stage ran
#: 6 rounds in 84 s without converging, so every bound stayed where it
#: starts (4,452 needs of priority 2 = all that can be met; quality
#: 1,160,171 against a proposal of 481,947), and the proposal was no
#: better than the shortlist's (docs/performance.md).
STAGED_MAX_PAIRS = shortlists.SHORTLIST_ABOVE
#: After the staged search, solve the whole model after the shortlist
#: (as without it) rather than the shortlist alone.  The whole model is
#: there for CP-SAT's proof, but where the decomposition bounds the
#: stages that proof never comes (its bound on "national" is 65,5xx
#: against the decomposition's 60,4xx), and its search is slow: from
#: the same staged proposal, 15 s each (one run), the shortlist alone
#: raised quality on "national" to 60,451 against 58,307 for 6 s of
#: shortlist then 9 s of whole model (bound 60,481), and on
#: "national-alt" to 57,023 against 56,787.
STAGED_WHOLE_MODEL = False
#: Share of the time limit kept, on large models where the decomposition
#: does not run, for the transportation relaxation's bounds after the
#: search (`transport`), and what one of its flows is expected to take
#: per usable pair (1.6-2.8 s for programme's 4.2 million on the 2-core
#: benchmark machine, 0.02-0.05 s for national's 89,000).  The time kept
#: is the share, or enough for one flow per stage (up to half the limit),
#: but no more than `TRANSPORT_FLOWS_KEPT` flows per stage; in
#: deterministic mode the count of flows follows from the same figures.
TRANSPORT_SHARE = 0.15
TRANSPORT_SECONDS_PER_PAIR = 0.7e-6
#: Flows per stage the time kept allows for at most: a stage with
#: conditions used 6-10 on "national" and "programme".
TRANSPORT_FLOWS_KEPT = 8
# What the steps that cannot be interrupted cost, so that one starts only
# when it can finish within the limit (outside deterministic mode).
# Measured on "national" and "programme" on the 2-core benchmark machine
# (docs/performance.md): building the CP-SAT model took 7-10 us per
# modelled pair (0.74 s for national's 89,000 pairs, 0.46 s for
# programme's 44,600-pair shortlist); choosing the shortlist 0.2 us per
# usable pair (0.85 s for 4.2 million); building the result 37 us per
# need (0.33 s for programme's 9,000).  The figures are rounded up.
#: Seconds to build the model, per modelled pair.
MODEL_SECONDS_PER_PAIR = 12e-6
#: Seconds to choose the shortlist, per usable pair.
SHORTLIST_SECONDS_PER_PAIR = 0.3e-6
#: Seconds to build the result, per need, and at least.
ASSEMBLE_SECONDS_PER_NEED = 50e-6
ASSEMBLE_SECONDS_MIN = 0.02
#: Least solver time worth building a model for.
MIN_SOLVE_SECONDS = 0.1
#: The result's ``solver["stopped"]`` when the caller's stop event (the
#: command line's Ctrl-C) ended the search.
STOPPED_BY_CALLER = "interrupt"

__all__ = ["DEFAULT_TIME_LIMIT", "Ledger", "propose"]


def _shortlist_info(
    modelled: np.ndarray, usable: np.ndarray, whole: bool
) -> dict[str, int | bool]:
    """The result's record of a shortlist: its size, and whether the whole
    model was solved after it (``whole_model``)."""
    return {
        "per_buddy": shortlists.SHORTLIST_PER_BUDDY,
        "pairs": int(np.count_nonzero(modelled)),
        "usable_pairs": int(np.count_nonzero(usable)),
        "whole_model": whole,
    }


def _stopped(settings: SolverSettings) -> bool:
    """Whether the caller has stopped the search."""
    return settings.stop is not None and settings.stop.is_set()


def _search(
    cands: CandidateSet,
    usable: np.ndarray,
    groups: list[list[int]],
    pinned: np.ndarray,
    settings: SolverSettings,
    report: Reporter,
    warm: np.ndarray | None,
    cover_search: bool = True,
    extra: np.ndarray | None = None,
    whole_model: bool = True,
) -> Outcome | None:
    """Run CP-SAT on the whole model, a shortlist, or both in turn.

    * Up to `LARGE_MODEL_PAIRS` usable pairs, or without a warm
      start: the whole model.
    * Above `SHORTLIST_ABOVE`: a shortlist only, and no
      proof is claimed (see `shortlist`).
    * In between: a shortlist first, for `SHORTLIST_SHARE`
      of the time; its best proposal is then the warm start of the whole
      model, which keeps its cover and improves quality, with a proven
      bound.  On "national" this found quality 56,023 (gap 0.170) where
      the whole model alone found 49,922-50,372 (gap 0.30-0.31) in the
      same minute (docs/performance.md).

    With *cover_search* False the shortlist too keeps the warm start's
    cover, and only quality is searched.  *extra* pairs join the
    shortlist (the staged search's LP solution).  With *whole_model*
    False a large model is searched on its shortlist alone (the staged
    search's decomposition bounds it instead of CP-SAT).

    Returns ``None`` when the time left (``settings.deadline``) is too
    short to build a model and solve it at all, or the caller stopped the
    search: the caller then returns the warm start.  A whole model that
    would not fit after the shortlist is skipped the same way, and the
    shortlist's proposal returned.
    """
    from buddymatch.solvers.cpsat.solve import solve

    n_usable = int(np.count_nonzero(usable))

    def affords(seconds: float) -> bool:
        """Whether *seconds* of work and a short solve fit the limit."""
        if warm is not None and _stopped(settings):
            return False
        if settings.deadline is None or warm is None:
            return True  # deterministic, or no proposal to fall back on
        left = settings.deadline - time.perf_counter()
        return left >= seconds + MIN_SOLVE_SECONDS

    if warm is None or n_usable <= LARGE_MODEL_PAIRS:
        if not affords(MODEL_SECONDS_PER_PAIR * n_usable):
            return None
        return solve(
            cands,
            usable,
            groups,
            settings,
            report,
            warm,
            cover_search=cover_search or warm is None,
        )
    # At most per_buddy pairs per buddy asked for, in each of the
    # shortlist's two rankings (programme: 72,000; 44,600 in fact).
    asked = sum(need.buddies for need in cands.problem.needs)
    short_pairs = min(n_usable, 2 * shortlists.SHORTLIST_PER_BUDDY * asked)
    if not affords(
        SHORTLIST_SECONDS_PER_PAIR * n_usable
        + MODEL_SECONDS_PER_PAIR * short_pairs
    ):
        return None
    # The shortlist keeps the warm start and the pins, so it has a
    # solution whenever the whole model has one.
    modelled = shortlists.shortlist(
        cands, usable, warm | pinned, shortlists.SHORTLIST_PER_BUDDY
    )
    if extra is not None:
        modelled |= extra & usable
    only = n_usable > shortlists.SHORTLIST_ABOVE or not whole_model
    share = 1.0 if only else shortlists.SHORTLIST_SHARE
    left = (
        settings.time_limit
        if settings.deadline is None
        else settings.deadline - time.perf_counter()
    )
    first = replace(settings, time_limit=left * share)
    began = time.perf_counter()
    short = solve(
        cands,
        modelled,
        groups,
        first,
        report,
        warm,
        proof=False,
        cover_search=cover_search,
    )
    for record in short.stages:
        # A stage's status describes the shortlisted model only.
        record["shortlist"] = True
    if (
        only
        or _stopped(settings)
        or short.status not in ("optimal", "feasible")
        or not affords(MODEL_SECONDS_PER_PAIR * n_usable)
    ):
        short.shortlist = _shortlist_info(modelled, usable, whole=False)
        return short
    spent = (
        sum(float(r.get("dtime", 0.0)) for r in short.stages)
        if settings.deterministic
        else time.perf_counter() - began  # model building included
    )
    rest = replace(settings, time_limit=max(0.0, settings.time_limit - spent))
    # The whole model keeps the shortlist's cover: searching cover again
    # on it cost the quality stage its time and lost priority-1 cover
    # (national: 223/431/129 against 223/432/168, docs/performance.md).
    whole = solve(
        cands,
        usable,
        groups,
        rest,
        report,
        short.chosen,
        cover_search=False,
    )
    whole.stages = short.stages + whole.stages
    whole.shortlist = _shortlist_info(modelled, usable, whole=True)
    return whole


def _transport_budget(
    cands: CandidateSet, n_usable: int, settings: SolverSettings
) -> tuple[int, float, float]:
    """The flows in all, the seconds kept, and the seconds one flow is
    expected to take, for the transportation relaxation: none below
    `LARGE_MODEL_PAIRS`, where CP-SAT proves."""
    from buddymatch.solvers.transport import MAX_SOLVES

    if n_usable <= LARGE_MODEL_PAIRS:
        return 0, 0.0, 0.0
    stages = 1 + len({n.priority for n in cands.problem.needs})
    per_flow = TRANSPORT_SECONDS_PER_PAIR * n_usable
    # At least one flow per stage, if the limit allows it at all; and no
    # more time than the flows a stage typically uses.
    seconds = min(
        max(
            TRANSPORT_SHARE,
            min(0.5, 1.2 * stages * per_flow / settings.time_limit),
        )
        * settings.time_limit,
        stages * TRANSPORT_FLOWS_KEPT * per_flow,
    )
    solves = min(stages * MAX_SOLVES, int(seconds / per_flow))
    return max(stages, solves), seconds, per_flow


def _budget_check(
    cands: CandidateSet,
    usable: np.ndarray,
    pins: list[list[int]],
    chosen: np.ndarray,
    deterministic: bool,
    end: float | None,
    stop: threading.Event | None = None,
) -> Callable[[int], bool | None] | None:
    """Return the question "would lifting the budget alone let this need
    be met?" for the unmet needs of the proposal *chosen*, or ``None``.

    Asked only of needs over the budget that have no room in the proposal
    (see `assemble.assemble`); each answer is one feasibility solve
    of at most `BUDGET_CHECK_SECONDS`, within the call's time limit
    (*end*), and only up to `LARGE_MODEL_PAIRS` usable pairs, where
    the model builds in a blink.  Unasked, the words name both the limit
    and the budget.  Once *stop* is set, nothing more is asked.
    """
    if cands.policy.budget is None:
        return None
    if int(np.count_nonzero(usable)) > LARGE_MODEL_PAIRS:
        return None
    wanted = np.array([n.buddies for n in cands.problem.needs], dtype=int)
    per_need = np.bincount(cands.need[chosen], minlength=len(wanted))
    met = np.flatnonzero((per_need == wanted) & (wanted > 0))
    from buddymatch.solvers.cpsat.core import BudgetCheck

    checker: BudgetCheck | None = None

    def ask(need: int) -> bool | None:
        nonlocal checker
        if stop is not None and stop.is_set():
            return None
        limit = BUDGET_CHECK_SECONDS
        if end is not None:
            limit = min(limit, end - time.perf_counter())
        else:
            # Deterministic mode has no wall-clock end: cap the solves'
            # deterministic time in all (itself deterministic).
            spent = 0.0 if checker is None else checker.spent
            limit = min(limit, BUDGET_CHECK_TOTAL_SECONDS - spent)
        if limit < BUDGET_CHECK_MIN_SECONDS:
            return None
        if checker is None:
            checker = BudgetCheck(cands, usable, pins, met)
        return checker(need, limit, deterministic)

    return ask


def propose(
    problem: Problem,
    policy: Policy | None = None,
    *,
    params: SolveParams | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    workers: int | None = None,
    deterministic: bool | None = None,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    log_search: bool | None = None,
    candidates: CandidateSet | None = None,
    solver_params: Mapping[str, Any] | None = None,
    travel: TravelModel | None = None,
    events: EventCallback | None = None,
) -> Result:
    """Propose a buddying arrangement for *problem* under *policy*.

    Cover is maximised first, priority 3 needs before 2 before 1; then
    quality (the sum of assignment scores minus the partnership cost).

    Parameters
    ----------
    problem
        The trusts, needs, relations and overrides.
    policy
        Rules and weights; ``None`` means the defaults.
    params
        How the search runs: time limit, seed, workers, mode, progress,
        events, stop, search log and CP-SAT parameters (see
        [`SolveParams`][buddymatch.SolveParams]; default ``SolveParams()``).
        The
        time limit covers the whole call (candidates, warm start and
        every solver stage).  Without *workers*, the search uses
        `WORKERS_SMALL` threads, or `WORKERS_LARGE` above
        `LARGE_MODEL_PAIRS` pairs, or `WORKERS_DETERMINISTIC`
        in deterministic mode.  Once *stop* is set the call returns
        promptly, whatever its phase, with the best proposal so far
        (``solver["stopped"]`` is ``"interrupt"``); without *stop*,
        Ctrl-C on the main thread stops the search at once and raises
        KeyboardInterrupt.
    time_limit, seed, workers, deterministic, progress, stop, log_search, \
solver_params, events
        The fields of *params*, given one by one instead (a keyword left
        ``None`` takes the default); not with a *params* they differ
        from.
    candidates
        Pre-built candidate pairs for *problem* and *policy* (to reuse
        them across calls); built here when omitted.
    travel
        The travel model; by default the one *policy* selects (the
        problem's travel matrix, else the straight line).

    Returns
    -------
    Result
        The proposal, with status, cover, objective, bound and gap.

    Raises
    ------
    InputError
        If a need names a tier the policy does not define, or a travel
        matrix lacks a pair it needs.
    SolverError
        If CP-SAT reports the model invalid (a bug in buddymatch).
    TypeError, ValueError
        If a setting is bad, or *params* is given with a keyword that
        differs from it (see [`SolveParams`][buddymatch.SolveParams]).
    KeyboardInterrupt
        On Ctrl-C, when the call was given no *stop* event.
    """
    start = time.perf_counter()
    params = SolveParams.merge(
        params,
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        deterministic=deterministic,
        progress=progress,
        stop=stop,
        log_search=log_search,
        solver_params=solver_params,
        events=events,
    )
    watch: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if params.stop is None:
        # Ctrl-C must reach the search even while the main thread waits in
        # CP-SAT: it stops the search through an event of our own, and
        # Python's handler raises KeyboardInterrupt once the search has
        # let go (module interrupt).
        interrupted = threading.Event()
        watch = interrupt_to_stop(interrupted)
        params = replace(params, stop=interrupted)
    with watch:
        return _propose(
            problem,
            policy or Policy(),
            params,
            Reporter(start, params.time_limit, params.progress, params.events),
            candidates,
            travel,
        )


def _needs_per_priority(problem: Problem) -> dict[int, int]:
    """Needs of each priority, most urgent first."""
    counts: dict[int, int] = {}
    for need in sorted(problem.needs, key=lambda n: -n.priority):
        counts[need.priority] = counts.get(need.priority, 0) + 1
    return counts


def _propose(
    problem: Problem,
    policy: Policy,
    params: SolveParams,
    report: Reporter,
    candidates: CandidateSet | None,
    travel: TravelModel | None,
) -> Result:
    """The body of [`propose`][buddymatch.solvers.propose], with its settings
    merged."""
    start = report.start
    # These three are read all through.
    time_limit = params.time_limit
    deterministic = params.deterministic
    stop = params.stop

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    if report.wants_events:
        report.needs(_needs_per_priority(problem))
        report.phase("candidates")
    # The canonical order makes the proposal independent of row order.
    cands = candidates or build_candidates(
        problem.canonical(), policy, travel=travel
    )
    usable = usable_candidates(cands)
    workers = params.workers
    if workers is None and deterministic:
        workers = WORKERS_DETERMINISTIC
    elif workers is None:
        large = int(np.count_nonzero(usable)) > LARGE_MODEL_PAIRS
        workers = WORKERS_LARGE if large else WORKERS_SMALL
    # Outside deterministic mode the limit covers the whole call: every
    # step gets only what is left of it, less the time kept for building
    # the result.  (Candidates and the greedy start took 4 s of a 5 s
    # limit at "programme" size.)  In deterministic mode a wall-clock
    # deadline would make the answer depend on the machine's load.
    deadline = (
        None
        if deterministic
        else start
        + time_limit
        - max(
            ASSEMBLE_SECONDS_MIN,
            ASSEMBLE_SECONDS_PER_NEED * len(cands.problem.needs),
        )
    )
    settings = SolverSettings(
        time_limit=time_limit,
        seed=params.seed,
        workers=workers,
        deterministic=deterministic,
        log_search=params.log_search,
        stop=stop,
        extra=dict(params.solver_params),
        deadline=deadline,
    )
    solver_info = settings.as_dict()
    solver_info["candidates"] = int(cands.n_candidates)

    def finish(result: Result) -> Result:
        """Stamp the runtime of the whole call, result building included."""
        return result.model_copy(
            update={"runtime": time.perf_counter() - start}
        )

    groups, impossible = resolve_pins(cands, usable)
    pinned = np.zeros(cands.n_candidates, dtype=bool)
    for group in groups:
        pinned[group] = True
    nothing = np.zeros(cands.n_candidates, dtype=bool)
    if impossible:
        return finish(
            assemble(
                cands,
                nothing,
                "infeasible",
                solver=solver_info,
                infeasibility=tuple(words for _, words in impossible),
            )
        )

    def nothing_found(why: str) -> Result:
        """The result without a proposal: out of time, or stopped."""
        solver_info["stopped"] = why
        report.phase("result")
        return finish(
            assemble(
                cands,
                nothing,
                "no_solution",
                solver=solver_info,
                interrupted=why == STOPPED_BY_CALLER,
            )
        )

    if stopped():
        return nothing_found(STOPPED_BY_CALLER)
    if not params.solver_params and not groups:
        # Transportation structure: one min-cost flow is the exact
        # lexicographic optimum, no search needed (module flow).
        structure = flow_structure(cands, usable)
        if structure is not None:
            report.phase("flow")
            exact = solve_flow(
                cands,
                structure,
                solver_info,
                deterministic=deterministic,
                report=report,
            )
            if exact is not None:
                return finish(exact)
    # A search is needed: CP-SAT and the decomposition's LP load now.
    from buddymatch.solvers.bounds import (
        cover_counts,
        merge_bounds,
        quality_units,
    )
    from buddymatch.solvers.decomposition import StageBound
    from buddymatch.solvers.seeker_bound import seeker_bound
    from buddymatch.solvers.staged import staged_search, tell_best
    from buddymatch.solvers.transport import transport_bounds

    def report_best(chosen: np.ndarray) -> None:
        """Tell the caller the cover and quality of *chosen*."""
        tell_best(report, cands, chosen)

    if deadline is not None and time.perf_counter() >= deadline:
        # The candidates alone took the whole limit: no proposal.
        return nothing_found("time limit reached before any proposal")
    if stopped():
        return nothing_found(STOPPED_BY_CALLER)
    # Each seeker's buddy limit caps its cover whatever the others do: a
    # bound no search has to prove, which the staged search searches
    # against, and the words of an unmet need whose seeker is at its cap
    # (module seeker_bound).  Before the search, whose deadline then
    # allows for it (0.47 s on "programme").
    seekers = seeker_bound(cands, usable)
    report.phase("warm start")
    warm, untried = greedy_start(
        cands, usable, groups, deadline=deadline, stop=stop
    )
    if warm is not None:
        report_best(warm)
    decomposition: Decomposition | None = None
    lp_pairs: np.ndarray | None = None
    decomposed = 0.0
    n_usable = int(np.count_nonzero(usable))
    left = time_limit if deadline is None else deadline - time.perf_counter()
    staging = (
        warm is not None
        and not untried.any()
        and LARGE_MODEL_PAIRS < n_usable <= STAGED_MAX_PAIRS
        and left >= DECOMPOSITION_MIN_SECONDS
        and not stopped()
    )
    # Where the decomposition does not run (programme's millions of
    # pairs, or too little time), the transportation relaxation bounds
    # the stages instead; where it runs, its bounds were the tighter at
    # every stage measured (docs/performance.md).
    relax_solves, relax_seconds, per_flow = (
        (0, 0.0, 0.0)
        if staging
        else _transport_budget(cands, n_usable, settings)
    )
    if deadline is not None and relax_solves:
        # The search stops early enough for the relaxation's flows.
        settings = replace(settings, deadline=deadline - relax_seconds)
    if staging and warm is not None:
        # CP-SAT's bound on a large compact model barely moves: the
        # staged search bounds every stage by the decomposition and
        # searches it (module staged).
        staged = staged_search(
            cands, usable, groups, pinned, warm, settings, report, seekers
        )
        warm, decomposition = staged.chosen, staged.decomposition
        decomposed = staged.seconds
        solver_info["staged"] = staged.records
        solver_info["master"] = staged.master
        if staged.neighbourhoods:
            solver_info["neighbourhoods"] = staged.neighbourhoods
        lp_pairs = staged.lp_pairs
        report_best(warm)
    outcome = (
        _search(
            cands,
            usable,
            groups,
            pinned,
            settings,
            report,
            warm,
            # The staged search settled the cover stage by stage, and
            # each later stage's bound holds only for that cover.
            cover_search=decomposition is None,
            extra=lp_pairs,
            whole_model=decomposition is None or STAGED_WHOLE_MODEL,
        )
        if not untried.any()
        else None
    )
    if outcome is None:
        # The limit leaves no time for the solver (the greedy start may
        # even have been cut short), or the caller stopped the search: the
        # warm start (the greedy start, or the integer master's answer)
        # is the proposal.  It obeys every hard rule; only the
        # decomposition's bounds, if it ran, are claimed for it.
        assert warm is not None  # _search only gives up with a warm start
        solver_info["stopped"] = (
            STOPPED_BY_CALLER
            if stopped()
            else "time limit reached: warm start returned"
        )
        outcome = Outcome("feasible", warm)
    elif stopped():
        solver_info["stopped"] = STOPPED_BY_CALLER
    report.phase("result")
    if outcome.shortlist is not None:
        solver_info["shortlist"] = outcome.shortlist
    solver_info["stages"] = outcome.stages
    found = outcome.status in ("optimal", "feasible")
    relaxed: list[StageBound] = []
    if (
        found
        and outcome.status != "optimal"
        and relax_solves
        and not stopped()
    ):
        # The live line shows the proposal being bounded (a search's last
        # callback may predate its final answer).
        report_best(outcome.chosen)
        report.phase("bounds: transportation")
        relaxed = transport_bounds(
            cands,
            usable,
            cover_counts(cands, outcome.chosen),
            deadline=deadline,
            max_solves=relax_solves,
            stop=stop,
            quality=quality_units(cands, outcome.chosen),
            flow_seconds=per_flow,
        )
    bounds = merge_bounds(
        cands,
        outcome.chosen,
        outcome.bound,
        outcome.cover_bounds,
        decomposition if found else None,
        None if deterministic else decomposed,
        transport=relaxed,
        seekers=seekers if found else None,
    )
    solver_info["bound_source"] = bounds.source
    if seekers is not None and found:
        solver_info["seeker_bound"] = seekers.record(seconds=not deterministic)
    if bounds.record:
        solver_info["decomposition"] = bounds.record
    if bounds.transport:
        solver_info["transport"] = bounds.transport
    status = outcome.status
    if status == "feasible" and bounds.proven and (decomposition or relaxed):
        # The bounds (the decomposition's or the relaxation's among them)
        # meet the proposal at every stage: it is proven optimal, though
        # the search alone did not prove it.
        status = "optimal"
        solver_info["proven_by"] = (
            "decomposition" if decomposition is not None else "transport"
        )
    infeasibility: tuple[str, ...] = ()
    if outcome.status == "infeasible":
        infeasibility = (
            "the pins cannot all hold together with capacity, partner "
            "limits and budget; `buddymatch explain` names the conflict",
        )
    return finish(
        assemble(
            cands,
            outcome.chosen,
            status,  # type: ignore[arg-type]
            bound=bounds.quality,
            solver=solver_info,
            infeasibility=infeasibility,
            pinned=pinned,
            cover_bounds=bounds.cover,
            untried=untried,
            budget_check=_budget_check(
                cands,
                usable,
                groups,
                outcome.chosen,
                deterministic,
                None if deterministic else start + time_limit,
                stop,
            ),
            interrupted=solver_info.get("stopped") == STOPPED_BY_CALLER,
            seeker_caps=seekers if found else None,
        )
    )
