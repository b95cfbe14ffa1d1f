"""``buddymatch rematch``: the diff, its files and its exit codes."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

import buddymatch as bm
from buddymatch.cli import app
from buddymatch.io import read_arrangements
from buddymatch.rematch import CHANGE_COLUMNS
from conftest import solve_verified

runner = CliRunner()


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example, and arrangements.csv from a proposal, one pair ended."""
    folder = tmp_path_factory.mktemp("example")
    bm.write_example(folder)
    policy = bm.read_policy(folder / "policy.toml")
    problem = bm.read_problem(
        folder / "trusts.csv",
        relations=folder / "relations.csv",
        policy=policy,
    )
    result = solve_verified(
        problem, policy, time_limit=0.5, workers=2, deterministic=True
    )
    pairs = Counter((a.seeker, a.buddy) for a in result.assignments)
    gone = next(
        a for a in result.assignments if pairs[(a.seeker, a.buddy)] == 1
    )
    lines = ["seeker,area,buddy,status,start"]
    for a in result.assignments:
        status = "ended" if a is gone else "ongoing"
        lines.append(f"{a.seeker},{a.area},{a.buddy},{status},2025-10-01")
    (folder / "arrangements.csv").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )
    (folder / "ended.txt").write_text(
        f"{gone.seeker},{gone.area},{gone.buddy}", encoding="utf-8"
    )
    return folder


def _args(folder: Path, *more: str) -> list[str]:
    return [
        "rematch",
        str(folder / "trusts.csv"),
        "--arrangements",
        str(folder / "arrangements.csv"),
        "--relations",
        str(folder / "relations.csv"),
        "--policy",
        str(folder / "policy.toml"),
        "--workers",
        "2",
        *more,
    ]


def _ended(folder: Path) -> tuple[str, str, str]:
    seeker, area, buddy = (
        (folder / "ended.txt").read_text(encoding="utf-8").split(",")
    )
    return seeker, area, buddy


def test_rematch_prints_the_diff_and_exits_1_for_unmet(
    example: Path,
) -> None:
    result = runner.invoke(app, _args(example), env={"COLUMNS": "200"})
    # The example's Truro maternity need stays unmet: exit code 1.
    assert result.exit_code == 1, result.output
    out = result.output
    assert "Re-matching" in out
    assert "kept (pinned)" in out
    seeker, _, buddy = _ended(example)
    ended_rows = [line for line in out.splitlines() if "│ ended" in line]
    assert len(ended_rows) == 1
    assert seeker in ended_rows[0] and buddy in ended_rows[0]
    assert "Unmet needs" in out
    assert "arrangements: " in out and "1 ended" in out


def test_rematch_writes_the_diff_terms_and_next_arrangements(
    example: Path, tmp_path: Path
) -> None:
    diff = tmp_path / "diff.csv"
    saved = tmp_path / "next.csv"
    terms = tmp_path / "terms"
    result = runner.invoke(
        app,
        _args(
            example,
            "--out",
            str(diff),
            "--save-arrangements",
            str(saved),
            "--terms",
            str(terms),
            "--quiet",
        ),
    )
    assert result.exit_code == 1, result.output
    assert result.output == ""
    with diff.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(CHANGE_COLUMNS)
    changes = Counter(row["change"] for row in rows)
    assert changes["ended"] == 1 and changes["unmet"] == 1
    assert changes["kept"] == sum(
        1
        for line in (example / "arrangements.csv").read_text().splitlines()
        if line.endswith("ongoing,2025-10-01")
    )
    seeker, area, buddy = _ended(example)
    problem = bm.read_problem(example / "trusts.csv")
    after = read_arrangements(saved, problem=problem)
    assert [
        (a.seeker, a.area, a.buddy) for a in after if a.status == "ended"
    ] == [(seeker, area, buddy)]
    new = {
        (r["seeker"], r["area"], r["buddy"])
        for r in rows
        if r["change"] == "new"
    }
    assert new <= {(a.seeker, a.area, a.buddy) for a in after}
    files = sorted(p.name for p in terms.iterdir())
    assert files and all(p.endswith(".md") for p in files)
    assert f"{seeker}--{buddy}.md" not in files
    # A kept area keeps its own start in its terms of reference.
    some = (terms / files[0]).read_text(encoding="utf-8")
    assert "1 October 2025" in some


@pytest.mark.parametrize("suffix", [".json", ".md"])
def test_rematch_out_formats(
    example: Path, tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / f"diff{suffix}"
    result = runner.invoke(
        app, _args(example, "--out", str(target), "--quiet")
    )
    assert result.exit_code == 1, result.output
    text = target.read_text(encoding="utf-8")
    if suffix == ".json":
        data = json.loads(text)
        assert data["status"] in ("optimal", "feasible")
        assert len(data["ended"]) == 1
    else:
        assert text.startswith("# Re-matching")
        assert "## Kept" in text


def test_bad_arrangements_exit_2_with_line_and_column(
    example: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "seeker,area,buddy,status\n"
        "RFL8,quality_safety,RAC0,ongoing\n"
        "NOPE,finance,RAC0,ongoing\n"
        "RFL8,finance,RAC0,finished\n",
        encoding="utf-8",
    )
    args = _args(example)
    args[args.index("--arrangements") + 1] = str(bad)
    result = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "line 3, column seeker" in result.output
    assert "not a trust" in result.output
    assert "line 4, column status" in result.output


def test_problems_of_every_file_are_reported_together(
    example: Path, tmp_path: Path
) -> None:
    trusts = tmp_path / "trusts.csv"
    trusts.write_text("id,kind,lat,lon\nX,acute,95,0\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("seeker,area,buddy\nX,finance,Y\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["rematch", str(trusts), "--arrangements", str(bad)],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 2
    assert "column lat" in result.output
    assert "no 'status' column" in result.output


def test_missing_arrangements_option_is_a_usage_error(
    example: Path,
) -> None:
    result = runner.invoke(app, ["rematch", str(example / "trusts.csv")])
    assert result.exit_code == 2
    assert "--arrangements" in result.output


def test_rematch_never_writes_over_its_input(example: Path) -> None:
    result = runner.invoke(
        app,
        _args(
            example,
            "--save-arrangements",
            str(example / "arrangements.csv"),
        ),
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 2
    assert "one of the input files" in result.output


def test_all_met_exits_0(tmp_path: Path) -> None:
    trusts = tmp_path / "trusts.csv"
    trusts.write_text(
        "id,name,kind,lat,lon,capacity,needs,expertise_finance\n"
        "S,Seeker,acute,52.0,-1.5,0,finance,1\n"
        "B,Buddy,acute,52.6,-1.5,3,,5\n"
        "C,Other [bold]x[/bold],acute,52.8,-1.5,3,,5\n",
        encoding="utf-8",
    )
    arrangements = tmp_path / "arrangements.csv"
    arrangements.write_text(
        "seeker,area,buddy,status\nS,finance,B,ended\n", encoding="utf-8"
    )
    result = runner.invoke(
        app,
        ["rematch", str(trusts), "--arrangements", str(arrangements)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "│ new" in result.output
    # Names are shown as written, never read as markup.
    assert "C Other [bold]x[/bold]" in result.output
