"""buddymatch.explain.models: explanations as frozen, JSON-ready data."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from pydantic import ValidationError

import buddymatch as bm
from buddymatch.explain import (
    STEP_RULES,
    PairExplanation,
    ResultExplanation,
    Term,
    explain_pair,
    explain_result,
)

# Internal modules: their paths may move, so every such import is here.
from buddymatch.explain.models import FunnelStepName, TermName
from buddymatch.scoring import TERMS


@pytest.fixture(scope="module")
def explanation(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> ResultExplanation:
    return explain_result(
        complete_problem, complete_policy, complete_result, time_limit=5
    )


def test_the_result_explanation_round_trips_through_json(
    explanation: ResultExplanation,
) -> None:
    text = explanation.to_json()
    back = ResultExplanation.model_validate_json(text)
    assert back.to_dict() == explanation.to_dict()
    assert json.loads(text) == explanation.to_dict()
    assert len(back.assignments) == 7 and len(back.unmet) == 4


def test_re_solved_proposals_stay_out_of_the_json(
    explanation: ResultExplanation,
) -> None:
    relaxations = [r for u in explanation.unmet for r in u.relaxations]
    assert relaxations and all(r.result is not None for r in relaxations)
    data = explanation.to_dict()
    for unmet in data["unmet"]:
        for relaxation in unmet["relaxations"]:
            assert "result" not in relaxation
    back = ResultExplanation.model_validate_json(explanation.to_json())
    assert all(r.result is None for u in back.unmet for r in u.relaxations)


def test_a_pinned_re_solve_stays_out_of_the_json(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> None:
    e = explain_pair(
        complete_problem,
        complete_policy,
        complete_result,
        "S5",
        "maternity",
        "BF",
        time_limit=5,
    )
    assert e.pinned_result is not None
    assert "pinned_result" not in e.to_dict()
    back = PairExplanation.model_validate_json(e.to_json())
    assert back.pinned_result is None
    assert back.added == e.added


def test_names_and_partnerships(explanation: ResultExplanation) -> None:
    assert explanation.name("S1") == "S1 NHS Foundation Trust"
    assert explanation.name("nobody") == "nobody"
    groups = explanation.partnerships()
    keys = [key for key, _ in groups]
    assert keys == sorted(keys)
    s1_b2 = dict(groups)[("S1", "B2")]
    assert [a.area for a in s1_b2] == ["finance", "governance"]
    assert sum(len(items) for _, items in groups) == len(
        explanation.assignments
    )


def test_explanations_are_frozen_and_strict() -> None:
    term = Term(name="travel", points=-6.0, value=60.0, words="60 min")
    with pytest.raises(ValidationError):
        term.points = 0.0  # type: ignore[misc]
    bad: list[dict[str, Any]] = [
        {"name": "distance"},  # not a term name
        {"colour": "red"},  # unknown field
    ]
    for changes in bad:
        with pytest.raises(ValidationError):
            Term(**{**term.model_dump(), **changes})


def test_term_and_step_names_match_the_code() -> None:
    # A new score term or funnel step must get a name in the models.
    assert set(get_args(TermName)) == {*TERMS, "override", "partnership"}
    assert set(get_args(FunnelStepName)) == {"trusts", *STEP_RULES}
