"""``buddymatch map``: pictures of a proposal, exit codes and messages."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from buddymatch.cli import app
from buddymatch.result import Assignment, Result, TrustRef

runner = CliRunner()


def _result() -> Result:
    trusts = (
        TrustRef(
            id="S1",
            name="Seeker NHS Trust",
            kind="acute",
            lat=52.41,
            lon=-1.51,
        ),
        TrustRef(
            id="B1", name="Buddy NHS Trust", kind="acute", lat=51.75, lon=-1.26
        ),
    )
    assignment = Assignment(
        seeker="S1",
        area="finance",
        tier="light",
        buddy="B1",
        travel_minutes=80.0,
        culture_fit=0.95,
        expertise=5,
        workload=1,
        fee=0.0,
        score=20.0,
        terms={"expertise": 20.0},
    )
    return Result(status="optimal", assignments=(assignment,), trusts=trusts)


@pytest.fixture
def result_json(tmp_path: Path) -> Path:
    path = tmp_path / "result.json"
    path.write_text(_result().to_json(), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["map.svg", "map.html"])
def test_map_writes_the_picture(
    result_json: Path, tmp_path: Path, name: str
) -> None:
    out = tmp_path / name
    run = runner.invoke(app, ["map", str(result_json), "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert f"written: {out}" in run.output.replace("\n", "")
    text = out.read_text(encoding="utf-8")
    if name.endswith(".svg"):
        root = ET.fromstring(text)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    else:
        assert text.startswith("<!DOCTYPE html>")
    assert "Seeker NHS Trust" in text


def test_map_width_and_title(result_json: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.svg"
    run = runner.invoke(
        app,
        [
            "map",
            str(result_json),
            "--out",
            str(out),
            "--width",
            "640",
            "--title",
            "Midlands <draft>",
            "--quiet",
        ],
    )
    assert run.exit_code == 0, run.output
    assert run.output == ""
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    assert root.get("width") == "640"
    assert "Midlands <draft>" in "".join(root.itertext())


def test_map_png(result_json: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.png"
    run = runner.invoke(app, ["map", str(result_json), "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert out.read_bytes().startswith(b"\x89PNG")


def test_map_png_without_resvg_is_exit_69(
    result_json: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "resvg_py", None)
    out = tmp_path / "map.png"
    run = runner.invoke(app, ["map", str(result_json), "--out", str(out)])
    # sysexits' EX_UNAVAILABLE: an install is the fix, not the input.
    assert run.exit_code == 69
    assert "resvg-py" in run.output
    assert "pip install 'buddymatch[map]'" in run.output
    assert "in the input" not in run.output
    assert "internal" not in run.output
    assert not out.exists()


def test_map_unknown_extension_is_exit_2(
    result_json: Path, tmp_path: Path
) -> None:
    out = tmp_path / "map.pdf"
    run = runner.invoke(app, ["map", str(result_json), "--out", str(out)])
    assert run.exit_code == 2
    assert ".svg, .html or .png" in run.output
    assert not out.exists()


def test_map_missing_file_is_exit_2(tmp_path: Path) -> None:
    run = runner.invoke(
        app,
        [
            "map",
            str(tmp_path / "absent.json"),
            "--out",
            str(tmp_path / "m.svg"),
        ],
    )
    assert run.exit_code == 2
    assert "file not found" in run.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("id,name\nA,B\n", "not valid JSON"),
        ('{"status": "optimal", "trusts": [{"id": "A"}]}', "trusts.0.lat"),
        ('{"status": "optimal", "assignments": []', "line 1"),
    ],
)
def test_map_invalid_json_is_exit_2(
    tmp_path: Path, content: str, expected: str
) -> None:
    source = tmp_path / "result.json"
    source.write_text(content, encoding="utf-8")
    out = tmp_path / "m.svg"
    run = runner.invoke(app, ["map", str(source), "--out", str(out)])
    assert run.exit_code == 2
    assert expected in run.output
    assert "Traceback" not in run.output
    assert not out.exists()


def test_map_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    source = tmp_path / "result.html"  # JSON, oddly named
    original = _result().to_json()
    source.write_text(original, encoding="utf-8")
    run = runner.invoke(app, ["map", str(source), "--out", str(source)])
    assert run.exit_code == 2
    assert "never writes over its own input" in run.output
    assert source.read_text(encoding="utf-8") == original


def test_map_width_out_of_range_is_exit_2(
    result_json: Path, tmp_path: Path
) -> None:
    run = runner.invoke(
        app,
        [
            "map",
            str(result_json),
            "--out",
            str(tmp_path / "m.svg"),
            "--width",
            "50",
        ],
    )
    assert run.exit_code == 2


def test_map_of_a_real_proposal(tmp_path: Path) -> None:
    """The example end to end: propose to JSON, then map it."""
    folder = tmp_path / "example"
    assert runner.invoke(app, ["example", str(folder)]).exit_code == 0
    result_path = tmp_path / "result.json"
    run = runner.invoke(
        app,
        [
            "propose",
            str(folder / "trusts.csv"),
            "--relations",
            str(folder / "relations.csv"),
            "--policy",
            str(folder / "policy.toml"),
            "--time-limit",
            "10",
            "--out",
            str(result_path),
            "--quiet",
        ],
    )
    assert run.exit_code in (0, 1), run.output
    out = tmp_path / "map.svg"
    run = runner.invoke(app, ["map", str(result_path), "--out", str(out)])
    assert run.exit_code == 0, run.output
    result = Result.from_json(result_path.read_text(encoding="utf-8"))
    svg = out.read_text(encoding="utf-8")
    assert svg.count('<line class="assignment"') == len(result.assignments)
    assert svg.count('<g class="trust ') == len(result.trusts)
