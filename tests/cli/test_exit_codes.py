"""The exit codes: one table in the code, the same in the docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

import buddymatch.cli as cli
from buddymatch.cli import EXIT_CODES
from buddymatch.cli.common import _exit_code, _guard
from buddymatch.errors import (
    InputError,
    InputProblem,
    MissingDependencyError,
    OutputError,
    SolverError,
)
from buddymatch.result import Result, UnmetNeed

DOCS = Path(__file__).parents[2] / "docs" / "cli.md"


def _documented_codes() -> list[int]:
    """The codes of docs/cli.md's table under "Exit codes"."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    return [int(code) for code in re.findall(r"^\| (\d+) \|", section, re.M)]


def test_docs_table_lists_the_codes_of_the_code_table() -> None:
    documented = _documented_codes()
    assert documented == sorted(documented)
    assert documented == sorted(set(EXIT_CODES.values()))


def test_module_docstring_lists_the_codes_of_the_code_table() -> None:
    assert cli.__doc__ is not None
    listed = [int(c) for c in re.findall(r"^- (\d+):", cli.__doc__, re.M)]
    assert listed == sorted(set(EXIT_CODES.values()))


class _Unlisted(InputError):
    """An error class the table does not name: its base's code counts."""


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InputError([InputProblem("f", None, None, "bad", "fix")]), 2),
        (_Unlisted([InputProblem("f", None, None, "bad", "fix")]), 2),
        (MissingDependencyError("png", "cairosvg", "cairosvg"), 69),
        (SolverError("model invalid"), 70),
        (RuntimeError("a bug"), 70),
        (OutputError("x.csv", "disk full"), 73),
        (KeyboardInterrupt(), 130),
    ],
)
def test_guard_exits_with_the_table_code(
    error: BaseException, code: int
) -> None:
    def fail() -> int:
        raise error

    with pytest.raises(typer.Exit) as stopped:
        _guard(False, fail)
    assert stopped.value.exit_code == code


@pytest.mark.parametrize(
    ("status", "unmet", "code"),
    [
        ("optimal", False, 0),
        ("feasible", True, 1),
        ("no_solution", False, 3),
        ("infeasible", True, 4),
    ],
)
def test_result_exit_codes(status: str, unmet: bool, code: int) -> None:
    need = UnmetNeed.model_construct(seeker="S", area="finance")
    result = Result.model_construct(
        status=status, unmet=(need,) if unmet else ()
    )
    assert _exit_code(result) == code
