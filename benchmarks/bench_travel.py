"""Benchmark the geography and candidate stages (run by hand, not a test).

Two tables, each the median of several repeats:

1. The minutes matrix (straight-line model, rounded to 0.1) and the conflict
   mask (neighbours, too far, relation bans) for n × n trusts spread over
   Great Britain.  The issue's target: 5,000 × 5,000 in under 2 s and under
   1 GB on a 2-core machine.
2. ``build_candidates`` on benchmark problems: the presets of
   :mod:`buddymatch.synth` when it is there, else problems of the same
   sizes drawn here with numpy.

Peak memory is the peak of memory traced by :mod:`tracemalloc` (numpy
reports its array buffers to it) during one extra, untimed run, so the
tracing does not slow the timed runs.

Usage::

    python benchmarks/bench_travel.py [--repeats 5] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from buddymatch.candidates import build_candidates
from buddymatch.conflicts import banned_pairs, conflict_mask
from buddymatch.model import Need, Policy, Problem, Relation, Trust
from buddymatch.travel import StraightLine

# Great Britain's mainland, roughly: the box trusts are drawn in.
_LAT = (50.0, 57.5)
_LON = (-5.5, 1.7)
_AREAS = tuple(f"area{k}" for k in range(10))
_DIMS = tuple(f"dim{k}" for k in range(4))


def _measure(
    work: Callable[[], Any], repeats: int
) -> tuple[float, float, Any]:
    """Return (median seconds, peak MiB, last value) of *work*."""
    times = []
    value: Any = None
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        value = work()
        times.append(time.perf_counter() - start)
        del value
    gc.collect()
    tracemalloc.start()
    value = work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return statistics.median(times), peak / 2**20, value


def _trusts(
    rng: np.random.Generator, n: int, prefix: str = "T", buddies: bool = True
) -> list[Trust]:
    lat = rng.uniform(*_LAT, n)
    lon = rng.uniform(*_LON, n)
    levels = rng.integers(0, 6, (n, len(_AREAS)))
    culture = rng.uniform(4.0, 8.0, (n, len(_DIMS)))
    return [
        Trust(
            id=f"{prefix}{i:05d}",
            lat=float(lat[i]),
            lon=float(lon[i]),
            expertise=dict(zip(_AREAS, map(int, levels[i]), strict=True)),
            culture=dict(zip(_DIMS, map(float, culture[i]), strict=True)),
            capacity=int(rng.integers(0, 7)) if buddies else 0,
        )
        for i in range(n)
    ]


def _relations(
    rng: np.random.Generator, ids: list[str], per_trust: float
) -> tuple[Relation, ...]:
    n_rel = int(len(ids) * per_trust)
    a = rng.integers(0, len(ids), n_rel)
    b = (a + rng.integers(1, len(ids), n_rel)) % len(ids)
    kinds = ("competitor", "tertiary", "acquirer", "veto", "prior")
    kind = rng.integers(0, len(kinds), n_rel)
    unique = {
        (ids[i], ids[j], kinds[k])
        for i, j, k in zip(a.tolist(), b.tolist(), kind.tolist(), strict=True)
    }
    return tuple(Relation(a=x, b=y, kind=k) for x, y, k in sorted(unique))


def table_matrix(sizes: list[int], repeats: int) -> list[str]:
    """Time the minutes matrix and conflict mask for n × n trusts."""
    rng = np.random.default_rng(2014)
    policy = Policy()
    line = StraightLine(policy.speed_kmh, policy.circuity)
    rows = [
        "| trusts | pairs | time (s, median) | peak memory (MiB) |",
        "|---:|---:|---:|---:|",
    ]
    print("\n".join(rows), flush=True)
    for n in sizes:
        trusts = _trusts(rng, n)
        ids = [t.id for t in trusts]
        problem = Problem(
            trusts=tuple(trusts), relations=_relations(rng, ids, 0.05)
        )

        def work(
            trusts: list[Trust] = trusts,
            ids: list[str] = ids,
            problem: Problem = problem,
        ) -> np.ndarray:
            minutes = line.minutes(trusts, trusts)
            np.round(minutes, 1, out=minutes)
            bans = banned_pairs(problem, policy)
            return conflict_mask(minutes, policy, bans, ids, ids)

        seconds, peak, _ = _measure(work, repeats)
        rows.append(f"| {n:,} | {n * n:,} | {seconds:.3f} | {peak:,.0f} |")
        print(rows[-1], flush=True)
    return rows


def _numpy_problem(
    rng: np.random.Generator, seekers: int, needs: int, buddies: int
) -> Problem:
    """A problem of the given size, for when buddymatch.synth is absent."""
    seeker_trusts = _trusts(rng, seekers, "S", buddies=False)
    buddy_trusts = _trusts(rng, buddies, "B")
    need_list = [
        Need(seeker=t.id, area=area)
        for t in seeker_trusts
        for area in rng.choice(_AREAS, needs, replace=False).tolist()
    ]
    trusts = seeker_trusts + buddy_trusts
    return Problem(
        trusts=tuple(trusts),
        needs=tuple(need_list),
        relations=_relations(rng, [t.id for t in trusts], 0.05),
    )


def _problems(quick: bool) -> list[tuple[str, Problem]]:
    sizes = {
        "tiny": (3, 2, 20),
        "nhs": (15, 4, 230),
        "national": (200, 5, 1000),
        "programme": (3000, 3, 3000),
    }
    if quick:
        sizes.pop("programme")
    try:
        from buddymatch.synth import preset
    except ImportError:
        rng = np.random.default_rng(2014)
        return [
            (name, _numpy_problem(rng, *size)) for name, size in sizes.items()
        ]
    return [(name, preset(name)) for name in sizes]


def table_candidates(repeats: int, quick: bool) -> list[str]:
    """Time build_candidates on the benchmark problems."""
    policy = Policy()
    rows = [
        "| problem | seekers × needs | trusts | candidates "
        "| time (s, median) | peak memory (MiB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    print("\n".join(rows), flush=True)
    for name, problem in _problems(quick):

        def work(problem: Problem = problem) -> int:
            return build_candidates(problem, policy).n_candidates

        seconds, peak, k = _measure(work, repeats)
        rows.append(
            f"| {name} | {len(problem.seeker_ids):,} × "
            f"{len(problem.needs) / max(1, len(problem.seeker_ids)):.0f} "
            f"| {len(problem.trusts):,} | {k:,} | {seconds:.3f} "
            f"| {peak:,.0f} |"
        )
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run both tables and print them as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes only (a smoke run)"
    )
    args = parser.parse_args(argv)
    sizes = [500, 1000] if args.quick else [1000, 2000, 5000]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"numpy {np.__version__}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load average {load} (other work on the "
        "machine slows the timings)"
    )
    print("\nMinutes matrix + conflict mask (n × n trusts)\n")
    table_matrix(sizes, args.repeats)
    print("\nbuild_candidates (default policy)\n")
    table_candidates(args.repeats, args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
