"""Benchmark the matching engine against a naive CP-SAT model.

Run by hand, never as a test::

    python benchmarks/bench_engine.py          # every target, ~40 min
    python benchmarks/bench_engine.py --instances nhs,national \\
        --repeats 3 --time-limit 60 --variants default,workers=2

Instances are ``synth.preset`` names, or a preset name followed by
``-overrides`` (:func:`with_overrides`: a user score and workload on every
candidate pair, the general assignment form), or an instance of
``instances.py``: ``national-alt`` (the scale issue's other national-size
generator, with its own policy) and ``gap-<type>-<m>x<n>`` (Chu & Beasley
general assignment types A-D, e.g. ``gap-d-10x200``; ``gap-all`` for the
issue's 24 sizes), which run with ``--gap-time-limit`` (10 s).  The
default run is every preset target, ``national-alt`` and the GAP types at
5x100 and 10x200.  For example::

    python benchmarks/bench_engine.py --repeats 1 --time-limit 10 \\
        --instances gap-a-5x100,gap-d-10x200

For each instance (``buddymatch.synth.preset`` with a fixed seed) and each
engine variant, every repeat runs in a fresh process (``spawn``), so the
peak resident memory (``ru_maxrss``) is that run's own.  Each run prints
one row: size (seekers/needs/buddies/candidate pairs), build time
(instance candidates, model, greedy warm start and result assembly:
everything outside CP-SAT), CP-SAT solve
time (the sum of the stage wall times), status, cover per priority,
objective (quality points), bound, gap, the number of violations
:func:`buddymatch.verify.verify` finds (must be 0) and peak RSS.  A median
row per variant follows.

Peers run in the same session, each in its own fresh process, with the
same time limit: ``naive`` (``naive_baseline.py``, the dense CP-SAT model),
``mip-scip`` and ``mip-highs`` (``compact_mip.py``, the compact MIP a user
would write for ``pywraplp``).  By default (``--peers default``) GAP
instances get all three; ``nhs``, ``national`` and ``national-alt`` get
``naive`` and ``mip-scip`` (never larger: the dense model would not fit);
``tiny`` gets ``naive``.  ``--no-baseline`` drops ``naive``.  The table
ends with the ratio of each peer's time to the engine's and the
objectives, and for GAP instances each solver's assignment cost beside the
reference of ``gap_reference.json`` (``gap_reference.py``).

Every row gives the bound and where it comes from: the engine's
``result.solver["bound_source"]`` when it names one, else ``cp-sat`` when
there is a bound; the peers' bounds are their solver's bound on the
weighted objective less the weight of the proposal's cover (quality with
cover fixed, like the engine's), so a peer's gap is a quality gap too.
``cover bd`` is the proven most needs per priority where known (the
engine's ``Coverage.bound`` when it has one; a peer's from its weighted
bound, for a priority only while the ones above are met up to theirs).

Variants are comma-separated; each is ``default`` or ``+``-joined
``key=value`` settings, where ``workers`` is propose's argument,
``shortlist_above``, ``per_buddy`` and ``shortlist_share`` set the
shortlist's constants (:mod:`buddymatch.solvers.shortlist`),
``decomposition_share`` and ``master_share`` the shares of the time the
decomposition and the integer master get, and any other key is a CP-SAT
``SatParameters`` field, e.g. ``workers=2+cp_model_probing_level=0``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from buddymatch import solvers as engine_solvers
from buddymatch import synth
from buddymatch.candidates import build_candidates
from buddymatch.model import PairOverride, Policy, Problem
from buddymatch.scoring import POINTS_SCALE
from buddymatch.solvers import propose
from buddymatch.solvers import shortlist as shortlists
from buddymatch.solvers import staged as engine_staged
from buddymatch.solvers.assemble import assemble
from buddymatch.solvers.cpsat import neighbourhood as engine_neighbourhood
from buddymatch.verify import verify

sys.path.insert(0, str(Path(__file__).resolve().parent))
import instances as more_instances
from compact_mip import lexicographic_bounds, solve_mip
from naive_baseline import solve_naive

#: Instances the dense naive model is run on (DESIGN.md: not programme).
BASELINE_INSTANCES = ("tiny", "nhs", "national")
#: Instances the compact MIP (SCIP) is run on by default, besides GAP.
MIP_INSTANCES = ("nhs", "national", more_instances.NATIONAL_ALT)
#: Every peer, in the order they run.
PEERS = ("naive", "mip-scip", "mip-highs")
#: pywraplp backend of each MIP peer.
MIP_BACKENDS = {"mip-scip": "SCIP", "mip-highs": "HIGHS"}
#: GAP instances of the default run: types A-D at 5x100 and 10x200.
DEFAULT_GAP = tuple(
    f"gap-{kind}-{size}" for kind in "abcd" for size in ("5x100", "10x200")
)
#: Instances of the default run.
DEFAULT_INSTANCES = (
    "nhs",
    "national",
    "programme",
    "nhs-overrides",
    more_instances.NATIONAL_ALT,
    *DEFAULT_GAP,
)
#: References of the GAP instances (written by gap_reference.py).
GAP_REFERENCE = Path(__file__).resolve().parent / "gap_reference.json"
#: Variant keys that set the engine's constants (not CP-SAT's): the
#: shortlist's, the decomposition's share of the time and the integer
#: master's.
ENGINE_SETTINGS = {
    "shortlist_above": (shortlists, "SHORTLIST_ABOVE"),
    "per_buddy": (shortlists, "SHORTLIST_PER_BUDDY"),
    "shortlist_share": (shortlists, "SHORTLIST_SHARE"),
    "bound_share": (engine_staged, "BOUND_SHARE"),
    "search_share": (engine_staged, "SEARCH_SHARE"),
    "quality_nb_share": (engine_staged, "QUALITY_NEIGHBOURHOOD_SHARE"),
    "nb_patience": (engine_staged, "NEIGHBOURHOOD_PATIENCE"),
    "nb_better_rivals": (engine_neighbourhood, "BETTER_RIVALS"),
    "nb_cover_only": (engine_staged, "QUALITY_NEIGHBOURHOOD_COVER_ONLY"),
    "nb_room_only": (engine_staged, "COVER_ROOM_ONLY"),
    "nb_step_seconds": (engine_neighbourhood, "STEP_SECONDS"),
    "nb_start_pairs": (engine_neighbourhood, "START_PAIRS"),
    "last_search_share": (engine_staged, "LAST_SEARCH_SHARE"),
    "master_share": (engine_staged, "MASTER_SHARE"),
    "support_share": (engine_staged, "SUPPORT_SHARE"),
    "cover_support_share": (engine_staged, "COVER_SUPPORT_SHARE"),
    "round_lp": (engine_staged, "ROUND_LP"),
    "rebound": (engine_staged, "REBOUND"),
    "lp_shortlist": (engine_staged, "LP_SHORTLIST"),
    "staged_max_pairs": (engine_solvers, "STAGED_MAX_PAIRS"),
    "staged_whole_model": (engine_solvers, "STAGED_WHOLE_MODEL"),
}
#: Seed of every generated instance.
INSTANCE_SEED = 0

Row = dict[str, Any]


def with_overrides(problem: Problem) -> Problem:
    """Return *problem* with a user score and workload on every pair.

    Pair overrides turn the engine into a general assignment solver: each
    candidate pair gets a score drawn from 0-100 and a workload from 1-3
    (fixed seed), replacing the computed terms.  The hard pair rules still
    decide which pairs are candidates.

    Parameters
    ----------
    problem
        A preset problem.

    Returns
    -------
    Problem
        The same problem with one override per candidate pair.
    """
    cands = build_candidates(problem, Policy())
    rng = np.random.default_rng(INSTANCE_SEED)
    scores = np.round(rng.uniform(0.0, 100.0, cands.n_candidates), 1)
    workloads = rng.integers(1, 4, cands.n_candidates)
    needs = cands.problem.needs
    trusts = cands.problem.trusts
    overrides = tuple(
        PairOverride(
            seeker=needs[n].seeker,
            area=needs[n].area,
            buddy=trusts[b].id,
            score=float(score),
            workload=int(workload),
        )
        for n, b, score, workload in zip(
            cands.need.tolist(),
            cands.buddy.tolist(),
            scores.tolist(),
            workloads.tolist(),
            strict=True,
        )
    )
    return cands.problem.replace(overrides=overrides)


def load_instance(name: str) -> Problem:
    """Return the benchmark problem *name*.

    Parameters
    ----------
    name
        A preset name (``synth.preset``), optionally followed by
        ``-overrides`` for :func:`with_overrides`.

    Returns
    -------
    Problem
        The problem, the same on every call.

    Raises
    ------
    ValueError
        If the suffix is not ``overrides``.
    """
    return load_case(name)[0]


def load_case(name: str) -> tuple[Problem, Policy]:
    """Return the benchmark problem *name* and the policy it is solved under.

    Parameters
    ----------
    name
        A name :func:`load_instance` takes, or one of ``instances.py``
        (``national-alt``, ``gap-<type>-<m>x<n>``).

    Returns
    -------
    tuple
        The problem in canonical order, and its policy (``Policy()`` for
        the presets).
    """
    if more_instances.is_case(name):
        case = more_instances.load_case(name, INSTANCE_SEED)
        return case.problem.canonical(), case.policy
    return _preset_problem(name), Policy()


def _preset_problem(name: str) -> Problem:
    base, _, variant = name.partition("-")
    problem = synth.preset(base, INSTANCE_SEED)
    if variant == "overrides":
        return with_overrides(problem)
    if variant:
        raise ValueError(f"unknown instance variant {variant!r} in {name!r}")
    return problem


def parse_variant(spec: str) -> tuple[int | None, dict[str, Any]]:
    """Return (workers, CP-SAT parameters) of a variant spec.

    Parameters
    ----------
    spec
        ``default`` or ``key=value`` settings joined by ``+``; values are
        read as JSON (``true``, ``0.01``) and else kept as text.

    Returns
    -------
    tuple
        The workers (``None`` = the engine's default) and the parameters.
    """
    workers: int | None = None
    params: dict[str, Any] = {}
    if spec == "default":
        return workers, params
    for part in spec.split("+"):
        key, sep, text = part.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"bad variant setting {part!r}")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        if key == "workers":
            workers = int(value)
        else:
            params[key] = value
    return workers, params


def _peak_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cover(result_coverage: Any) -> str:
    by = {c.priority: c.covered for c in result_coverage}
    return "/".join(str(by.get(p, 0)) for p in (3, 2, 1))


def _cover_by(result_coverage: Any) -> dict[int, int]:
    return {c.priority: c.covered for c in result_coverage}


def _cover_bound(bounds: dict[int, int | None]) -> str | None:
    """Return ``3/2/1`` cover bounds, ``?`` where none is known."""
    if all(bounds.get(p) is None for p in (3, 2, 1)):
        return None
    return "/".join(
        "?" if bounds.get(p) is None else str(bounds[p]) for p in (3, 2, 1)
    )


def _size(problem: Problem, pairs: int) -> str:
    """Return ``seekers/needs/buddies/pairs`` of a problem."""
    seekers = len(problem.seeker_ids)
    buddies = sum(1 for t in problem.trusts if t.capacity > 0)
    return f"{seekers}/{len(problem.needs)}/{buddies}/{pairs}"


def _gap_cost(instance: str, result: Any) -> float | None:
    """Return the GAP assignment cost of a result meeting every need."""
    if not more_instances.is_case(instance) or result.objective is None:
        return None
    case = more_instances.load_case(instance, INSTANCE_SEED)
    if case.gap is None:
        return None
    met = sum(c.covered for c in result.coverage)
    if met < case.gap.jobs:
        return None  # not a GAP assignment: some job is left out
    return case.gap.cost_of(met, result.objective)


def run_engine(instance: str, spec: str, time_limit: float, seed: int) -> Row:
    """Solve one instance with the engine (call in a fresh process).

    Parameters
    ----------
    instance
        Instance name (see :func:`load_case`).
    spec
        Variant spec (see :func:`parse_variant`).
    time_limit
        Seconds for propose.
    seed
        Solver seed of this repeat.

    Returns
    -------
    dict
        The row's numbers.
    """
    workers, params = parse_variant(spec)
    for key, (module, constant) in ENGINE_SETTINGS.items():
        if key in params:
            # Engine constants, not CP-SAT parameters: set them in this
            # (fresh) process only.
            kind = type(getattr(module, constant))
            setattr(module, constant, kind(params.pop(key)))
    problem, policy = load_case(instance)
    start = time.perf_counter()
    cands = build_candidates(problem, policy)
    built = time.perf_counter()
    result = propose(
        problem,
        policy,
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        candidates=cands,
        solver_params=params,
    )
    done = time.perf_counter()
    stages = result.solver.get("stages", [])
    solve = float(sum(s.get("wall", 0.0) for s in stages))
    total = done - start
    listed = result.solver.get("shortlist")
    # Another engine may name where its bound comes from (a decomposition
    # bound, say); today's engine has CP-SAT's or none.
    source = result.solver.get("bound_source")
    if source is None:
        source = "cp-sat" if result.bound is not None else "none"
    return {
        "pairs": cands.n_candidates,
        "size": _size(problem, cands.n_candidates),
        # Shortlist pairs when only the shortlist was modelled.
        "modelled": (
            listed["pairs"] if listed and not listed["whole_model"] else None
        ),
        "build": (built - start) + (done - built - solve),
        "solve": solve,
        "total": total,
        "status": result.status,
        "cover": _cover(result.coverage),
        "cover_bound": _cover_bound(
            {c.priority: getattr(c, "bound", None) for c in result.coverage}
        ),
        "objective": result.objective,
        "bound": result.bound,
        "bound_source": source,
        "gap": result.gap,
        "gap_cost": _gap_cost(instance, result),
        "violations": len(verify(problem, policy, result)),
        "peak_mb": _peak_mb(),
    }


def _peer_row(
    instance: str,
    problem: Problem,
    policy: Policy,
    cands: Any,
    chosen: Any,
    status: str,
    weighted: tuple[float | None, Any, float],
) -> Row:
    """Return the result columns of a peer's proposal.

    *weighted* is the peer's bound on its weighted objective, its cover
    weights and its lowest quality, in points.
    """
    row: Row = {
        "status": status,
        "cover": "-",
        "objective": None,
        "bound": None,
        "gap": None,
        "violations": None,
    }
    if status not in ("optimal", "feasible"):
        return row
    result = assemble(cands, chosen, "feasible")
    cover = _cover_by(result.coverage)
    best_bound, weights, floor = weighted
    totals = {c.priority: c.total for c in result.coverage}
    quality, most = lexicographic_bounds(
        best_bound, weights, cover, floor, totals
    )
    row.update(
        cover=_cover(result.coverage),
        cover_bound=_cover_bound(dict(most)),
        objective=result.objective,
        bound=quality,
        gap=(
            None
            if quality is None or result.objective is None
            else abs(quality - result.objective)
            / max(1.0, abs(result.objective))
        ),
        gap_cost=_gap_cost(instance, result),
        violations=len(verify(problem, policy, result)),
    )
    return row


def run_baseline(instance: str, time_limit: float, seed: int) -> Row:
    """Solve one instance with the naive model (call in a fresh process).

    Parameters
    ----------
    instance
        Instance name (see :func:`load_case`).
    time_limit
        Seconds for the CP-SAT solve.
    seed
        Solver seed of this repeat.

    Returns
    -------
    dict
        The row's numbers; bound and gap are those of quality at the
        proposal's cover (from CP-SAT's bound on the weighted objective).
    """
    problem, policy = load_case(instance)
    start = time.perf_counter()
    cands = build_candidates(problem, policy)
    candidates_seconds = time.perf_counter() - start
    outcome = solve_naive(cands, time_limit, seed)
    row: Row = {
        "pairs": outcome.n_pair_variables,
        "size": _size(problem, outcome.n_pair_variables),
        "build": candidates_seconds + outcome.build_seconds,
        "solve": outcome.solve_seconds,
        "total": time.perf_counter() - start,
        "bound_source": "cp-sat weighted",
        "peak_mb": _peak_mb(),
    }
    scale = float(POINTS_SCALE)
    weighted = (
        None
        if outcome.weighted_bound is None
        else outcome.weighted_bound / scale,
        {p: w / scale for p, w in (outcome.weights or {}).items()},
        outcome.quality_floor / scale,
    )
    row.update(
        _peer_row(
            instance,
            problem,
            policy,
            cands,
            outcome.chosen,
            outcome.status,
            weighted,
        )
    )
    return row


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def run_mip(instance: str, peer: str, time_limit: float, seed: int) -> Row:
    """Solve one instance with the compact MIP (call in a fresh process).

    Parameters
    ----------
    instance
        Instance name (see :func:`load_case`).
    peer
        ``mip-scip`` or ``mip-highs``.
    time_limit
        Seconds for the MIP solve.
    seed
        Unused: the MIP solvers run with their default seed.

    Returns
    -------
    dict
        The row's numbers; bound and gap are those of quality at the
        proposal's cover (from the solver's bound on the weighted
        objective).
    """
    del seed
    backend = MIP_BACKENDS[peer]
    problem, policy = load_case(instance)
    start = time.perf_counter()
    cands = build_candidates(problem, policy)
    candidates_seconds = time.perf_counter() - start
    with _stdout_to_stderr():
        # HiGHS prints its banner on stdout, into the table.
        outcome = solve_mip(cands, backend, time_limit)
    row: Row = {
        "pairs": cands.n_candidates,
        "size": _size(problem, cands.n_candidates),
        "modelled": outcome.n_pair_variables,
        "build": candidates_seconds + outcome.build_seconds,
        "solve": outcome.solve_seconds,
        "total": time.perf_counter() - start,
        "bound_source": backend.lower()
        + (" weighted ±1e-4" if backend == "HIGHS" else " weighted"),
        "peak_mb": _peak_mb(),
    }
    row.update(
        _peer_row(
            instance,
            problem,
            policy,
            cands,
            outcome.chosen,
            outcome.status,
            (outcome.best_bound, outcome.weights, outcome.quality_floor),
        )
    )
    return row


def in_fresh_process(work: Callable[..., Row], *args: Any) -> Row:
    """Run *work(*args)* in a new spawned process and return its row."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(work, *args).result()


