"""Writing outputs: a destination that cannot be written is the user's
problem (exit 73, naming their path), never a bug (exit 70), and is found
before the solve where it can be; terms of reference are written as one
set.

Tests run as root, for whom a read-only folder is writable, so the
operating system's refusals are injected: ``os.access`` answering no, or
``os.fsync`` / ``os.replace`` failing with "No space left on device".
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import buddymatch as bm
import buddymatch.solvers
from buddymatch.cli import EXIT_CANNOT_WRITE, app
from buddymatch.io import (
    check_output_file,
    check_output_folder,
    write_file_set,
    write_text_atomic,
)
from buddymatch.terms import write_terms
from conftest import solve_verified

runner = CliRunner()


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    bm.write_example(folder)
    return folder


@pytest.fixture(scope="module")
def result(example: Path) -> bm.Result:
    policy = bm.read_policy(example / "policy.toml")
    problem = bm.read_problem(
        example / "trusts.csv",
        relations=example / "relations.csv",
        policy=policy,
    )
    return solve_verified(
        problem, policy, time_limit=0.5, workers=2, deterministic=True
    )


def _inputs(folder: Path) -> list[str]:
    return [
        str(folder / "trusts.csv"),
        "--relations",
        str(folder / "relations.csv"),
        "--policy",
        str(folder / "policy.toml"),
    ]


def _fail_on_call(
    monkeypatch: pytest.MonkeyPatch, name: str, n: int
) -> Callable[[], int]:
    """Make ``os.<name>`` fail with ENOSPC on its *n*-th call; return a
    counter of the calls."""
    real = getattr(os, name)
    calls = 0

    def failing(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == n:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, failing)
    return lambda: calls


def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under *folder* (hidden ones too) and file contents."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def no_solve(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if a command starts solving."""

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("the solver ran before the output was checked")

    monkeypatch.setattr(buddymatch.solvers, "propose", refuse)
    yield


# ---------------------------------------------------------------------------
# The library
# ---------------------------------------------------------------------------


def test_missing_folder_names_the_users_path(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "r.json"
    with pytest.raises(bm.OutputError) as info:
        write_text_atomic(target, "{}")
    error = info.value
    assert isinstance(error, OSError)  # callers catching OSError still do
    assert error.path == str(target)
    assert error.errno == errno.ENOENT
    assert str(error) == (
        f"cannot write {target}: the folder {target.parent} does not exist"
    )
    assert ".tmp" not in str(error)


def test_full_disk_names_the_path_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.json"
    target.write_text("old", encoding="utf-8")
    _fail_on_call(monkeypatch, "fsync", 1)
    with pytest.raises(bm.OutputError) as info:
        write_text_atomic(target, "new")
    assert str(info.value) == (
        f"cannot write {target}: No space left on device"
    )
    assert _tree(tmp_path) == {"r.json": b"old"}


def test_checks_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    afile = tmp_path / "a.txt"
    afile.write_text("x", encoding="utf-8")
    check_output_file(tmp_path / "r.json")
    check_output_folder(tmp_path / "new" / "terms")  # will be created
    check_output_folder(tmp_path)
    cases: list[tuple[Callable[[Path], None], Path, str]] = [
        (check_output_file, tmp_path / "no" / "r.json", "does not exist"),
        (check_output_file, afile / "r.json", "is not a folder"),
        (check_output_file, tmp_path, "it is a folder"),
        (check_output_folder, afile, "is not a folder"),
        (check_output_folder, afile / "terms", "is not a folder"),
    ]
    for check, path, words in cases:
        with pytest.raises(bm.OutputError, match=words) as info:
            check(path)
        assert info.value.path == str(path)
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    for check in (check_output_file, check_output_folder):
        with pytest.raises(bm.OutputError, match="not writable"):
            check(tmp_path / "r.json")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root writes into read-only folders",
)
def test_read_only_folder(tmp_path: Path) -> None:  # pragma: no cover
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(bm.OutputError, match="not writable"):
            check_output_file(folder / "r.json")
        with pytest.raises(bm.OutputError, match="Permission denied"):
            write_text_atomic(folder / "r.json", "x")
    finally:
        folder.chmod(0o700)


# ---------------------------------------------------------------------------
# Terms of reference: all files or none
# ---------------------------------------------------------------------------


def test_terms_into_a_new_folder_all_or_nothing(
    result: bm.Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(result.partnerships) >= 3
    target = tmp_path / "a" / "b" / "terms"
    calls = _fail_on_call(monkeypatch, "fsync", 3)  # the third file
    with pytest.raises(bm.OutputError) as info:
        write_terms(result, target)
    assert calls() == 3
    assert info.value.path == str(target)
    assert "No space left on device" in str(info.value)
    # Nothing new: not the folder, nor its parents, nor a hidden one.
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    written = write_terms(result, target)
    assert sorted(target.iterdir()) == sorted(written)
    assert list(target.parent.iterdir()) == [target]


def test_terms_into_an_existing_folder_all_or_nothing(
    result: bm.Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = result.partnerships[0]
    same_name = tmp_path / f"{first.seeker}--{first.buddy}.md"
    same_name.write_text("an older version", encoding="utf-8")
    same_name.chmod(0o640)
    (tmp_path / "notes.txt").write_text("the user's", encoding="utf-8")
    before = _tree(tmp_path)
    for name, n in (("fsync", 3), ("replace", 2)):
        # Out of space while writing; or a move failing after the first
        # file was replaced: that file is put back.
        _fail_on_call(monkeypatch, name, n)
        with pytest.raises(bm.OutputError, match="No space left"):
            write_terms(result, tmp_path)
        monkeypatch.undo()
        assert _tree(tmp_path) == before, name
    written = write_terms(result, tmp_path)
    after = _tree(tmp_path)
    # The re-run refreshes its own files and keeps the others, and the
    # permissions of the file it replaced.
    assert set(after) == {p.name for p in written} | {"notes.txt"}
    assert after["notes.txt"] == b"the user's"
    assert same_name.read_bytes() != b"an older version"
    assert same_name.stat().st_mode & 0o777 == 0o640


def test_file_set_refuses_names_with_a_folder(tmp_path: Path) -> None:
    for name in ("../x.md", "sub/x.md", ".hidden", ""):
        with pytest.raises(ValueError, match="not a plain file name"):
            write_file_set(tmp_path, {name: b"x"})
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------


def _assert_cannot_write(output: str, path: Path, reason: str) -> None:
    text = " ".join(output.split())  # rich wraps long lines
    assert f"cannot write {path}: {reason}" in text
    for words in ("Traceback", "internal", "report it", ".tmp"):
        assert words not in text


@pytest.mark.usefixtures("no_solve")
@pytest.mark.parametrize("option", ["--out", "--terms"])
def test_propose_refuses_a_missing_folder_before_solving(
    example: Path, tmp_path: Path, option: str
) -> None:
    target = tmp_path / "no" / "such" / "r.json"
    if option == "--terms":
        # A file where a folder of the path should be.
        (tmp_path / "no").write_text("x", encoding="utf-8")
        target = tmp_path / "no" / "terms"
    run = runner.invoke(
        app, ["propose", *_inputs(example), option, str(target)]
    )
    assert run.exit_code == EXIT_CANNOT_WRITE == 73, run.output
    reason = (
        f"{tmp_path / 'no'} is not a folder"
        if option == "--terms"
        else f"the folder {target.parent} does not exist"
    )
    _assert_cannot_write(run.output, target, reason)


@pytest.mark.usefixtures("no_solve")
@pytest.mark.parametrize("command", ["explain", "rematch", "rematch-save"])
def test_other_commands_refuse_a_missing_folder_before_solving(
    example: Path, tmp_path: Path, command: str
) -> None:
    target = tmp_path / "no" / "out.md"
    args = ["explain", *_inputs(example), "--out", str(target)]
    if command.startswith("rematch"):
        arrangements = tmp_path / "arrangements.csv"
        arrangements.write_text(
            "seeker,area,buddy,status,start\n", encoding="utf-8"
        )
        option = "--out" if command == "rematch" else "--save-arrangements"
        args = [
            "rematch",
            *_inputs(example),
            "--arrangements",
            str(arrangements),
            option,
            str(target),
        ]
    run = runner.invoke(app, args)
    assert run.exit_code == 73, run.output
    _assert_cannot_write(
        run.output, target, f"the folder {target.parent} does not exist"
    )


def test_map_and_schema_refuse_a_missing_folder(
    result: bm.Result, tmp_path: Path
) -> None:
    source = tmp_path / "r.json"
    source.write_text(result.to_json(), encoding="utf-8")
    target = tmp_path / "no" / "map.svg"
    for args in (
        ["map", str(source), "--out", str(target)],
        ["schema", "result", "--out", str(target)],
    ):
        run = runner.invoke(app, args)
        assert run.exit_code == 73, run.output
        _assert_cannot_write(
            run.output, target, f"the folder {target.parent} does not exist"
        )


@pytest.mark.usefixtures("no_solve")
def test_propose_refuses_a_read_only_folder_before_solving(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda path, mode, **kw: (
            Path(path) != tmp_path and real(path, mode, **kw)
        ),
    )
    target = tmp_path / "r.json"
    run = runner.invoke(
        app, ["propose", *_inputs(example), "--out", str(target)]
    )
    assert run.exit_code == 73, run.output
    _assert_cannot_write(
        run.output,
        target,
        f"the folder {tmp_path} is not writable (permission denied)",
    )


def test_propose_on_a_full_disk(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.json"
    terms = tmp_path / "terms"
    _fail_on_call(monkeypatch, "fsync", 1)
    run = runner.invoke(
        app,
        [
            "propose",
            *_inputs(example),
            "--time-limit",
            "0.5",
            "--out",
            str(target),
            "--terms",
            str(terms),
        ],
    )
    assert run.exit_code == 73, run.output
    _assert_cannot_write(run.output, target, "No space left on device")
    assert list(tmp_path.iterdir()) == []
    # Once the result is written, the terms fail as a set: the folder
    # is named, and nothing is left of it.
    monkeypatch.undo()
    _fail_on_call(monkeypatch, "fsync", 3)
    run = runner.invoke(
        app,
        [
            "propose",
            *_inputs(example),
            "--time-limit",
            "0.5",
            "--out",
            str(target),
            "--terms",
            str(terms),
        ],
    )
    assert run.exit_code == 73, run.output
    _assert_cannot_write(run.output, terms, "No space left on device")
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
