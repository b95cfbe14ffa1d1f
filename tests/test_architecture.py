"""The package's layers are contracts, checked here and in CI.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``) and
``docs/architecture.md`` draws them: the layers from data up to the
command line, OR-Tools only in the solver backend, a verifier that shares
no code with the solver, and no import cycle inside any package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    pytest.importorskip("importlinter")
    # In a child process: import-linter configures logging with
    # dictConfig, which would disable the loggers of this test session.
    code = (
        "import sys\n"
        "from importlinter.cli import lint_imports\n"
        "sys.exit(lint_imports(config_filename='pyproject.toml',"
        " no_cache=True, no_logo=True))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    # Exit code 0 when every contract is kept; the report says which broke.
    assert done.returncode == 0, done.stdout + done.stderr


def test_writing_loads_no_solver() -> None:
    """In a fresh interpreter: write a result, its map and terms without
    loading OR-Tools, the candidate builder, the explainers or pandas."""
    code = (
        "import datetime as dt, json, sys, tempfile\n"
        "from pathlib import Path\n"
        "from buddymatch.render import Map, write_output\n"
        "from buddymatch.result import (Assignment, Partnership, Result,"
        " TrustRef)\n"
        "from buddymatch.terms_model import terms_for\n"
        "t = (TrustRef(id='S', name='S', kind='acute', lat=52, lon=-1),"
        " TrustRef(id='B', name='B', kind='acute', lat=51, lon=-1))\n"
        "a = Assignment(seeker='S', area='finance', tier='light',"
        " buddy='B', travel_minutes=80.0, culture_fit=0.9, expertise=5,"
        " workload=1, fee=0.0, score=20.0, terms={'expertise': 20.0})\n"
        "p = Partnership(seeker='S', buddy='B', areas=('finance',),"
        " tiers={'finance': 'light'}, workload=1, fee=0.0, months=6)\n"
        "r = Result(status='optimal', assignments=(a,), partnerships=(p,),"
        " trusts=t)\n"
        "d = Path(tempfile.mkdtemp())\n"
        "for s in ('.csv', '.json', '.md'): write_output(r, d / ('r' + s))\n"
        "for s in ('.svg', '.html'): write_output(Map(r), d / ('m' + s))\n"
        "terms = terms_for(r, p, start=dt.date(2026, 1, 1))\n"
        "write_output(terms, d / 't.md')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(("
        "'ortools', 'networkx', 'pandas', 'buddymatch.solvers',"
        " 'buddymatch.candidates', 'buddymatch.explain.',"
        " 'buddymatch.rematch.')))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []
