"""Benchmark the matching engine against a naive CP-SAT model.

Run by hand, never as a test::

    python benchmarks/bench_engine.py          # every target, ~20 min
    python benchmarks/bench_engine.py --instances nhs,national \\
        --repeats 3 --time-limit 60 --variants default,workers=2

Instances are ``synth.preset`` names, or a preset name followed by
``-overrides`` (:func:`with_overrides`: a user score and workload on every
candidate pair, the general assignment form).

For each instance (``buddymatch.synth.preset`` with a fixed seed) and each
engine variant, every repeat runs in a fresh process (``spawn``), so the
peak resident memory (``ru_maxrss``) is that run's own.  Each run prints
one row: candidate pairs, build time (instance candidates, model, greedy
warm start and result assembly: everything outside CP-SAT), CP-SAT solve
time (the sum of the stage wall times), status, cover per priority,
objective (quality points), bound, gap, the number of violations
:func:`buddymatch.verify.verify` finds (must be 0) and peak RSS.  A median
row per variant follows.

On ``nhs`` and ``national`` (never larger: the dense model would not fit)
the naive baseline of ``naive_baseline.py`` runs in the same session, and
the table ends with the ratio of its time to the engine's and the two
objectives.

Variants are comma-separated; each is ``default`` or ``+``-joined
``key=value`` settings, where ``workers`` is propose's argument,
``shortlist_above``, ``per_buddy`` and ``shortlist_share`` set the
shortlist's constants
(:mod:`buddymatch.solvers.shortlist`) and any other key is a CP-SAT
``SatParameters`` field, e.g. ``workers=2+cp_model_probing_level=0``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from buddymatch import synth
from buddymatch.candidates import build_candidates
from buddymatch.model import PairOverride, Policy, Problem
from buddymatch.solvers import propose
from buddymatch.solvers import shortlist as shortlists
from buddymatch.solvers.assemble import assemble
from buddymatch.verify import verify

sys.path.insert(0, str(Path(__file__).resolve().parent))
from naive_baseline import solve_naive

#: Instances the dense naive model is run on (DESIGN.md: not programme).
BASELINE_INSTANCES = ("tiny", "nhs", "national")
#: Variant keys that set the shortlist's constants (not CP-SAT's).
SHORTLIST_SETTINGS = {
    "shortlist_above": "SHORTLIST_ABOVE",
    "per_buddy": "SHORTLIST_PER_BUDDY",
    "shortlist_share": "SHORTLIST_SHARE",
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


def run_engine(instance: str, spec: str, time_limit: float, seed: int) -> Row:
    """Solve one instance with the engine (call in a fresh process).

    Parameters
    ----------
    instance
        Preset name.
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
    for key, constant in SHORTLIST_SETTINGS.items():
        if key in params:
            # Engine constants, not CP-SAT parameters: set them in this
            # (fresh) process only.
            kind = type(getattr(shortlists, constant))
            setattr(shortlists, constant, kind(params.pop(key)))
    problem = load_instance(instance)
    policy = Policy()
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
    return {
        "pairs": cands.n_candidates,
        # Shortlist pairs when only the shortlist was modelled.
        "modelled": (
            listed["pairs"] if listed and not listed["whole_model"] else None
        ),
        "build": (built - start) + (done - built - solve),
        "solve": solve,
        "total": total,
        "status": result.status,
        "cover": _cover(result.coverage),
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "violations": len(verify(problem, policy, result)),
        "peak_mb": _peak_mb(),
    }


def run_baseline(instance: str, time_limit: float, seed: int) -> Row:
    """Solve one instance with the naive model (call in a fresh process).

    Parameters
    ----------
    instance
        Preset name.
    time_limit
        Seconds for the CP-SAT solve.
    seed
        Solver seed of this repeat.

    Returns
    -------
    dict
        The row's numbers; the gap is that of the weighted objective.
    """
    problem = load_instance(instance)
    policy = Policy()
    start = time.perf_counter()
    cands = build_candidates(problem, policy)
    candidates_seconds = time.perf_counter() - start
    outcome = solve_naive(cands, time_limit, seed)
    row: Row = {
        "pairs": outcome.n_pair_variables,
        "build": candidates_seconds + outcome.build_seconds,
        "solve": outcome.solve_seconds,
        "total": time.perf_counter() - start,
        "status": outcome.status,
        "cover": "-",
        "objective": None,
        "bound": None,
        "gap": outcome.weighted_gap,
        "violations": None,
        "peak_mb": _peak_mb(),
    }
    if outcome.status in ("optimal", "feasible"):
        result = assemble(cands, outcome.chosen, "feasible")
        row["cover"] = _cover(result.coverage)
        row["objective"] = result.objective
        row["violations"] = len(verify(problem, policy, result))
    return row


