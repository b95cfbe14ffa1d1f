"""Every example runs, as a user would run it (python examples/NAME.py).

Examples that need an optional package say "skipped: ..." and stop when it
is missing; their test is skipped then.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))
#: Seconds an example may take, far above what any needs.
TIMEOUT = 180


def test_there_are_examples() -> None:
    names = {path.name for path in EXAMPLES}
    assert {"propose_example.py", "service.py", "sweep_dask.py"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_documented_and_guarded(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name} needs a docstring"
    # Importing an example (as process pools and tests do) runs nothing.
    guards = [
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and ast.unparse(node.test) == "__name__ == '__main__'"
    ]
    assert len(guards) == 1


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(path: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,  # examples must not depend on the folder they run in
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    if done.stdout.startswith("skipped:"):
        pytest.skip(done.stdout.strip())
    assert done.stdout.strip(), "an example shows what it did"
    assert "Traceback" not in done.stderr