_COLUMNS = (
    ("instance", 12, "s"),
    ("variant", 16, "s"),
    ("run", 6, "s"),
    ("size", 22, "s"),
    ("modelled", 8, "d"),
    ("build", 7, ".2f"),
    ("solve", 7, ".2f"),
    ("total", 7, ".2f"),
    ("status", 11, "s"),
    ("cover", 11, "s"),
    ("cover_bound", 11, "s"),
    ("objective", 11, ".1f"),
    ("bound", 11, ".1f"),
    ("bound_source", 20, "s"),
    ("gap", 8, ".4f"),
    ("gap_cost", 8, ".0f"),
    ("violations", 4, "d"),
    ("peak_mb", 7, ".0f"),
)


def format_row(row: Row) -> str:
    """Return one aligned table line (``-`` for a missing number)."""
    cells = []
    for name, width, fmt in _COLUMNS:
        value = row.get(name)
        text = "-" if value is None else format(value, fmt)
        cells.append(text.rjust(width) if fmt != "s" else text.ljust(width))
    return " ".join(cells)


def header() -> str:
    """Return the table header line."""
    short = {
        "violations": "viol",
        "peak_mb": "MB",
        "variant": "solver",
        "cover_bound": "cover bd",
        "bound_source": "bound source",
        "gap_cost": "GAP cost",
    }
    return " ".join(
        (short.get(n, n).rjust(w) if f != "s" else short.get(n, n).ljust(w))
        for n, w, f in _COLUMNS
    )


