"""The command line: outputs and exit codes, good input and bad."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import buddymatch as bm
from buddymatch.cli import app
from buddymatch.io import read_policy, read_problem
from buddymatch.verify import verify

runner = CliRunner()


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    result = runner.invoke(app, ["example", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def _inputs(folder: Path) -> list[str]:
    return [
        str(folder / "trusts.csv"),
        "--relations",
        str(folder / "relations.csv"),
        "--policy",
        str(folder / "policy.toml"),
    ]


def test_example_writes_three_files(example: Path) -> None:
    assert sorted(p.name for p in example.iterdir()) == [
        "policy.toml",
        "relations.csv",
        "trusts.csv",
    ]


def test_example_refuses_to_overwrite(example: Path) -> None:
    result = runner.invoke(app, ["example", str(example)])
    assert result.exit_code == 2
    assert "--force" in result.output


def test_propose_prints_a_summary(example: Path) -> None:
    result = runner.invoke(
        app, ["propose", *_inputs(example), "--deterministic"]
    )
    assert result.exit_code in (0, 1), result.output
    assert "Proposed buddies" in result.output
    assert "status: optimal" in result.output


@pytest.mark.parametrize("suffix", [".csv", ".json", ".md"])
def test_propose_writes_each_format(
    example: Path, tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / f"out{suffix}"
    result = runner.invoke(
        app,
        ["propose", *_inputs(example), "--out", str(target), "--quiet"],
    )
    assert result.exit_code in (0, 1), result.output
    text = target.read_text(encoding="utf-8")
    problem = read_problem(
        example / "trusts.csv", relations=example / "relations.csv"
    )
    policy = read_policy(example / "policy.toml")
    if suffix == ".json":
        parsed = bm.Result.from_json(text)
        assert verify(problem, policy, parsed) == []
        assert result.exit_code == (1 if parsed.unmet else 0)
    elif suffix == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        assert list(rows[0]) == [
            "seeker",
            "seeker_name",
            "area",
            "tier",
            "buddy",
            "buddy_name",
            "travel_minutes",
            "culture_fit",
            "expertise",
            "workload",
            "score",
            "reason",
        ]
        # Every need shows up: as its assignments or as one unmet row.
        needs = {(n.seeker, n.area) for n in problem.needs}
        assert {(r["seeker"], r["area"]) for r in rows} == needs
        unmet = [r for r in rows if not r["buddy"]]
        assert len(rows) - len(unmet) > 0
        assert all(r["reason"] for r in rows)
        assert result.exit_code == (1 if unmet else 0)
    else:
        assert text.startswith("# Buddying proposal")
        assert "## Unmet needs" in text and "## Buddy utilisation" in text


def test_propose_refuses_to_overwrite_its_input(example: Path) -> None:
    trusts = example / "trusts.csv"
    before = trusts.read_bytes()
    result = runner.invoke(
        app, ["propose", *_inputs(example), "--out", str(trusts)]
    )
    assert result.exit_code == 2
    assert trusts.read_bytes() == before


def test_propose_bad_input_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "trusts.csv"
    bad.write_text(
        "id,name,kind,lat,lon,capacity,needs,expertise_finance\n"
        "A,Alpha,acute,95,-1.5,0,finance,1\n"
        "B,Beta,hospital,52,-1.5,2,,7\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["propose", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    for words in ("line 2", "lat", "line 3", "kind", "expertise_finance"):
        assert words in result.output


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["propose", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_unknown_output_format(example: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["propose", *_inputs(example), "--out", str(tmp_path / "x.xls")]
    )
    assert result.exit_code == 2


def test_validate_summarises(example: Path) -> None:
    result = runner.invoke(app, ["validate", *_inputs(example)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert "Needs by area" in result.output
    assert "expertise" in result.output


def test_infeasible_pin_exits_4(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        "id,name,kind,lat,lon,capacity,needs,expertise_finance\n"
        "S,Seeker,acute,52.0,-1.5,0,finance,1\n"
        "B,Buddy,acute,52.05,-1.5,3,,5\n",
        encoding="utf-8",
    )
    (tmp_path / "r.csv").write_text("a,b,kind\nS,B,pinned\n", "utf-8")
    result = runner.invoke(
        app,
        [
            "propose",
            str(tmp_path / "t.csv"),
            "--relations",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 4, result.output


def test_unmet_need_exits_1(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        "id,name,kind,lat,lon,capacity,needs,expertise_finance\n"
        "S,Seeker,acute,52.0,-1.5,0,finance,1\n"
        "B,Buddy,acute,52.05,-1.5,3,,5\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["propose", str(tmp_path / "t.csv")])
    assert result.exit_code == 1, result.output
    assert "too_close" in result.output


def test_json_result_is_self_contained(example: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    runner.invoke(
        app, ["propose", *_inputs(example), "--out", str(target), "-q"]
    )
    data = json.loads(target.read_text(encoding="utf-8"))
    named = {a["seeker"] for a in data["assignments"]} | {
        a["buddy"] for a in data["assignments"]
    }
    refs = {t["id"]: t for t in data["trusts"]}
    assert named <= set(refs)
    assert all({"name", "lat", "lon"} <= set(refs[t]) for t in named)


def test_travel_matrix_missing_pair_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(
        "id,name,kind,lat,lon,capacity,needs,expertise_finance\n"
        "S,Seeker,acute,52.0,-1.5,0,finance,1\n"
        "B,Buddy,acute,53.0,-1.5,3,,5\n"
        "C,Other,acute,51.0,-1.5,3,,5\n",
        encoding="utf-8",
    )
    matrix = tmp_path / "m.csv"
    matrix.write_text("origin,destination,minutes\nS,B,75\n", "utf-8")
    args = ["propose", str(tmp_path / "t.csv"), "--travel-matrix", str(matrix)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "m.csv" in result.output and "C" in result.output
    # With the fallback switched on, the straight line fills the gap.
    policy = tmp_path / "p.toml"
    policy.write_text("travel_fallback = true\n", encoding="utf-8")
    result = runner.invoke(app, [*args, "--policy", str(policy)])
    assert result.exit_code == 0, result.output


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "buddymatch", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "propose" in done.stdout and "explain" in done.stdout


def test_deterministic_outputs_are_byte_identical_across_processes(
    tmp_path: Path,
) -> None:
    """Two ``propose --deterministic`` processes write the same files."""
    import subprocess
    import sys

    from buddymatch.io import write_problem_csv
    from buddymatch.schema import parse_result
    from buddymatch.synth import preset

    files = write_problem_csv(preset("nhs"), tmp_path / "in")
    suffixes = (".json", ".csv", ".md")
    procs = []
    for run, suffix in itertools.product((1, 2), suffixes):
        command = [
            sys.executable,
            "-m",
            "buddymatch",
            "propose",
            str(files["trusts"]),
            "--deterministic",
            "--time-limit",
            "2",
            "--quiet",
            "--out",
            str(tmp_path / f"r{run}{suffix}"),
        ]
        if "relations" in files:
            command += ["--relations", str(files["relations"])]
        procs.append(
            subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        )
    for proc in procs:
        _, err = proc.communicate()
        assert proc.returncode in (0, 1), err
    for suffix in suffixes:
        first = (tmp_path / f"r1{suffix}").read_bytes()
        assert first == (tmp_path / f"r2{suffix}").read_bytes(), suffix
    text = (tmp_path / "r1.json").read_text(encoding="utf-8")
    result = parse_result(text)
    assert result.runtime is None  # the timing is left out of the file
    assert result.solver["deterministic"] is True
    assert result.solver["workers"] == 1 and result.solver["seed"] == 0
    assert result.solver["ortools"]
    assert bm.Result.from_json(text) == result


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"buddymatch {bm.__version__}"
