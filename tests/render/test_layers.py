"""The render package reads data; it never imports the solver.

Writing a report, a map or terms must work (and stay cheap) without
OR-Tools, the candidate builder or the explainers, and no module below
the renderers may import them back (no cycles).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "buddymatch"

#: What the renderers may import from buddymatch (besides each other).
ALLOWED = {
    "buddymatch.arrangement",
    "buddymatch.errors",
    "buddymatch.escape",
    "buddymatch.explain.models",
    "buddymatch.geo_outline",
    "buddymatch.io",
    "buddymatch.model",
    "buddymatch.result",
    "buddymatch.terms_model",
    "buddymatch.wording",
}

#: Modules the renderers import, which must not import a renderer.
FLOOR = [
    "arrangement.py",
    "errors.py",
    "escape.py",
    "geo_outline.py",
    "io.py",
    "model.py",
    "result.py",
    "terms_model.py",
    "wording.py",
    "explain/models.py",
]


def _imports(path: Path) -> set[str]:
    """Return the buddymatch modules *path* imports, lazily or not."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.split(".")[0] == "buddymatch"}


def test_renderers_import_only_data_and_writers() -> None:
    outside = {
        f"{path.relative_to(SOURCE)} imports {module}"
        for path in sorted((SOURCE / "render").glob("*.py"))
        for module in _imports(path)
        if module not in ALLOWED and not module.startswith("buddymatch.render")
    }
    assert outside == set()


def test_nothing_the_renderers_import_imports_a_renderer() -> None:
    back = {
        f"{name} imports {module}"
        for name in FLOOR
        for module in _imports(SOURCE / name)
        if module.startswith("buddymatch.render")
        or module in {"buddymatch.terms", "buddymatch.mapping",
                      "buddymatch.report", "buddymatch.escape"}
    }
    assert back == set()


def test_writing_loads_no_solver() -> None:
    """In a fresh interpreter: write each kind but explanations."""
    code = (
        "import datetime as dt, json, sys, tempfile\n"
        "from pathlib import Path\n"
        "from buddymatch.render import Map, write_output\n"
        "from buddymatch.result import (Assignment, Partnership, Result,"
        " TrustRef)\n"
        "from buddymatch.terms import terms_for\n"
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
        " 'buddymatch.candidates', 'buddymatch.explain',"
        " 'buddymatch.rematch')))))\n"
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
