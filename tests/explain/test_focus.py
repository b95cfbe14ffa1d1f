"""buddymatch.explain: the summary, one need and one buddy.

On the complete proposal (every unmet reason, a budget, pins), whose
result goes through ``verify`` in its fixture.  None of these re-solve the
proposal; only an unmet need's policy changes do, when asked.
"""

from __future__ import annotations

import pytest

import buddymatch as bm
import buddymatch.solvers
from buddymatch.errors import InputError
from buddymatch.explain import (
    explain_buddy,
    explain_need,
    explain_result,
    explain_summary,
)
from buddymatch.render.explanation import (
    render_buddy_html,
    render_buddy_markdown,
    render_summary_markdown,
)
from conftest import make_trust


@pytest.fixture
def no_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> bm.Result:
        raise AssertionError("the proposal was re-solved")

    monkeypatch.setattr(buddymatch.solvers, "propose", refuse)


@pytest.mark.usefixtures("no_solver")
def test_the_summary_counts_and_lists_every_unmet_need(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> None:
    s = explain_summary(complete_problem, complete_policy, complete_result)
    assert s.status == "optimal"
    assert [(c.priority, c.covered, c.total, c.bound) for c in s.coverage] == [
        (3, 2, 2, 2),
        (2, 4, 5, 4),
        (1, 0, 3, 0),
    ]
    assert (s.needs, s.met) == (10, 6)
    assert (s.seekers, s.seekers_all_met) == (6, 3)
    assert (s.assignments, s.partnerships, s.pinned) == (7, 6, 2)
    assert (s.buddies, s.buddies_full) == (6, 5)
    assert (s.total_fee, s.budget) == (168_000, 180_000)
    # Most urgent first, each with the result's own words.
    assert [(u.seeker, u.area, u.reason) for u in s.unmet] == [
        ("S3", "maternity", "too_few_candidates"),
        ("S3", "governance", "no_candidate"),
        ("S4", "finance", "capacity"),
        ("S5", "maternity", "budget"),
    ]
    text = render_summary_markdown(s)
    assert "| 2 | 4 | 5 | 4 |" in text
    assert "6 of 10 needs met; 3 of 6 seekers have every need met" in text
    assert "fees 168,000 of a budget of 180,000" in text
    assert (
        "- S3 NHS Foundation Trust (S3): governance (light tier, priority "
        "1): no buddy passes the hard rules (excluded: 6 not\\_a\\_buddy"
    ) in text
    assert len(text.splitlines()) < 30


def test_the_summary_of_an_infeasible_result_says_so() -> None:
    result = bm.Result(status="infeasible", infeasibility=("pin A-B fails",))
    problem = bm.Problem(
        trusts=(
            make_trust("A", 52.0, -1.0),
            make_trust("B", 53.0, -1.0, capacity=1),
        ),
        needs=(bm.Need(seeker="A", area="finance"),),
    )
    s = explain_summary(problem, None, result)
    assert s.notes == ("The pins and forced rules cannot all hold together.",)
    assert (s.seekers, s.seekers_all_met, s.met) == (1, 0, 0)
    assert "- pin A-B fails" in render_summary_markdown(s)


@pytest.mark.usefixtures("no_solver")
def test_a_met_need_holds_its_buddies_only(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> None:
    e = explain_need(
        complete_problem, complete_policy, complete_result, "S2", "maternity"
    )
    assert [a.buddy for a in e.assignments] == ["B1", "B3"]
    assert e.unmet == ()
    whole = explain_result(
        complete_problem, complete_policy, complete_result, relax=False
    )
    # The same explanations as the whole report gives for this need.
    assert e.assignments == tuple(
        a
        for a in whole.assignments
        if (a.seeker, a.area) == ("S2", "maternity")
    )


@pytest.mark.usefixtures("no_solver")
def test_an_unmet_need_without_relaxing_solves_nothing(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> None:
    e = explain_need(
        complete_problem,
        complete_policy,
        complete_result,
        "S4",
        "finance",
        relax=False,
    )
    (u,) = e.unmet
    assert (u.reason, u.bottleneck) == ("capacity", "capacity")
    assert e.assignments == ()


def test_an_unknown_need_is_an_input_error(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> None:
    with pytest.raises(InputError, match="'S4' has no 'maternity' need"):
        explain_need(
            complete_problem,
            complete_policy,
            complete_result,
            "S4",
            "maternity",
        )


@pytest.mark.usefixtures("no_solver")
def test_a_buddy_full_to_capacity_says_why_it_takes_no_more(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> None:
    b = explain_buddy(complete_problem, complete_policy, complete_result, "B1")
    assert (b.capacity, b.used, b.left) == (6, 6, 0)
    assert b.partners == ("S2",)
    assert [(a.seeker, a.area) for a in b.serves] == [("S2", "maternity")]
    assert b.words.startswith(
        "B1 serves 1 need of 1 seeker (6 of 6 units used, 0 left, 1 of at "
        "most 2 partners)"
    )
    opening = {(o.seeker, o.area): o for o in b.openings}[("S4", "finance")]
    assert opening.limit == "capacity"
    assert opening.words == (
        "no room: capacity used by its partnerships with S2 (maternity): "
        "6 of 6 units taken, this need takes 1"
    )
    assert b.excluded == {"expertise": 2}
    assert b.candidate_needs + sum(b.excluded.values()) == len(
        complete_problem.needs
    )
    assert "## Unmet needs it passes the hard rules for" in (
        render_buddy_markdown(b)
    )
    assert render_buddy_html(b).startswith("<!DOCTYPE html>")


@pytest.mark.usefixtures("no_solver")
def test_a_trust_that_serves_no_need_names_the_rule(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> None:
    b = explain_buddy(complete_problem, complete_policy, complete_result, "BC")
    assert b.serves == () and b.candidate_needs == 0
    assert b.words == (
        "BC passes the hard rules for no need (first rule excluding it: "
        "culture for 10 needs), so it serves none"
    )
    with pytest.raises(InputError, match="'NOPE' is not a trust"):
        explain_buddy(
            complete_problem, complete_policy, complete_result, "NOPE"
        )
