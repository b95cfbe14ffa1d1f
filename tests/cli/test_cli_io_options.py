"""`-o`, `--out -` with `--format`, `-` for standard input, and shell
completion, across the commands."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import buddymatch as bm
from buddymatch.cli import app

runner = CliRunner()

DATA = Path(__file__).parents[1] / "data"
TRUSTS = DATA / "trusts.csv"


def propose(*args: str, **kw: object) -> object:
    return runner.invoke(
        app, ["propose", str(TRUSTS), "--deterministic", *args], **kw
    )


def test_out_dash_writes_the_result_json_to_stdout() -> None:
    done = propose("--out", "-")
    assert done.exit_code in (0, 1), done.output
    # Nothing but the result on stdout; the words go to stderr.
    result = bm.Result.from_json(done.stdout)
    assert result.status == "optimal"
    assert "status: optimal" in done.stderr
    assert "written" not in done.output


def test_o_is_out_and_stdout_is_the_file_byte_for_byte(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.json"
    assert propose("-o", str(path)).exit_code in (0, 1)
    assert propose("-o", "-").stdout == path.read_text()


def test_format_without_out_writes_that_format_to_stdout(
    tmp_path: Path,
) -> None:
    done = propose("--format", "csv")
    assert done.exit_code in (0, 1), done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows and "buddy" in rows[0]
    # Byte for byte the file, its CRLF line ends included.
    path = tmp_path / "r.csv"
    assert propose("-o", str(path)).exit_code in (0, 1)
    assert done.stdout_bytes == path.read_bytes()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--format", "xml"], "unknown output format 'xml'"),
        (["--format", "xml"], "choose csv, json or md"),
        (["--out", "r.md", "--format", "json"], "differs from the extension"),
    ],
)
def test_a_wrong_format_is_a_usage_error(
    args: list[str], words: str, tmp_path: Path
) -> None:
    done = propose(*[str(tmp_path / a) if a == "r.md" else a for a in args])
    assert done.exit_code == 2
    assert words in " ".join(done.output.split())


def test_explain_writes_json_to_stdout(tmp_path: Path) -> None:
    saved = tmp_path / "r.json"
    assert propose("-o", str(saved)).exit_code in (0, 1)
    done = runner.invoke(
        app,
        [
            "explain",
            str(saved),
            str(TRUSTS),
            "--all",
            "--no-relax",
            "-o",
            "-",
            "--format",
            "json",
        ],
    )
    assert done.exit_code in (0, 1), done.output
    assert json.loads(done.stdout)["status"] == "optimal"


def test_map_reads_stdin_and_writes_stdout(tmp_path: Path) -> None:
    done = propose("-o", "-")
    drawn = runner.invoke(app, ["map", "-", "-o", "-"], input=done.stdout)
    assert drawn.exit_code == 0, drawn.output
    assert "<svg" in drawn.stdout


def test_schema_out_dash_is_stdout() -> None:
    done = runner.invoke(app, ["schema", "result", "-o", "-"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["title"]


def test_validate_reads_trusts_from_stdin() -> None:
    done = runner.invoke(app, ["validate", "-"], input=TRUSTS.read_text())
    assert done.exit_code == 0, done.output
    assert "OK: <stdin>" in done.stdout


def test_a_fault_on_stdin_is_named_with_its_line_and_column() -> None:
    text = TRUSTS.read_text().replace(",acute,", ",hospital,", 1)
    line = 1 + next(
        n for n, row in enumerate(text.splitlines()) if ",hospital," in row
    )
    done = runner.invoke(app, ["validate", "-"], input=text)
    assert done.exit_code == 2
    assert f"<stdin>, line {line}, column kind" in done.output


def test_stdin_is_for_one_input_only() -> None:
    done = runner.invoke(
        app, ["validate", "-", "--relations", "-"], input="id\n"
    )
    assert done.exit_code == 2
    assert "can be read only once" in " ".join(done.output.split())


def test_show_completion_prints_a_script() -> None:
    """Completion is on: `buddymatch --show-completion bash` prints the
    script to source, and the script's calls complete option names."""
    code = (
        "import sys\n"
        "from buddymatch.cli import main\n"
        "sys.argv = ['buddymatch', *sys.argv[1:]]\n"
        "main()\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        # Name the shell instead of detecting the one running the tests.
        "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1",
    }
    shown = subprocess.run(
        [sys.executable, "-c", code, "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "complete -o default -F _buddymatch_completion" in shown.stdout
    assert "_BUDDYMATCH_COMPLETE=complete_bash" in shown.stdout
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={
            **env,
            "_BUDDYMATCH_COMPLETE": "complete_bash",
            "COMP_WORDS": "buddymatch explain --ne",
            "COMP_CWORD": "2",
        },
        check=False,
    )
    assert completed.stdout.split() == ["--need"]


def test_a_reader_that_stops_early_is_an_output_error(
    monkeypatch: pytest.MonkeyPatch, complete_result: bm.Result
) -> None:
    """`propose -o - | head`: the write fails with a broken pipe; that is
    exit 73 (the output cannot be written), not an internal error."""
    from buddymatch.cli import EXIT_CANNOT_WRITE
    from buddymatch.cli.common import _emit, _error_code, _Target
    from buddymatch.errors import OutputError

    read_end, write_end = os.pipe()

    class Closed:
        def write(self, data: bytes) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            pass

    class Stdout:
        buffer = Closed()

        def flush(self) -> None:
            pass

        def fileno(self) -> int:
            return write_end

        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, "stdout", Stdout())
    try:
        with pytest.raises(OutputError) as info:
            _emit(complete_result, _Target(None, ".json"))
    finally:
        os.close(read_end)
        os.close(write_end)
    assert str(info.value) == (
        "cannot write <stdout>: the program reading the output stopped early"
    )
    assert _error_code(info.value) == EXIT_CANNOT_WRITE
