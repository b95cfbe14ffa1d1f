"""The `buddymatch explain` command: outputs, pair mode and exit codes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import buddymatch as bm
from buddymatch.cli import app
from conftest import make_trust

runner = CliRunner()
#: `explain` about the buddy NEAR (the rest of the pair follows).
PAIR = ["explain", "--buddy", "NEAR"]

BASE_LAT, BASE_LON = 52.0, -1.5
#: Minutes of travel per degree of latitude under the default policy.
MIN_PER_DEG = 6371.0088 * math.pi / 180 * 1.3


def north(tid: str, minutes: float, **kw: object) -> bm.Trust:
    """A trust *minutes* of straight-line travel north of the base."""
    lat = BASE_LAT + minutes / MIN_PER_DEG
    return make_trust(tid, lat, BASE_LON, **kw)  # type: ignore[arg-type]


def write(folder: Path, problem: bm.Problem) -> list[str]:
    files = bm.write_problem_csv(problem, folder)
    args = [str(files["trusts"])]
    if "relations" in files:
        args += ["--relations", str(files["relations"])]
    return args


def base_problem(*relations: bm.Relation) -> bm.Problem:
    return bm.Problem(
        trusts=(
            north("S", 0),
            # Off the line of the buddies: on it, S-NEAR with S2-FAR and
            # S-FAR with S2-NEAR travel exactly as far (a tie any optimal
            # solver may break either way).
            make_trust(
                "S2",
                BASE_LAT + 1 / MIN_PER_DEG,
                BASE_LON + 5 / (MIN_PER_DEG * math.cos(math.radians(52))),
            ),
            north("NEAR", 60, capacity=1, expertise={"finance": 5}),
            north("FAR", 100, capacity=5, expertise={"finance": 4}),
            north("CLOSE", 19, capacity=5, expertise={"finance": 4}),
            north("AWAY", 170, capacity=5, expertise={"governance": 4}),
        ),
        needs=(
            bm.Need(seeker="S", area="finance", priority=3),
            bm.Need(seeker="S2", area="finance"),
            bm.Need(seeker="S", area="governance"),
        ),
        relations=relations,
    )


@pytest.fixture
def inputs(tmp_path: Path) -> list[str]:
    return write(tmp_path / "in", base_problem())


def test_explain_writes_markdown_with_a_section_per_partnership(
    inputs: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "why.md"
    result = runner.invoke(app, ["explain", *inputs, "--out", str(out)])
    # S's governance need is unmet (AWAY is too far): exit 1.
    assert result.exit_code == 1, result.output
    text = out.read_text()
    assert "## Partnerships" in text
    assert "### S NHS Trust (S) with buddy NEAR NHS Trust (NEAR)" in text
    assert "### S2 NHS Trust (S2) with buddy FAR NHS Trust (FAR)" in text
    assert "## Unmet needs" in text
    assert "max\\_travel\\_minutes 150 → 170 covers it (with AWAY)" in text


def test_explain_writes_json_for_services(
    inputs: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "why.json"
    result = runner.invoke(app, ["explain", *inputs, "--out", str(out)])
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text())
    assert data["status"] == "optimal"
    assert {(a["seeker"], a["buddy"]) for a in data["assignments"]} == {
        ("S", "NEAR"),
        ("S2", "FAR"),
    }
    (unmet,) = data["unmet"]
    assert unmet["bottleneck"] == "travel"
    assert unmet["relaxations"][0]["parameter"] == "max_travel_minutes"


def test_explain_writes_html(inputs: list[str], tmp_path: Path) -> None:
    out = tmp_path / "why.html"
    result = runner.invoke(
        app, ["explain", *inputs, "--no-relax", "--out", str(out)]
    )
    assert result.exit_code == 1, result.output
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<table>" in page
    assert "covers it" not in page


def test_explain_all_prints_the_full_report(inputs: list[str]) -> None:
    # Changed in issue 19: the full report takes --all (the default is the
    # summary).
    result = runner.invoke(app, ["explain", *inputs, "--top", "1", "--all"])
    assert result.exit_code == 1, result.output
    assert "Why these buddies" in result.output
    assert "Partnerships" in result.output


def test_explain_prints_a_summary_by_default(inputs: list[str]) -> None:
    result = runner.invoke(app, ["explain", *inputs])
    assert result.exit_code == 1, result.output
    assert "The proposal in brief" in result.stdout
    assert "Why these buddies" not in result.stdout
    # Without a RESULT.json the proposal is re-solved, and it says so.
    assert "no RESULT.json given" in result.stderr


def test_explain_one_excluded_pair(inputs: list[str], tmp_path: Path) -> None:
    out = tmp_path / "pair.json"
    result = runner.invoke(
        app,
        [
            "explain",
            *inputs,
            "--seeker",
            "S",
            "--area",
            "finance",
            "--buddy",
            "CLOSE",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text())
    assert data["status"] == "excluded"
    assert data["rule"] == "too_close"
    assert "neighbour threshold 30 min" in data["words"]


def test_explain_one_allowed_pair_prints_what_moves(
    inputs: list[str],
) -> None:
    result = runner.invoke(
        app,
        [*PAIR, *inputs, "--seeker", "S2", "--area", "finance"],
    )
    assert result.exit_code == 1, result.output
    assert "What would move" in result.output
    assert "NEAR" in result.output


@pytest.mark.parametrize(
    "given",
    # Changed in issue 19: --seeker S --area A alone now asks about the
    # need (as --need S/A), so only a half need is refused.
    [["--seeker", "S"], ["--area", "finance", "--buddy", "NEAR"]],
)
def test_pair_options_come_together(
    inputs: list[str], given: list[str]
) -> None:
    result = runner.invoke(app, ["explain", *inputs, *given])
    assert result.exit_code == 2
    assert "--buddy" in result.output


def test_an_unknown_need_is_an_input_error(inputs: list[str]) -> None:
    result = runner.invoke(
        app,
        [*PAIR, *inputs, "--seeker", "S", "--area", "maternity"],
    )
    assert result.exit_code == 2
    assert "has no 'maternity' need" in result.output


def test_an_unknown_output_format_is_refused(
    inputs: list[str], tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["explain", *inputs, "--out", str(tmp_path / "why.csv")]
    )
    assert result.exit_code == 2
    assert ".md, .html or .json" in result.output


def test_infeasible_pins_exit_4_and_name_the_conflict(tmp_path: Path) -> None:
    problem = base_problem(
        bm.Relation(a="S", b="NEAR", kind="pinned", area="finance"),
        bm.Relation(a="S2", b="NEAR", kind="pinned", area="finance"),
    )
    out = tmp_path / "why.json"
    result = runner.invoke(
        app,
        ["explain", *write(tmp_path / "in", problem), "--out", str(out)],
    )
    assert result.exit_code == 4, result.output
    data = json.loads(out.read_text())
    words = sorted(m["words"] for m in data["infeasibility"]["members"])
    assert words == [
        "NEAR's capacity of 1 unit",
        "pin S with buddy NEAR in finance",
        "pin S2 with buddy NEAR in finance",
    ]
