"""Benchmark the exact min-cost-flow path on MIDL-like reviewer data.

Run by hand, never as a test::

    python benchmarks/bench_flow.py                 # 5 repeats
    python benchmarks/bench_flow.py --repeats 3 --density 1.0

The instance is the issue's stand-in for the public MIDL 2018 data: 118
papers (seekers, one need of 3 distinct reviewers each) and 177 reviewers
(buddies, capacity 4), a random affinity in [0, 1] (3 decimals) on a
share ``--density`` of the (paper, reviewer) pairs as a ``pairs.csv``
score with workload 1; the other pairs are vetoed (conflicts of
interest).  Every other rule is off.  The data are written once as CSV
files to a temporary folder.

Each run is a fresh process, timed from outside (whole process: start-up,
reading, candidates, solving, writing):

``cli-flow``
    ``python -m buddymatch propose ... --out x.json``: the flow path.
``py-flow`` / ``py-cpsat``
    ``python -c``: read the files, ``propose`` (``py-cpsat`` passes a CP-SAT
    parameter, which forces the search), print the in-process seconds of
    ``propose`` and the objective.

Medians of ``--repeats`` runs are printed per variant, with the status,
objective and backend of the last run.  The default density (0.9) keeps
the model under the large-model threshold (20,000 usable pairs); at 1.0
(20,886 pairs) the CP-SAT path starts the decomposition.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from buddymatch.io import write_policy_toml, write_problem_csv
from buddymatch.model import (
    Need,
    PairOverride,
    Policy,
    Problem,
    Relation,
    Trust,
)

AREA = "review"

_PY = """
import sys, time, json
t = time.perf_counter()
from buddymatch import propose, verify
from buddymatch.io import read_problem, read_policy
d = sys.argv[1]
policy = read_policy(d + '/policy.toml')
problem = read_problem(d + '/trusts.csv', d + '/relations.csv',
                       d + '/pairs.csv', policy=policy)
params = {'num_workers': 8} if sys.argv[2] == 'cpsat' else None
s = time.perf_counter()
r = propose(problem, policy, solver_params=params)
e = time.perf_counter()
assert verify(problem, policy, r) == []
print(json.dumps({'solve': e - s, 'status': r.status,
                  'objective': r.objective,
                  'backend': r.solver['backend']}))
"""


def midl_like(
    seed: int = 0,
    papers: int = 118,
    reviewers: int = 177,
    per_paper: int = 3,
    load: int = 4,
    density: float = 0.9,
) -> tuple[Problem, Policy]:
    """Return the MIDL-like problem and its policy (module text)."""
    rng = np.random.default_rng(seed)
    trusts = [
        Trust(
            id=f"R{i:03d}",
            lat=52.5,
            lon=-1.5,
            expertise={AREA: 5},
            capacity=load,
        )
        for i in range(reviewers)
    ] + [
        Trust(id=f"P{j:03d}", lat=52.5, lon=-1.5, expertise={AREA: 1})
        for j in range(papers)
    ]
    needs = [
        Need(seeker=f"P{j:03d}", area=AREA, buddies=per_paper)
        for j in range(papers)
    ]
    affinity = np.round(rng.random((papers, reviewers)), 3)
    keep = rng.random((papers, reviewers)) < density
    overrides = [
        PairOverride(
            seeker=f"P{j:03d}",
            area=AREA,
            buddy=f"R{i:03d}",
            score=float(affinity[j, i]),
            workload=1,
        )
        for j in range(papers)
        for i in range(reviewers)
        if keep[j, i]
    ]
    vetoes = [
        Relation(a=f"P{j:03d}", b=f"R{i:03d}", kind="veto")
        for j in range(papers)
        for i in range(reviewers)
        if not keep[j, i]
    ]
    problem = Problem(
        trusts=tuple(trusts),
        needs=tuple(needs),
        relations=tuple(vetoes),
        overrides=tuple(overrides),
    )
    policy = Policy(
        min_expertise=0,
        min_travel_minutes=0.0,
        max_travel_minutes=None,
        max_partners=None,
        max_buddies_per_seeker=None,
        partnership_cost=0.0,
    )
    return problem, policy


def _run(command: list[str]) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    took = time.perf_counter() - began
    if done.returncode not in (0,):
        raise RuntimeError(done.stderr[-2000:])
    return took, done.stdout.strip().splitlines()[-1] if done.stdout else ""


def main() -> None:
    """Run the benchmark and print one median row per variant."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--density", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default="cli-flow,py-flow,py-cpsat")
    args = parser.parse_args()
    problem, policy = midl_like(args.seed, density=args.density)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_problem_csv(problem, folder)
        write_policy_toml(policy, folder / "policy.toml")
        cli = [
            sys.executable,
            "-m",
            "buddymatch",
            "propose",
            str(folder / "trusts.csv"),
            "--relations",
            str(folder / "relations.csv"),
            "--pairs",
            str(folder / "pairs.csv"),
            "--policy",
            str(folder / "policy.toml"),
            "--out",
            str(folder / "x.json"),
            "--quiet",
        ]
        commands = {
            "cli-flow": cli,
            "py-flow": [sys.executable, "-c", _PY, tmp, "flow"],
            "py-cpsat": [sys.executable, "-c", _PY, tmp, "cpsat"],
        }
        print(
            f"MIDL-like: 118 papers x 3 of 177 reviewers <= 4, density "
            f"{args.density}, {len(problem.overrides)} scored pairs"
        )
        print(f"{'variant':<10} {'whole s':>8} {'solve s':>8}  last run")
        for name in args.variants.split(","):
            wall, solve, last = [], [], ""
            for _ in range(args.repeats):
                took, out = _run(commands[name])
                wall.append(took)
                last = out
                if out.startswith("{"):
                    solve.append(float(json.loads(out)["solve"]))
            inner = f"{statistics.median(solve):8.3f}" if solve else " " * 8
            print(f"{name:<10} {statistics.median(wall):8.3f} {inner}  {last}")


if __name__ == "__main__":
    main()
