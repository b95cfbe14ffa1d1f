"""Results as DataFrames, and the HTML summaries notebooks show."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

import buddymatch as bm
from buddymatch.frames import (
    ASSIGNMENT_COLUMNS,
    FRAME_KINDS,
    PARTNERSHIP_COLUMNS,
    UNMET_COLUMNS,
    UTILISATION_COLUMNS,
    ResultFrames,
    assignments_frame,
    partnerships_frame,
    problem_html,
    result_frames,
    result_html,
    unmet_frame,
    utilisation_frame,
)
from buddymatch.result import BuddyUse, TrustRef
from buddymatch.scoring import TERMS
from conftest import make_trust, solve_verified

pd = pytest.importorskip("pandas")

TERM_COLUMNS = [f"term_{t}" for t in (*TERMS, "override")]


@pytest.fixture
def solved(small_problem: bm.Problem) -> bm.Result:
    return solve_verified(small_problem, deterministic=True, workers=1)


def test_to_pandas_gives_the_assignments_frame(solved: bm.Result) -> None:
    frame = solved.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert frame.equals(assignments_frame(solved))
    assert len(frame) == len(solved.assignments)
    builders = (
        assignments_frame,
        partnerships_frame,
        unmet_frame,
        utilisation_frame,
    )
    for kind, build in zip(FRAME_KINDS, builders, strict=True):
        part = solved.to_pandas(kind)  # type: ignore[arg-type]
        assert part.equals(build(solved))
    with pytest.raises(ValueError, match="the kinds are assignments, "):
        solved.to_pandas("pairings")  # type: ignore[arg-type]


def test_to_frames_gives_four_frames(solved: bm.Result) -> None:
    frames = solved.to_frames()
    assert isinstance(frames, ResultFrames)
    assert frames._fields == FRAME_KINDS
    assert all(
        a.equals(b) for a, b in zip(frames, result_frames(solved), strict=True)
    )
    assert list(frames.assignments.columns) == [
        *ASSIGNMENT_COLUMNS,
        *TERM_COLUMNS,
    ]
    assert list(frames.partnerships.columns) == list(PARTNERSHIP_COLUMNS)
    assert list(frames.unmet.columns) == list(UNMET_COLUMNS)
    assert list(frames.utilisation.columns) == list(UTILISATION_COLUMNS)
    assert len(frames.assignments) == len(solved.assignments)
    assert len(frames.partnerships) == len(solved.partnerships)
    assert len(frames.unmet) == len(solved.unmet)
    assert len(frames.utilisation) == len(solved.utilisation)


def test_assignment_rows_carry_the_result(solved: bm.Result) -> None:
    frame = solved.to_pandas()
    assert solved.assignments, "the fixture should assign buddies"
    for row, a in zip(
        frame.itertuples(index=False), solved.assignments, strict=True
    ):
        assert (row.seeker, row.area, row.tier, row.buddy) == (
            a.seeker,
            a.area,
            a.tier,
            a.buddy,
        )
        assert row.seeker_name == f"{a.seeker} NHS Trust"
        assert row.buddy_name == f"{a.buddy} NHS Trust"
        assert row.travel_minutes == a.travel_minutes
        assert row.score == a.score
        assert row.workload == a.workload
        # The computed terms sum to the score; the override is N/A.
        terms = [getattr(row, c) for c in TERM_COLUMNS]
        assert math.isnan(terms[-1])
        assert sum(t for t in terms if not math.isnan(t)) == pytest.approx(
            a.score, abs=1e-9
        )
    assert frame["score"].sum() == pytest.approx(
        sum(a.score for a in solved.assignments)
    )
    assert str(frame["expertise"].dtype) == "int64"
    assert str(frame["pinned"].dtype) == "bool"


def test_overridden_pairs_show_only_the_override(
    small_problem: bm.Problem,
) -> None:
    problem = small_problem.replace(
        overrides=(
            bm.PairOverride(
                seeker="S1", area="governance", buddy="B2", score=500.0
            ),
        )
    )
    result = solve_verified(problem, deterministic=True, workers=1)
    frame = result.to_pandas()
    row = frame[(frame.seeker == "S1") & (frame.area == "governance")].iloc[0]
    assert row.buddy == "B2"
    assert row.term_override == 500.0
    assert all(math.isnan(row[f"term_{t}"]) for t in TERMS)
    assert row[TERM_COLUMNS].sum() == pytest.approx(row.score)


def test_partnerships_unmet_and_utilisation(solved: bm.Result) -> None:
    frames = solved.to_frames()
    for row, p in zip(
        frames.partnerships.itertuples(index=False),
        solved.partnerships,
        strict=True,
    ):
        assert row.areas.split(";") == list(p.areas)
        assert row.tiers.split(";") == [f"{a}:{p.tiers[a]}" for a in p.areas]
        assert (row.workload, row.fee, row.months) == (
            p.workload,
            p.fee,
            p.months,
        )
    for row, u in zip(
        frames.unmet.itertuples(index=False), solved.unmet, strict=True
    ):
        assert (row.seeker, row.area, row.reason, row.detail) == (
            u.seeker,
            u.area,
            u.reason,
            u.detail,
        )
    for row, b in zip(
        frames.utilisation.itertuples(index=False),
        solved.utilisation,
        strict=True,
    ):
        assert row.share == pytest.approx(b.workload / b.capacity)
        assert row.max_partners == b.max_partners


def test_utilisation_without_capacity_or_partner_limit() -> None:
    result = bm.Result(
        status="optimal",
        utilisation=(
            BuddyUse(
                buddy="B",
                capacity=0,
                workload=0,
                partners=0,
                max_partners=None,
            ),
        ),
        trusts=(TrustRef(id="B", name="Buddy", kind="acute", lat=52, lon=-1),),
    )
    row = result.to_pandas("utilisation").iloc[0]
    assert row.buddy_name == "Buddy"
    assert math.isnan(row.share)
    assert row.max_partners is pd.NA


def test_an_empty_result_gives_typed_empty_frames() -> None:
    frames = bm.Result(status="no_solution").to_frames()
    assert all(len(frame) == 0 for frame in frames)
    assert list(frames.assignments.columns) == [
        *ASSIGNMENT_COLUMNS,
        *TERM_COLUMNS,
    ]
    dtypes = frames.unmet.dtypes
    assert str(dtypes["priority"]) == "int64"
    assert str(frames.utilisation.dtypes["max_partners"]) == "Int64"


# -- HTML summaries ---------------------------------------------------------


def test_result_html_summarises_and_escapes(small_problem: bm.Problem) -> None:
    # A trust name that is markup must show as text, never run.
    trusts = list(small_problem.trusts)
    trusts[2] = trusts[2].model_copy(
        update={"name": "<script>alert('B1')</script> & Co"}
    )
    problem = small_problem.replace(trusts=tuple(trusts))
    result = solve_verified(problem, deterministic=True, workers=1)
    assert any(a.buddy == "B1" for a in result.assignments)
    text = result._repr_html_()
    assert text == result_html(result)
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&#x27;B1&#x27;)&lt;/script&gt; &amp; Co" in (
        text
    )
    assert f'status</th><td style="text-align:left">{result.status}' in (text)
    for c in result.coverage:
        assert f"priority {c.priority}: {c.covered}/{c.total}" in text
    assert "Assignments" in text


def test_result_html_shows_a_few_rows_then_a_count(
    solved: bm.Result,
) -> None:
    n = len(solved.assignments)
    assert n > 2
    text = result_html(solved, max_rows=2)
    assert text.count("<tr><td>") == 2 + min(len(solved.unmet), 2)
    assert f"... and {n - 2} more assignments" in text
    assert "... and" not in result_html(solved, max_rows=n + len(solved.unmet))


def test_result_html_of_an_infeasible_result() -> None:
    result = bm.Result(
        status="infeasible", infeasibility=("pin <S1, B9> breaks too_far",)
    )
    text = result_html(result)
    assert "infeasible" in text
    assert "pin &lt;S1, B9&gt; breaks too_far" in text
    assert "Assignments" not in text


def test_problem_html_counts_the_problem(small_problem: bm.Problem) -> None:
    text = small_problem._repr_html_()
    assert text == problem_html(small_problem)
    assert ">6</td>" in text  # trusts
    assert "4 of 2 seekers (priority 3: 1, priority 2: 2, priority 1: 1)" in (
        text
    )
    assert "4 trusts able to buddy, 10 workload units in all" in text
    assert "finance, maternity, governance" in text
    assert "straight line" in text
    # finance and maternity have two needs each; maternity wants 2 buddies.
    assert "<tr><td>finance</td><td>2</td><td>2</td><td>1</td></tr>" in text
    assert "<tr><td>maternity</td><td>1</td><td>2</td><td>0</td></tr>" in text
    few = problem_html(small_problem, max_rows=1)
    assert "... and 2 more areas" in few


def test_problem_html_of_relations_and_a_travel_matrix() -> None:
    trusts = (
        make_trust("S", 52.0, -1.0, expertise={"finance": 1}),
        make_trust("B", 53.0, -1.0, capacity=2, expertise={"finance": 5}),
    )
    problem = bm.Problem(
        trusts=trusts,
        needs=(bm.Need(seeker="S", area="finance"),),
        relations=(bm.Relation(a="S", b="B", kind="preferred"),),
        travel=(bm.TravelTime(origin="S", destination="B", minutes=70),),
    )
    text = problem_html(problem)
    assert "preferred: 1" in text
    assert "matrix of 1 entry" in text


# -- repr: short at any size ------------------------------------------------


def test_result_repr_counts_the_parts(solved: bm.Result) -> None:
    text = repr(solved)
    assert text.startswith(f"Result(status='{solved.status}', coverage='")
    for c in solved.coverage:
        assert f"priority {c.priority}: {c.covered}/{c.total}" in text
    assert f"assignments={len(solved.assignments)}," in text
    assert f"unmet={len(solved.unmet)}," in text
    assert f"objective={solved.objective}" in text
    # A result a hundred times larger has a repr of the same length.
    large = solved.model_copy(
        update={
            "assignments": solved.assignments * 100,
            "trusts": solved.trusts * 100,
        }
    )
    assert len(repr(large)) <= len(text) + 4
    assert len(text) < 300
    assert str(solved).startswith(solved.summary())  # unchanged


def test_result_repr_without_a_proposal() -> None:
    result = bm.Result(
        status="infeasible", infeasibility=("pin S1-B9 breaks too_far",)
    )
    assert repr(result) == (
        "Result(status='infeasible', assignments=0, partnerships=0, "
        "unmet=0, total_fee=0.0, runtime=0.0, infeasibility=1)"
    )


def test_problem_repr_counts_the_parts(small_problem: bm.Problem) -> None:
    assert repr(small_problem) == (
        "Problem(trusts=6, seekers=2, needs=4, areas=3, relations=0, "
        "overrides=0, travel='straight line')"
    )
    matrix = small_problem.replace(
        travel=(bm.TravelTime(origin="S1", destination="B1", minutes=70),)
    )
    assert repr(matrix).endswith("travel='matrix of 1 entry')")


def test_national_problem_repr_is_short() -> None:
    from buddymatch.synth import preset

    problem = preset("national", seed=0)
    assert len(repr(problem)) < 300
    assert len(str(problem)) < 300


# -- frames sits below the models ------------------------------------------


def _runtime_imports(module: str) -> set[str]:
    """Return every buddymatch module *module* imports when it runs: at
    the top and inside functions, but not under ``TYPE_CHECKING`` (which
    only the type checker reads)."""
    path = Path(bm.__file__).parent.joinpath(*module.split(".")[1:])
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            typing_only.update(id(inner) for inner in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("buddymatch.")}


def _reached_from(module: str) -> set[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        for name in _runtime_imports(current):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def test_frames_sits_below_the_models() -> None:
    """The models call frames; frames never imports them back when it
    runs (only for type checking), so there is no cycle, hidden or not."""
    assert "buddymatch.frames" in _runtime_imports("buddymatch.result")
    assert "buddymatch.frames" in _runtime_imports("buddymatch.model")
    reached = _reached_from("buddymatch.frames")
    assert "buddymatch.model" not in reached
    assert "buddymatch.result" not in reached
    for module in ("buddymatch.model", "buddymatch.result"):
        assert module not in _reached_from(module), module
    assert "buddymatch.result" not in _reached_from("buddymatch.model")