def median_row(rows: list[Row]) -> Row:
    """Return the median of the numeric columns over *rows*."""
    out: Row = {"run": "median"}
    for key in (
        "pairs",
        "modelled",
        "build",
        "solve",
        "total",
        "objective",
        "bound",
        "gap",
        "gap_cost",
        "peak_mb",
    ):
        values = [r[key] for r in rows if r.get(key) is not None]
        out[key] = statistics.median(values) if values else None
    for key in ("pairs", "modelled"):
        if out[key] is not None:
            out[key] = round(out[key])
    for key in ("size", "cover", "cover_bound", "bound_source"):
        seen = sorted({str(r.get(key)) for r in rows})
        if seen == ["None"]:
            out[key] = None
        else:
            out[key] = seen[0] if len(seen) == 1 else "varies"
    statuses = sorted({r["status"] for r in rows})
    out["status"] = "/".join(statuses)
    violations = [r["violations"] for r in rows if r["violations"] is not None]
    out["violations"] = max(violations) if violations else None
    return out


def compare(
    instance: str, engine: list[Row], naive: list[Row], peer: str = "naive"
) -> str:
    """Return the peer-versus-engine line of one instance."""
    e_time = statistics.median(r["total"] for r in engine)
    n_time = statistics.median(r["total"] for r in naive)
    e_best = engine[int(np.argmax([r["objective"] or -1e18 for r in engine]))]
    n_obj = [r for r in naive if r["objective"] is not None]
    words = (
        f"{instance}: {peer}/engine time = {n_time:.1f}s/{e_time:.1f}s "
        f"= {n_time / max(e_time, 1e-9):.1f}x; engine cover "
        f"{e_best['cover']} objective {e_best['objective']}"
    )
    if n_obj:
        n_best = n_obj[int(np.argmax([r["objective"] for r in n_obj]))]
        words += (
            f"; {peer} cover {n_best['cover']} objective {n_best['objective']}"
        )
    else:
        words += f"; {peer} found no solution"
    return words