def in_fresh_process(work: Callable[..., Row], *args: Any) -> Row:
    """Run *work(*args)* in a new spawned process and return its row."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(work, *args).result()


_COLUMNS = (
    ("instance", 9, "s"),
    ("variant", 30, "s"),
    ("run", 6, "s"),
    ("pairs", 9, "d"),
    ("modelled", 8, "d"),
    ("build", 7, ".2f"),
    ("solve", 7, ".2f"),
    ("total", 7, ".2f"),
    ("status", 11, "s"),
    ("cover", 11, "s"),
    ("objective", 11, ".1f"),
    ("bound", 11, ".1f"),
    ("gap", 8, ".4f"),
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
    short = {"violations": "viol", "peak_mb": "MB"}
    return " ".join(
        (short.get(n, n).rjust(w) if f != "s" else n.ljust(w))
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
        "peak_mb",
    ):
        values = [r[key] for r in rows if r.get(key) is not None]
        out[key] = statistics.median(values) if values else None
    for key in ("pairs", "modelled"):
        if out[key] is not None:
            out[key] = round(out[key])
    statuses = sorted({r["status"] for r in rows})
    out["status"] = "/".join(statuses)
    covers = sorted({r["cover"] for r in rows})
    out["cover"] = covers[0] if len(covers) == 1 else "varies"
    violations = [r["violations"] for r in rows if r["violations"] is not None]
    out["violations"] = max(violations) if violations else None
    return out


def compare(instance: str, engine: list[Row], naive: list[Row]) -> str:
    """Return the baseline-versus-engine line of one instance."""
    e_time = statistics.median(r["total"] for r in engine)
    n_time = statistics.median(r["total"] for r in naive)
    e_best = engine[int(np.argmax([r["objective"] or -1e18 for r in engine]))]
    n_obj = [r for r in naive if r["objective"] is not None]
    words = (
        f"{instance}: naive/engine time = {n_time:.1f}s/{e_time:.1f}s "
        f"= {n_time / max(e_time, 1e-9):.1f}x; engine cover "
        f"{e_best['cover']} objective {e_best['objective']}"
    )
    if n_obj:
        n_best = n_obj[int(np.argmax([r["objective"] for r in n_obj]))]
        words += (
            f"; naive cover {n_best['cover']} objective {n_best['objective']}"
        )
    else:
        words += "; naive found no solution"
    return words


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--instances",
        default="nhs,national,programme,nhs-overrides",
        help="comma-separated preset names, each optionally -overrides",
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
        "--no-baseline", action="store_true", help="skip the naive model"
    )
    parser.add_argument(
        "--json", type=Path, help="also write every row to this file"
    )
    args = parser.parse_args(argv)
    instances = [s for s in args.instances.split(",") if s]
    variants = [s for s in args.variants.split(",") if s]
    for spec in variants:
        parse_variant(spec)  # fail on a bad spec before any long run

    all_rows: list[Row] = []
    summary: list[str] = []
    print(header(), flush=True)
    for instance in instances:
        engine_rows: dict[str, list[Row]] = {v: [] for v in variants}
        naive_rows: list[Row] = []
        baseline = (
            not args.no_baseline
            and instance.partition("-")[0] in BASELINE_INSTANCES
        )
        # Repeats outermost, variants inner: a noisy spell on the machine
        # then hits every variant alike rather than one of them.
        for rep in range(args.repeats):
            for spec in variants:
                row = in_fresh_process(
                    run_engine, instance, spec, args.time_limit, rep
                )
                row.update(instance=instance, variant=spec, run=str(rep))
                engine_rows[spec].append(row)
                print(format_row(row), flush=True)
            if baseline:
                row = in_fresh_process(
                    run_baseline, instance, args.time_limit, rep
                )
                row.update(instance=instance, variant="naive", run=str(rep))
                naive_rows.append(row)
                print(format_row(row), flush=True)
        for spec, rows in engine_rows.items():
            med = median_row(rows)
            med.update(instance=instance, variant=spec)
            print(format_row(med), flush=True)
            all_rows.extend(rows)
        if naive_rows:
            med = median_row(naive_rows)
            med.update(instance=instance, variant="naive")
            print(format_row(med), flush=True)
            all_rows.extend(naive_rows)
            summary.append(
                compare(instance, engine_rows[variants[0]], naive_rows)
            )
    for line in summary:
        print(line)
    if args.json:
        args.json.write_text(json.dumps(all_rows, indent=1))
    bad = [r for r in all_rows if r["variant"] != "naive" and r["violations"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
