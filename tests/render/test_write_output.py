"""``write_output``: one table picks the format from the file's extension.

Each kind of object is written in each of its formats and compared with
what its renderer returns; an extension that names no format of the kind
is refused with the message the command line has always given, before
anything is written.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

import buddymatch as bm
from buddymatch.errors import InputError, MissingDependencyError
from buddymatch.explain import (
    explain_pair,
    explain_result,
    render_explanations_html,
    render_explanations_markdown,
    render_pair_html,
    render_pair_markdown,
)
from buddymatch.explanation import PairExplanation, ResultExplanation
from buddymatch.io import write_pairings_csv
from buddymatch.mapping import render_html, render_svg
from buddymatch.render import (
    MAP_FORMATS,
    Map,
    OutputKind,
    output_format,
    write_map,
    write_output,
)
from buddymatch.terms import Terms, render_terms_markdown, terms_for
from conftest import make_trust, solve_verified

HOSTILE = "<b>Evil</b> | *x* & 'q'"


@pytest.fixture(scope="module")
def problem() -> bm.Problem:
    seeker = make_trust("S", 52.0, -1.5, expertise={"finance": 1})
    return bm.Problem(
        trusts=(
            seeker.model_copy(update={"name": HOSTILE}),
            make_trust("B", 52.6, -1.5, capacity=3, expertise={"finance": 5}),
            make_trust("C", 52.9, -1.2, capacity=3, expertise={"finance": 4}),
        ),
        needs=(bm.Need(seeker="S", area="finance"),),
    )


@pytest.fixture(scope="module")
def result(problem: bm.Problem) -> bm.Result:
    return solve_verified(problem, bm.Policy(), deterministic=True)


@pytest.fixture(scope="module")
def explanation(problem: bm.Problem, result: bm.Result) -> ResultExplanation:
    return explain_result(problem, bm.Policy(), result, relax=False)


@pytest.fixture(scope="module")
def pair(problem: bm.Problem, result: bm.Result) -> PairExplanation:
    other = "C" if result.assignments[0].buddy == "B" else "B"
    return explain_pair(
        problem, bm.Policy(), result, "S", "finance", other, time_limit=2.0
    )


@pytest.fixture(scope="module")
def terms(result: bm.Result) -> Terms:
    return terms_for(result, result.partnerships[0], start=dt.date(2026, 4, 1))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# One test per kind of object: every extension, the bytes of its renderer
# ---------------------------------------------------------------------------


def test_a_result_as_csv_json_and_markdown(
    result: bm.Result, tmp_path: Path
) -> None:
    write_pairings_csv(result, tmp_path / "direct.csv")
    assert write_output(result, tmp_path / "r.csv") == tmp_path / "r.csv"
    assert (tmp_path / "r.csv").read_bytes() == (
        tmp_path / "direct.csv"
    ).read_bytes()
    write_output(result, tmp_path / "r.json")
    assert _text(tmp_path / "r.json") == result.to_json() + "\n"
    # Any case of the extension; options reach the renderer.
    write_output(result, tmp_path / "r.MD", title="Spring round")
    assert _text(tmp_path / "r.MD") == bm.render_markdown(
        result, "Spring round"
    )


def test_a_map_as_svg_html_and_htm(result: bm.Result, tmp_path: Path) -> None:
    write_output(Map(result), tmp_path / "m.svg", width=600)
    assert _text(tmp_path / "m.svg") == render_svg(result, width=600)
    for name in ("m.html", "m.htm"):
        write_output(Map(result), tmp_path / name, title="T")
        assert _text(tmp_path / name) == render_html(result, title="T")
    # write_map is the same table.
    write_map(result, tmp_path / "w.svg", width=600)
    assert _text(tmp_path / "w.svg") == _text(tmp_path / "m.svg")
    assert MAP_FORMATS == (".svg", ".html", ".png")


def test_a_map_as_png_without_resvg_names_the_file(
    result: bm.Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "resvg_py", None)  # import fails
    with pytest.raises(MissingDependencyError) as caught:
        write_output(Map(result), tmp_path / "m.png")
    assert str(tmp_path / "m.png") in str(caught.value)
    assert caught.value.package == "resvg-py"
    assert not list(tmp_path.iterdir())


def test_a_result_explanation_as_markdown_html_and_json(
    explanation: ResultExplanation, tmp_path: Path
) -> None:
    write_output(explanation, tmp_path / "e.md")
    assert _text(tmp_path / "e.md") == render_explanations_markdown(
        explanation
    )
    write_output(explanation, tmp_path / "e.html", title="Why")
    assert _text(tmp_path / "e.html") == render_explanations_html(
        explanation, "Why"
    )
    write_output(explanation, tmp_path / "e.json")
    assert _text(tmp_path / "e.json") == explanation.to_json() + "\n"


def test_a_pair_explanation_as_markdown_html_and_json(
    pair: PairExplanation, tmp_path: Path
) -> None:
    names = {"S": HOSTILE}
    # The same options for every format: JSON has no use for names.
    for suffix in (".md", ".html", ".json"):
        write_output(pair, tmp_path / f"p{suffix}", names=names)
    assert _text(tmp_path / "p.md") == render_pair_markdown(pair, names)
    assert _text(tmp_path / "p.html") == render_pair_html(pair, names)
    assert _text(tmp_path / "p.json") == pair.to_json() + "\n"


def test_terms_as_markdown_and_json(terms: Terms, tmp_path: Path) -> None:
    write_output(terms, tmp_path / "t.md")
    assert _text(tmp_path / "t.md") == render_terms_markdown(terms)
    write_output(terms, tmp_path / "t.json")
    assert _text(tmp_path / "t.json") == terms.to_json() + "\n"


# ---------------------------------------------------------------------------
# Unknown extensions: the command line's messages, nothing written
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "message", "fix"),
    [
        (
            "result",
            "r.txt",
            "unknown output format '.txt'",
            "name the output file .csv, .json or .md",
        ),
        (
            "result",
            "r",
            "unknown output format '(none)'",
            "name the output file .csv, .json or .md",
        ),
        (
            "map",
            "m.pdf",
            "unknown map format '.pdf'",
            "name the output file .svg, .html or .png",
        ),
        (
            "map",
            "m.svg.txt",
            "unknown map format '.txt'",
            "name the output file .svg, .html or .png",
        ),
        (
            "explanation",
            "e.htm",
            "unknown output format '.htm'",
            "name the explanation file .md, .html or .json",
        ),
        (
            "pair explanation",
            "p.csv",
            "unknown output format '.csv'",
            "name the explanation file .md, .html or .json",
        ),
        (
            "terms",
            "t.html",
            "unknown output format '.html'",
            "name the terms file .md or .json",
        ),
    ],
)
def test_an_unknown_extension_is_refused_with_the_formats_there_are(
    tmp_path: Path, kind: OutputKind, name: str, message: str, fix: str
) -> None:
    with pytest.raises(InputError) as caught:
        output_format(tmp_path / name, kind)
    (problem,) = caught.value.problems
    assert (problem.file, problem.message, problem.fix) == (
        str(tmp_path / name),
        message,
        fix,
    )


def test_write_output_refuses_before_writing(
    result: bm.Result,
    explanation: ResultExplanation,
    terms: Terms,
    tmp_path: Path,
) -> None:
    for obj, name in [
        (result, "r.svg"),  # a map's extension, not a result's
        (Map(result), "m.csv"),
        (explanation, "e.csv"),
        (terms, "t.csv"),
    ]:
        with pytest.raises(InputError, match="unknown"):
            write_output(obj, tmp_path / name)
    assert not list(tmp_path.iterdir())


def test_the_extension_is_read_in_any_case(tmp_path: Path) -> None:
    assert output_format(tmp_path / "A.CSV", "result") == ".csv"
    assert output_format(tmp_path / "m.HTM", "map") == ".html"


def test_other_objects_and_options_are_type_errors(
    result: bm.Result, tmp_path: Path
) -> None:
    with pytest.raises(TypeError, match="cannot write a dict"):
        write_output({"a": 1}, tmp_path / "x.json")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="no option 'width'"):
        write_output(result, tmp_path / "r.md", width=3)
    with pytest.raises(TypeError, match="no option 'names'"):
        write_output(Map(result), tmp_path / "m.svg", names={})
    assert not list(tmp_path.iterdir())
