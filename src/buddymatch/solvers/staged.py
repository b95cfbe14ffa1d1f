"""The large-model path: bound a stage, search it, then bound the next.

The objective is lexicographic (cover of priority 3, then 2, then 1, then
quality), and the decomposition's bound of each stage is conditional on
the cover of the priorities above it (`decomposition`): it bounds the
proposals that meet at least that many needs of each.  Bounding every
stage first, on the greedy start's cover, gave loose bounds for the later
stages: on "national" the greedy start meets 405 needs of priority 2
where the final proposal meets 452-455, and given 405 the priority-1
bound was 252 and the quality bound 61,162, where given the final cover
they are 205 and 60,481 (docs/performance.md).

So each cover stage here is, in turn:

1. bounded by the decomposition, given the cover found so far above it;
2. its LP solution rounded into a proposal (`greedy_start`'s guide);
3. searched, unless the proposal already meets the bound: an integer
   master over the decomposition's columns (`cpsat.master`), then
   CP-SAT's cover stages on the shortlist of the compact model (with the
   LP's pairs), each hinted with the best so far;
4. settled: the next stage is conditioned on this stage's count.

Then the quality stage is bounded given the settled cover and its LP
rounded.  The neighbourhood search (`cpsat.neighbourhood`) improves the
proposal next, covers first (a need met outweighs any quality; its steps
start from the unmet needs the LP covers), then the integer master
improves quality with the cover kept: first over the LP's own columns,
then over every column.  If the cover rose, quality is bounded again.
The caller's compact search then improves quality with the cover kept,
so every stage bound holds for the final proposal.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from buddymatch.candidates import CandidateSet
from buddymatch.scoring import from_units
from buddymatch.solvers import shortlist as shortlists
from buddymatch.solvers.bounds import DETERMINISTIC_ROUNDS_PER_SECOND
from buddymatch.solvers.decomposition import (
    GUIDE_WEIGHT,
    Decomposer,
    Decomposition,
)
from buddymatch.solvers.greedy import greedy_start
from buddymatch.solvers.progress import Reporter
from buddymatch.solvers.seeker_bound import SeekerBound
from buddymatch.solvers.settings import SolverSettings
from buddymatch.solvers.tally import (
    PRIORITY_ORDER,
    cover_counts,
    quality_units,
    rank,
)

__all__ = ["Staged", "staged_search", "tell_best"]

#: Share of the time left that the decomposition may take to bound one
#: stage, and that each search of a cover stage may take (the integer
#: master, then the shortlist's cover stages: each this share).  On
#: "national" (60 s, one session, docs/performance.md): 0.3 and 0.06 gave
#: 223/452/181 against bounds 223/511/211 (the priority-2 stage had too
#: little search), 0.3 and 0.1 gave 223/450/202 against 223/456/213, and
#: 0.25 and 0.1 gave 223/454/197 against 223/456/207 with a quality gap
#: of 0.040.  Giving the last stages more (up to half the time left for
#: the last one) measured worse in one session: national 223/442/199
#: (gap 0.057) against 223/454/198 (0.035), national-alt 855 against
#: 877 needs met, its cover stage unconverged either way.
BOUND_SHARE = 0.25
SEARCH_SHARE = 0.1
#: The same share for the last cover stage's two searches, when there is
#: more than one cover stage: it is bounded given every stage above it,
#: and the quality search after it keeps its count.  Same run, 60 s, two
#: runs each (then two more): on "national" 0.2 met 204, 205 (203, 202)
#: needs of priority 1 against a bound of 205, where 0.1 met 201, 202
#: (202, 199) and 0.15 met 201, 201; the quality gap, now given the
#: higher cover, was 0.012-0.035 against 0.001-0.016.  By the objective's
#: own order more priority-1 cover is the better proposal.
#: "national-overrides" met its bounds either way (gaps 0.0023, 0.0036
#: against 0.0012, 0.0014).  One cover stage alone ("national-alt") keeps
#: `SEARCH_SHARE`: 0.2 met 945 needs against 954 there.
LAST_SEARCH_SHARE = 0.2
#: Share of the time left, once quality is bounded, for the integer
#: master's quality search (price-and-branch); of it, the share spent on
#: the columns of the LP solution alone before the whole pool.
MASTER_SHARE = 0.35
SUPPORT_SHARE = 0.5
#: The same share for the integer master's search of a cover stage: none.
#: Half measured mixed (same run, 60 s, two runs each): national met
#: 453 and 455 of priority 2 against 450 and 452, but its quality gap
#: was 0.040 and 0.027 against 0.017 and 0.0057; national-alt met 961
#: and 952 against 949 and 961.
COVER_SUPPORT_SHARE = 0.0
#: Round each stage's LP solution into a proposal (off only to measure
#: what it brings, benchmarks/bench_engine.py).
ROUND_LP = True
#: Bound quality again when its search raised the cover it was bounded
#: given (off only to measure what it brings).
REBOUND = True
#: Keep the pairs of the stage's LP solution in the compact model's
#: shortlist (off only to measure what it brings).  Same run, 60 s, two
#: runs each: national met 455 and 455 of priority 2 with quality gaps
#: 0.0011 and 0.018, against 453 and 452 with 0.009 and 0.032 without;
#: national-alt met 961 and 955 (gaps 0.038, 0.040) against 954 and 957
#: (0.033, 0.031).
LP_SHORTLIST = True
#: Least seconds worth starting a search for.
MIN_SEARCH_SECONDS = 0.1
#: Share of the time left for the neighbourhood search
#: (`cpsat.neighbourhood`) of the quality stage, which searches the
#: covers first (quality breaks ties).  Same run, 60 s, two runs each
#: (docs/performance.md): national-alt met 978 and 978 needs against 949
#: and 949 without it at 0.5; in a later run 0.8 met 990 and 990 against
#: 985 and 983 at 0.5, with the same quality gaps (0.042, 0.042 against
#: 0.042, 0.038), and national 223/455/204 twice (gaps 0.014, 0.0013)
#: against 223/455/205 twice (0.0006, 0.053).  It stops early where no
#: more needs are met, leaving the rest to the master.
QUALITY_NEIGHBOURHOOD_SHARE = 0.8
#: It runs in the quality stage only: also in each cover stage, after
#: its integer master (0.4 of the time left, one run each), national's
#: priority-2 stage spent 20 s on needs mostly beyond reach (447 to 453)
#: and the quality gap rose to 0.073, and national-alt met 974-976
#: against 977-980 with the quality stage's search alone.  It runs
#: before the quality stage's integer master: after it, national met
#: 204 of priority 1 with a gap of 0.022 against 205 and 0.0004 (one run
#: each).
#: Steps in a row without progress after which it stops early, leaving
#: the rest of its share to the searches after it.
NEIGHBOURHOOD_PATIENCE = 10
#: Run it only where a priority's cover is further from its proven
#: bound than this share of the bound: elsewhere the cover is within the
#: 1 % the scale issue asks for, and the quality search needs the time.
COVER_ROOM = 0.01
COVER_ROOM_ONLY = True
#: In the quality stage, count only cover as the neighbourhood search's
#: progress (quality still breaks ties), so that it stops once no more
#: needs are met and leaves quality to the integer master: on national
#: ten seconds of steps raised quality by 1,840 points where the master
#: then raised it by 2,350 in four.
QUALITY_NEIGHBOURHOOD_COVER_ONLY = True


@dataclass
class Staged:
    """What the staged search found.

    Attributes
    ----------
    chosen
        The best proposal (mask over the candidates).
    decomposition
        Every stage's bound, the last master and the pool of columns.
    seconds
        Wall seconds the decomposition took in all.
    records
        Per stage searched: the stage, and the records of its searches
        (the result's ``solver["staged"]``).
    master
        The stages of the quality search over the columns (the result's
        ``solver["master"]``).
    lp_pairs
        Mask of the pairs the quality stage's LP solution uses, for the
        compact model's shortlist.
    neighbourhoods
        The record of the quality stage's neighbourhood search (the
        result's ``solver["neighbourhoods"]``).
    """

    chosen: np.ndarray
    decomposition: Decomposition
    seconds: float
    records: list[dict[str, Any]] = field(default_factory=list)
    master: list[dict[str, Any]] = field(default_factory=list)
    lp_pairs: np.ndarray | None = None
    neighbourhoods: list[dict[str, Any]] = field(default_factory=list)


def tell_best(
    report: Reporter, cands: CandidateSet, chosen: np.ndarray
) -> None:
    """Tell the caller the cover and quality of the proposal *chosen*."""
    if report.wants_events:
        report.best(
            {
                p: n
                for p, n in cover_counts(cands, chosen).items()
                if p in PRIORITY_ORDER
            },
            quality=from_units(quality_units(cands, chosen)),
        )


def staged_search(
    cands: CandidateSet,
    usable: np.ndarray,
    groups: list[list[int]],
    pinned: np.ndarray,
    warm: np.ndarray,
    settings: SolverSettings,
    report: Reporter,
    seekers: SeekerBound | None = None,
) -> Staged:
    """Bound and search the cover stages one by one, then bound quality.

    Parameters
    ----------
    cands
        The candidate pairs.
    usable
        Mask of the pairs whose need can be covered.
    groups
        Pin groups (candidate positions, at least one of each chosen).
    pinned
        Mask of every pinned pair.
    warm
        A proposal obeying every rule (the greedy start).
    settings
        The call's solver settings (its deadline, or in deterministic
        mode its time limit, sets every share).
    report
        Told of each phase and better proposal.
    seekers
        The seekers' caps on cover, if computed: a stage's cover is
        searched against the smaller of its bound and theirs.

    Returns
    -------
    Staged
        The best proposal, the decomposition's bounds and columns.
    """
    from buddymatch.solvers.cpsat.master import integer_master
    from buddymatch.solvers.cpsat.neighbourhood import neighbourhood_search
    from buddymatch.solvers.cpsat.solve import solve

    deterministic = settings.deterministic or settings.deadline is None

    def left() -> float:
        if deterministic:
            return settings.time_limit
        assert settings.deadline is not None
        return max(0.0, settings.deadline - time.perf_counter())

    def stopped() -> bool:
        return settings.stop is not None and settings.stop.is_set()

    rounds = (
        max(1, int(settings.time_limit * DETERMINISTIC_ROUNDS_PER_SECOND))
        if deterministic
        else None
    )
    decomposer = Decomposer(cands, warm, stop=settings.stop)
    bounding = 0.0
    records: list[dict[str, Any]] = []

    def bound(priority: int | None) -> int:
        """Bound the stage given the cover of *warm* above it."""
        nonlocal bounding
        counts = cover_counts(cands, warm)
        fixed = {
            q: counts[q]
            for q in PRIORITY_ORDER
            if (priority is None or q > priority) and counts.get(q)
        }
        report.phase(
            "bounds: quality"
            if priority is None
            else f"bounds: cover priority {priority}"
        )
        began = time.perf_counter()
        stage = decomposer.stage(
            priority,
            fixed,
            math.inf if deterministic else BOUND_SHARE * left(),
            start=warm,
            max_iterations=rounds,
        )
        bounding += time.perf_counter() - began
        if priority is None:
            # Every later proposal keeps the cover it was bounded given.
            report.quality_ceiling(stage.bound)
        round_lp()
        return stage.bound_units

    def round_lp() -> None:
        """Round the stage's LP solution: its columns, heaviest first,
        then the greedy for the needs left.  On "national-alt" the LP of
        the cover stage has 1,316 fractional columns and 50 whole ones,
        yet this rounding meets 892 needs where the greedy start meets
        663, and the integer master started from it met 914 where from
        the greedy start it met 837 (same columns, 7 s each)."""
        nonlocal warm
        if stopped() or not ROUND_LP:
            return
        rounded = greedy_start(
            cands,
            usable,
            groups,
            deadline=None if deterministic else settings.deadline,
            stop=settings.stop,
            guide=decomposer.guide(),
        ).chosen
        if rounded is not None and better(rounded):
            warm = rounded
            tell_best(report, cands, warm)

    def lp_pairs() -> np.ndarray:
        """The pairs the last LP solution uses (none when
        `LP_SHORTLIST` is off): the shortlist keeps them too."""
        if not LP_SHORTLIST:
            return np.zeros(cands.n_candidates, dtype=bool)
        return decomposer.finish().pair_weight > GUIDE_WEIGHT

    def better(found: np.ndarray) -> bool:
        return rank(cands, found) > rank(cands, warm)

    def support_then_pool(
        seconds: float, search: set[int | None], share: float
    ) -> list[dict[str, Any]]:
        """Search *search* with the integer master, first over the
        columns of the last LP solution (*share* of *seconds*: a small
        programme CP-SAT searches well), then over every column."""
        found = decomposer.finish()
        keep = found.weights > GUIDE_WEIGHT
        support = [c for c, k in zip(found.columns, keep, strict=True) if k]
        first = share * seconds
        records: list[dict[str, Any]] = []
        for columns, buddies, part in (
            (support, found.column_buddy[keep], first),
            (found.pool_columns, found.pool_buddy, seconds - first),
        ):
            if part >= MIN_SEARCH_SECONDS and not stopped():
                records.extend(over_columns(columns, buddies, part, search))
        return records

    def over_columns(
        columns: list[np.ndarray],
        buddies: np.ndarray,
        seconds: float,
        search: set[int | None],
    ) -> list[dict[str, Any]]:
        """Search the stages *search* with the integer master over
        *columns*, from the best so far; keep its answer if better, and
        return its stage records."""
        nonlocal warm
        outcome = integer_master(
            cands,
            columns,
            buddies,
            groups,
            start=warm,
            time_limit=seconds,
            seed=settings.seed,
            workers=settings.workers,
            deterministic=settings.deterministic,
            stop=settings.stop,
            search=search,
        )
        if outcome.status in ("optimal", "feasible") and better(
            outcome.chosen
        ):
            warm = outcome.chosen
            tell_best(report, cands, warm)
        return outcome.stages

    def neighbourhoods(
        seconds: float,
        search: set[int | None],
        progress: set[int | None],
    ) -> dict[str, Any]:
        """Improve the best so far by the neighbourhood search, from the
        unmet needs the last LP solution covers first."""
        nonlocal warm
        prefer = np.zeros(len(cands.problem.needs), dtype=bool)
        prefer[cands.need[decomposer.finish().pair_weight > GUIDE_WEIGHT]] = (
            True
        )

        def found(chosen: np.ndarray) -> None:
            tell_best(report, cands, chosen)

        outcome = neighbourhood_search(
            cands,
            usable,
            groups,
            warm,
            settings,
            seconds=seconds,
            search=search,
            progress=progress,
            patience=NEIGHBOURHOOD_PATIENCE,
            prefer=prefer,
            on_better=found if report.wants_events else None,
        )
        if better(outcome.chosen):
            warm = outcome.chosen
        return outcome.record

    covers = [q for q in decomposer.stages if q is not None]
    ceilings: dict[int, int] = {}

    def room_for_cover() -> bool:
        """Whether some priority's cover is further from its bound than
        `COVER_ROOM` of it."""
        met = cover_counts(cands, warm)
        return any(
            ceiling - met.get(q, 0) > COVER_ROOM * ceiling
            for q, ceiling in ceilings.items()
        )

    if not decomposer.empty:
        for priority in decomposer.stages:
            if stopped():
                break
            if priority is None:
                bound(None)
                break
            ceiling = bound(priority)
            if seekers is not None and priority in seekers.cover:
                ceiling = min(ceiling, seekers.cover[priority])
            ceilings[priority] = ceiling
            stage = PRIORITY_ORDER.index(priority)
            if rank(cands, warm)[stage] >= ceiling or stopped():
                continue  # proven: nothing to search
            record: dict[str, Any] = {"stage": f"cover priority {priority}"}
            share = (
                LAST_SEARCH_SHARE
                if priority == min(covers) and len(covers) > 1
                else SEARCH_SHARE
            )
            seconds = share * left()
            if seconds >= MIN_SEARCH_SECONDS:
                report.phase(f"master: cover priority {priority}")
                record["master"] = support_then_pool(
                    seconds,
                    {q for q in PRIORITY_ORDER if q <= priority},
                    COVER_SUPPORT_SHARE,
                )
            seconds = share * left()
            if seconds >= MIN_SEARCH_SECONDS and not stopped():
                modelled = (
                    shortlists.shortlist(
                        cands,
                        usable,
                        warm | pinned,
                        shortlists.SHORTLIST_PER_BUDDY,
                    )
                    | lp_pairs()
                )
                short = solve(
                    cands,
                    modelled,
                    groups,
                    replace(settings, time_limit=seconds),
                    report,
                    warm,
                    proof=False,
                    cover_search={q for q in PRIORITY_ORDER if q <= priority},
                    quality_stage=False,
                )
                for item in short.stages:
                    item["shortlist"] = True
                record["shortlist"] = short.stages
                if short.status in ("optimal", "feasible") and better(
                    short.chosen
                ):
                    warm = short.chosen
                    tell_best(report, cands, warm)
            records.append(record)
    decomposition = decomposer.finish()
    master: list[dict[str, Any]] = []
    searched: list[dict[str, Any]] = []
    if not decomposer.empty and not stopped():
        seconds = QUALITY_NEIGHBOURHOOD_SHARE * left()
        if (
            seconds >= MIN_SEARCH_SECONDS
            and not stopped()
            and (room_for_cover() or not COVER_ROOM_ONLY)
        ):
            report.phase("neighbourhoods")
            # Covers too: a need met here is worth more than any quality.
            every: set[int | None] = {*PRIORITY_ORDER, None}
            cover_only: set[int | None] = set(PRIORITY_ORDER)
            searched.append(
                neighbourhoods(
                    seconds,
                    every,
                    cover_only if QUALITY_NEIGHBOURHOOD_COVER_ONLY else every,
                )
            )
        if not stopped():
            report.phase("master")
            # The covers are settled: quality only.
            master = support_then_pool(
                MASTER_SHARE * left(), {None}, SUPPORT_SHARE
            )
        decomposition = decomposer.finish()
    if (
        REBOUND
        and decomposition.stages
        and decomposition.stages[-1].stage == "quality"
        and not stopped()
    ):
        settled = decomposition.stages[-1].fixed
        now = cover_counts(cands, warm)
        if any(now.get(q, 0) > k for q, k in settled.items()):
            # The quality search met more needs than the cover stages
            # did (national-alt: 882 settled, 957 after it), and the
            # quality bound given the higher cover is tighter.
            bound(None)
            decomposition = decomposer.finish()
    return Staged(
        warm, decomposition, bounding, records, master, lp_pairs(), searched
    )
