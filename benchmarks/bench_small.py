"""Small instances: where the solve time goes, and the small-model settings.

Instances: the "nhs" preset (15 seekers x 4 needs, 230 buddies), seeds
0-4, ``synth.generate(15, 4, 230, seed)`` for seeds 5-7, and the bundled
example.  Variants switch ``solvers.cpsat.solve.SMALL_MODEL_LP`` (before:
CP-SAT's default portfolio; after: the full linear relaxation on small
models) and the number of workers, in the same run.  Each cell is the
median of ``--runs`` calls of ``buddymatch.propose``; a last table times
the whole process ``buddymatch propose trusts.csv --out x.json`` on the
"nhs" preset written as CSV.

Run: ``PYTHONPATH=src python benchmarks/bench_small.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import buddymatch
from buddymatch import synth
from buddymatch.solvers.cpsat import solve as engine


def instances() -> list[tuple[str, buddymatch.Problem, object]]:
    found: list[tuple[str, buddymatch.Problem, object]] = []
    for seed in range(5):
        found.append((f"nhs/{seed}", synth.preset("nhs", seed=seed), None))
    for seed in range(5, 8):
        found.append(
            (f"gen15x4/{seed}", synth.generate(15, 4, 230, seed=seed), None)
        )
    folder = buddymatch.example_dir()
    found.append(
        (
            "example",
            buddymatch.read_problem(
                folder / "trusts.csv", relations=folder / "relations.csv"
            ),
            buddymatch.read_policy(folder / "policy.toml"),
        )
    )
    return found


VARIANTS = {
    # name: (SMALL_MODEL_LP, workers, deterministic)
    "before w8": (False, 8, False),
    "after w8": (True, 8, False),
    "before w1": (False, 1, False),
    "after w1": (True, 1, False),
    "before w2": (False, 2, False),
    "after w2": (True, 2, False),
    "before w4": (False, 4, False),
    "after w4": (True, 4, False),
    "before det": (False, None, True),
    "after det": (True, None, True),
}


def solve_table(runs: int, time_limit: float) -> None:
    print(
        f"{'instance':12} {'variant':11} {'solve s':>8} {'stages s':>9} "
        f"{'status':8} {'cover 3/2/1':12} {'objective':>10} {'bound':>10}"
    )
    for name, problem, policy in instances():
        for variant, (small_lp, workers, det) in VARIANTS.items():
            engine.SMALL_MODEL_LP = small_lp
            seconds, staged = [], []
            for _ in range(runs):
                began = time.perf_counter()
                result = buddymatch.propose(
                    problem,
                    policy,  # type: ignore[arg-type]
                    workers=workers,
                    deterministic=det,
                    time_limit=time_limit,
                )
                seconds.append(time.perf_counter() - began)
                stages = result.solver["stages"]
                key = "dtime" if det else "wall"
                staged.append(sum(float(s.get(key, 0)) for s in stages))
                assert buddymatch.verify(problem, policy, result) == []
            nan = float("nan")
            cover = "/".join(str(c.covered) for c in result.coverage)
            print(
                f"{name:12} {variant:11} {statistics.median(seconds):8.3f} "
                f"{statistics.median(staged):9.3f} {result.status:8} "
                f"{cover:12} {result.objective:10.3f} "
                f"{nan if result.bound is None else result.bound:10.3f}",
                flush=True,
            )
    engine.SMALL_MODEL_LP = True


def process_table(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        buddymatch.write_problem_csv(synth.preset("nhs", seed=0), folder)
        command = [
            sys.executable,
            "-c",
            "",  # the variant's start-up code, set below
            "propose",
            str(folder / "trusts.csv"),
            "--relations",
            str(folder / "relations.csv"),
            "--out",
            str(folder / "x.json"),
            "-q",
        ]
        for variant, flag in (("before", "False"), ("after", "True")):
            # The package's own start-up plus one constant set.
            command[2] = (
                "import sys;"
                "import buddymatch.solvers.cpsat.solve as e;"
                f"e.SMALL_MODEL_LP = {flag};"
                "from buddymatch.cli import main;"
                "sys.argv[0] = 'buddymatch';"
                "main()"
            )
            times = []
            for _ in range(runs):
                began = time.perf_counter()
                subprocess.run(command, check=False)
                times.append(time.perf_counter() - began)
            print(
                f"propose --out x.json, nhs/0, {variant}: median "
                f"{statistics.median(times):.3f} s "
                f"(min {min(times):.3f}, max {max(times):.3f})",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--process-only", action="store_true")
    args = parser.parse_args()
    if not args.process_only:
        solve_table(args.runs, args.time_limit)
    process_table(args.runs)


if __name__ == "__main__":
    main()