def gap_reference() -> dict[str, Any]:
    """Return the GAP references of ``gap_reference.json`` (``{}`` if none)."""
    if not GAP_REFERENCE.exists():
        return {}
    data: dict[str, Any] = json.loads(GAP_REFERENCE.read_text())
    return data


def gap_summary(instance: str, rows: dict[str, list[Row]]) -> str:
    """Return each solver's GAP cost against the instance's reference."""
    ref = gap_reference().get(instance)
    parts = []
    for solver, solver_rows in rows.items():
        costs = [
            r["gap_cost"] for r in solver_rows if r.get("gap_cost") is not None
        ]
        if not costs:
            parts.append(f"{solver} -")
            continue
        best = min(costs)
        text = f"{solver} {best:.0f}"
        if ref is not None:
            text += f" (+{100 * (best - ref['cost']) / ref['cost']:.2f}%)"
        parts.append(text)
    if ref is None:
        tail = "no reference (run benchmarks/gap_reference.py)"
    else:
        tail = (
            f"reference {ref['cost']:.0f} ({ref['source']}), "
            f"lower bound {ref['lower_bound']:.1f}"
        )
    return (
        f"{instance} GAP cost, lowest of the runs: "
        + ", ".join(parts)
        + "; "
        + tail
    )


def expand_instances(text: str) -> list[str]:
    """Return the instance names of ``--instances`` (``gap-all`` expanded)."""
    names: list[str] = []
    for name in (s for s in text.split(",") if s):
        names.extend(
            more_instances.GAP_INSTANCES if name == "gap-all" else [name]
        )
    return names


