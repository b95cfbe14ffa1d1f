"""Benchmark start-up: whole-process times of the CLI and the import.

Run by hand, not a test.  Each case is a fresh process, timed from launch
to exit, repeated; the table gives the median, min and max in seconds.
The cases:

* ``buddymatch --help``;
* ``buddymatch validate`` on the bundled example (trusts, relations,
  policy);
* ``python -c "import buddymatch"``;
* ``buddymatch propose`` on the bundled example with ``--out x.json``
  (the whole process of a solve, start-up included).

The command is ``python -m buddymatch`` with this interpreter (the same
import path as the ``buddymatch`` console script, without depending on
where it is installed).  ``hyperfine`` is not needed: the timing is
a plain loop around :func:`subprocess.run`.  On a shared machine compare
variants in one run and read the medians.

Usage::

    python benchmarks/bench_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _time(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Return the wall seconds of one run of *cmd*; fail loudly."""
    start = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    # propose exits 1 when some needs are unmet: still a finished run.
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return seconds


def main() -> None:
    """Print the start-up table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    # The buddymatch this interpreter imports (e.g. a worktree's src).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cli = [sys.executable, "-m", "buddymatch"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _time([*cli, "example", "ex"], work, env)
        inputs = [
            "ex/trusts.csv",
            "--relations",
            "ex/relations.csv",
            "--policy",
            "ex/policy.toml",
        ]
        cases = [
            ("buddymatch --help", [*cli, "--help"]),
            ("buddymatch validate (example)", [*cli, "validate", *inputs]),
            (
                "python -c 'import buddymatch'",
                [sys.executable, "-c", "import buddymatch"],
            ),
            (
                "buddymatch propose (example) --out x.json",
                [*cli, "propose", *inputs, "--out", "x.json", "--quiet"],
            ),
        ]
        width = max(len(name) for name, _ in cases)
        print(f"{'case':<{width}}  median s    min s    max s")
        for name, cmd in cases:
            _time(cmd, work, env)  # warm the file cache, untimed
            runs = [_time(cmd, work, env) for _ in range(args.repeats)]
            print(
                f"{name:<{width}}  {statistics.median(runs):8.3f}"
                f" {min(runs):8.3f} {max(runs):8.3f}"
            )


if __name__ == "__main__":
    main()
