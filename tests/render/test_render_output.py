"""render_output and named_format: the formats of write_output, without a
file (for standard output)."""

from __future__ import annotations

from pathlib import Path

import pytest

import buddymatch as bm
from buddymatch.errors import InputError
from buddymatch.explain import explain_buddy
from buddymatch.render import named_format, render_output, write_output


@pytest.mark.parametrize("suffix", [".json", ".csv", ".md"])
def test_render_output_is_what_write_output_writes(
    complete_result: bm.Result, tmp_path: Path, suffix: str
) -> None:
    path = write_output(complete_result, tmp_path / f"r{suffix}")
    text = render_output(complete_result, suffix)
    assert isinstance(text, str)
    assert text.encode() == path.read_bytes()


def test_a_buddy_explanation_is_an_output_kind(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
    tmp_path: Path,
) -> None:
    b = explain_buddy(complete_problem, complete_policy, complete_result, "B2")
    path = write_output(b, tmp_path / "b.json")
    assert render_output(b, "json") == path.read_text()
    assert str(render_output(b, "md")).startswith("# ")


@pytest.mark.parametrize(
    ("name", "kind", "suffix"),
    [
        ("json", "result", ".json"),
        (".MD", "explanation", ".md"),
        ("htm", "map", ".html"),
        ("png", "map", ".png"),
    ],
)
def test_named_format(name: str, kind: str, suffix: str) -> None:
    assert named_format(name, kind) == suffix  # type: ignore[arg-type]


def test_an_unknown_named_format_lists_the_formats() -> None:
    with pytest.raises(InputError) as info:
        named_format("xml", "explanation")
    (problem,) = info.value.problems
    assert problem.column == "--format"
    assert problem.message == "unknown output format 'xml'"
    assert problem.fix == "choose md, html or json"