def default_peers(instance: str) -> list[str]:
    """Return the peers run on *instance* with ``--peers default``."""
    if more_instances.GAP_NAME.match(instance):
        return list(PEERS)
    base = instance.partition("-")[0]
    peers = []
    if base in BASELINE_INSTANCES and instance != more_instances.NATIONAL_ALT:
        peers.append("naive")
    if instance in MIP_INSTANCES:
        peers.append("mip-scip")
    return peers


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--instances",
        default=",".join(DEFAULT_INSTANCES),
        help="comma-separated preset names, each optionally -overrides; "
        "national-alt; gap-<a|b|c|d>-<m>x<n>; gap-all",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per variant"
    )
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds per run"
    )
    parser.add_argument(
        "--variants",
        default="default",
        help="comma-separated; each default or key=value joined by +",
    )
    parser.add_argument(
        "--gap-time-limit",
        type=float,
        default=10.0,
        help="seconds per run on GAP instances (the literature's 10 s)",
    )
    parser.add_argument(
        "--peers",
        default="default",
        help="comma-separated from naive, mip-scip, mip-highs; "
        "'default' (per instance, see above) or 'none'",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the naive model"
    )
    parser.add_argument(
        "--json", type=Path, help="also write every row to this file"
    )
    args = parser.parse_args(argv)
    instances = expand_instances(args.instances)
    variants = [s for s in args.variants.split(",") if s]
    for spec in variants:
        parse_variant(spec)  # fail on a bad spec before any long run
    chosen_peers: list[str] | None = None
    if args.peers == "none":
        chosen_peers = []
    elif args.peers != "default":
        chosen_peers = [s for s in args.peers.split(",") if s]
        unknown = set(chosen_peers) - set(PEERS)
        if unknown:
            parser.error(f"unknown peers {sorted(unknown)}")

    all_rows: list[Row] = []
    summary: list[str] = []
    print(header(), flush=True)
    for instance in instances:
        engine_rows: dict[str, list[Row]] = {v: [] for v in variants}
        peers = (
            default_peers(instance) if chosen_peers is None else chosen_peers
        )
        if args.no_baseline:
            peers = [p for p in peers if p != "naive"]
        peer_rows: dict[str, list[Row]] = {p: [] for p in peers}
        limit = (
            args.gap_time_limit
            if more_instances.GAP_NAME.match(instance)
            else args.time_limit
        )
        # Repeats outermost, variants inner: a noisy spell on the machine
        # then hits every variant alike rather than one of them.
        for rep in range(args.repeats):
            for spec in variants:
                row = in_fresh_process(run_engine, instance, spec, limit, rep)
                row.update(instance=instance, variant=spec, run=str(rep))
                engine_rows[spec].append(row)
                print(format_row(row), flush=True)
            for peer in peers:
                if peer == "naive":
                    row = in_fresh_process(run_baseline, instance, limit, rep)
                else:
                    row = in_fresh_process(run_mip, instance, peer, limit, rep)
                row.update(instance=instance, variant=peer, run=str(rep))
                peer_rows[peer].append(row)
                print(format_row(row), flush=True)
        for spec, rows in engine_rows.items():
            med = median_row(rows)
            med.update(instance=instance, variant=spec)
            print(format_row(med), flush=True)
            all_rows.extend(rows)
        for peer, rows in peer_rows.items():
            med = median_row(rows)
            med.update(instance=instance, variant=peer)
            print(format_row(med), flush=True)
            all_rows.extend(rows)
            summary.append(
                compare(instance, engine_rows[variants[0]], rows, peer)
            )
        if more_instances.GAP_NAME.match(instance):
            summary.append(gap_summary(instance, {**engine_rows, **peer_rows}))
    for line in summary:
        print(line)
    if args.json:
        args.json.write_text(json.dumps(all_rows, indent=1))
    bad = [
        r for r in all_rows if r["variant"] not in PEERS and r["violations"]
    ]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
