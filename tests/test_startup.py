"""Start-up: what importing the package and the CLI loads.

``import buddymatch`` resolves its public names on first use (PEP 562), so
that the errors, ``buddymatch --help`` and ``buddymatch validate`` do not
load OR-Tools, pandas or networkx.  Each check runs in a fresh interpreter:
this test process has long since imported everything.  No timings here;
those are in ``benchmarks/bench_startup.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import buddymatch as bm

HEAVY = ("ortools", "pandas", "networkx", "scipy")


def _run(code: str) -> str:
    """Run *code* in a fresh interpreter; return its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        # The buddymatch under test, wherever it is imported from.
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _heavy_loaded_after(statement: str) -> list[str]:
    """Return the heavy packages (or their submodules) *statement* loads."""
    out = _run(
        f"import sys\n{statement}\n"
        "import json\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules"
        " if m.split('.')[0] in heavy)))\n"
    )
    # The last line: *statement* may print too.
    loaded: list[str] = json.loads(out.splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "statement",
    [
        "import buddymatch",
        "import buddymatch.errors",
        "from buddymatch.errors import InputError",
        "import buddymatch.cli",
    ],
)
def test_import_loads_no_solver_pandas_or_networkx(statement: str) -> None:
    assert _heavy_loaded_after(statement) == []


def test_models_load_without_the_solver() -> None:
    """Building a problem and a policy is not solving."""
    loaded = _heavy_loaded_after(
        "import buddymatch as bm\n"
        "bm.Policy(); bm.Problem; bm.InputError; bm.__version__"
    )
    assert loaded == []


def test_validate_loads_no_solver_pandas_or_networkx() -> None:
    """``buddymatch validate`` on the example, relations included."""
    loaded = _heavy_loaded_after(
        "import buddymatch as bm\n"
        "from buddymatch.cli import main\n"
        "d = bm.example_dir()\n"
        "sys.argv = ['buddymatch', 'validate', str(d / 'trusts.csv'),"
        " '--relations', str(d / 'relations.csv'),"
        " '--policy', str(d / 'policy.toml')]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "assert bm.read_problem(d / 'trusts.csv',"
        " relations=d / 'relations.csv').relations\n"
    )
    assert loaded == []


def test_every_public_name_resolves_lazily() -> None:
    """Each name of ``__all__`` is absent until asked for, then cached."""
    out = _run(
        "import buddymatch as bm, json\n"
        "eager = [n for n in bm.__all__ if n in vars(bm)]\n"
        "missing = [n for n in bm.__all__ if getattr(bm, n, None) is None]\n"
        "cached = all(n in vars(bm) for n in bm.__all__)\n"
        "listed = sorted(set(bm.__all__) - set(dir(bm)))\n"
        "print(json.dumps([eager, missing, cached, listed]))\n"
    )
    eager, missing, cached, listed = json.loads(out)
    assert eager == ["__version__"]
    assert missing == []
    assert cached is True
    assert listed == []


def test_lazy_names_are_the_defining_modules_objects() -> None:
    from buddymatch.model import Policy
    from buddymatch.solvers import propose
    from buddymatch.verify import verify

    assert bm.Policy is Policy
    assert bm.propose is propose
    assert bm.verify is verify
    assert set(bm.__all__) <= set(dir(bm))


def test_star_import_gives_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from buddymatch import *", namespace)
    assert set(bm.__all__) <= set(namespace)


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError) as caught:
        bm.nope  # noqa: B018
    assert str(caught.value) == "module 'buddymatch' has no attribute 'nope'"
    assert not hasattr(bm, "propose_everything")


def test_functions_named_like_submodules_stay_functions() -> None:
    """``verify`` and ``rematch`` are submodules and functions.

    Loading the submodule first (as the CLI does) must not replace the
    public function on the package.
    """
    out = _run(
        "import buddymatch.rematch, buddymatch.verify\n"
        "from buddymatch.verify import verify as v\n"
        "import buddymatch as bm, inspect\n"
        "print(inspect.isfunction(bm.verify), inspect.isfunction(bm.rematch),"
        " bm.verify is v)\n"
    )
    assert out.split() == ["True", "True", "True"]
