"""The benchmark scripts still import and parse their options.

A module move once broke three of them (``usable_candidates`` left
``solvers.assemble``) with no test noticing; each script's ``--help``
runs here in a child process, which imports everything it needs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(
    p.name
    for p in BENCHMARKS.glob("*.py")
    if p.read_text(encoding="utf-8").count("argparse")
)


def test_scripts_found() -> None:
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("script", SCRIPTS)
def test_help(script: str) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(BENCHMARKS), env.get("PYTHONPATH", "")])
    )
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--help"],
        capture_output=True,
        text=True,
        cwd=BENCHMARKS,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage" in done.stdout.lower()
