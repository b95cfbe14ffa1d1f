"""`-` reads standard input, through the one reading path: the same
limits and checks, and problems that name ``<stdin>`` with their line and
column."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from buddymatch import io as bio
from buddymatch.errors import InputError
from buddymatch.io import files

DATA = Path(__file__).parents[1] / "data"


def feed(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """Make standard input hold *data*."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_dash_reads_stdin_as_utf8_without_its_bom(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed(monkeypatch, "\ufeffid,kind\nA,acute\n".encode())
    assert files.read_text("-") == "id,kind\nA,acute\n"
    assert files.source_name("-") == "<stdin>"
    assert files.source_name("./-") == "./-"


def test_stdin_has_the_file_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    feed(monkeypatch, b"x" * 101)
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    problem = files.read_text("-")
    assert not isinstance(problem, str)
    assert problem.file == "<stdin>"
    assert "larger than the limit of 100 bytes" in problem.message


def test_stdin_that_is_not_utf8_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed(monkeypatch, b"id,name\nA,Caf\xe9\n")
    problem = files.read_text("-")
    assert not isinstance(problem, str)
    assert (problem.file, problem.line) == ("<stdin>", 2)


def test_trusts_on_stdin_are_read_and_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = (DATA / "trusts.csv").read_text()
    feed(monkeypatch, text.encode())
    problem = bio.read_problem("-")
    assert problem == bio.read_problem(DATA / "trusts.csv")
    feed(monkeypatch, text.replace(",acute,", ",hospital,", 1).encode())
    with pytest.raises(InputError) as info:
        bio.read_problem("-")
    (found,) = info.value.problems
    assert found.file == "<stdin>"
    assert found.column == "kind"
    assert isinstance(found.line, int) and found.line > 1


def test_a_policy_on_stdin_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    feed(monkeypatch, b"max_travel_minutes = -5\n")
    with pytest.raises(InputError) as info:
        bio.read_policy("-")
    (found,) = info.value.problems
    assert (found.file, found.line) == ("<stdin>", 1)
