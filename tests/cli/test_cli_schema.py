"""``buddymatch schema``: the JSON Schemas on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from buddymatch.cli import EXIT_INPUT, EXIT_OK, app
from buddymatch.schema import SCHEMA_KINDS, json_schema

runner = CliRunner()


@pytest.mark.parametrize("kind", SCHEMA_KINDS)
def test_schema_prints_the_json_schema(kind: str) -> None:
    outcome = runner.invoke(app, ["schema", kind])
    assert outcome.exit_code == EXIT_OK, outcome.output
    assert json.loads(outcome.stdout) == json_schema(kind)  # type: ignore[arg-type]


def test_schema_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "problem.schema.json"
    outcome = runner.invoke(app, ["schema", "problem", "--out", str(target)])
    assert outcome.exit_code == EXIT_OK, outcome.output
    assert json.loads(target.read_text(encoding="utf-8")) == json_schema(
        "problem"
    )
    assert "written:" in outcome.stdout


def test_unknown_schema_is_an_input_error() -> None:
    outcome = runner.invoke(app, ["schema", "proposal"])
    assert outcome.exit_code == EXIT_INPUT
    assert "unknown schema 'proposal'" in outcome.stderr
    assert "problem, policy, result" in outcome.stderr
