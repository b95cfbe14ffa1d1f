"""JSON Schemas and JSON parsing for services (buddymatch.schema)."""

from __future__ import annotations

import copy
import json
import math
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import buddymatch as bm
from buddymatch.schema import (
    JSON_SCHEMA_DIALECT,
    SCHEMA_KINDS,
    json_schema,
    parse_policy,
    parse_problem,
    parse_result,
)
from conftest import solve_verified
from strategies import policies, problems


@cache
def _validator(kind: str) -> Any:
    """A JSON Schema validator for *kind* (skips without jsonschema)."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema(kind)  # type: ignore[arg-type]
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _example() -> tuple[bm.Problem, bm.Policy]:
    folder = bm.example_dir()
    problem = bm.read_problem(
        folder / "trusts.csv", relations=folder / "relations.csv"
    )
    return problem, bm.read_policy(folder / "policy.toml")


def _dump(model: Any) -> Any:
    return json.loads(model.model_dump_json())


# -- the schemas ------------------------------------------------------------


@pytest.mark.parametrize("kind", SCHEMA_KINDS)
def test_schema_is_valid_draft_2020_12(kind: str) -> None:
    validator = _validator(kind)
    schema = validator.schema
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["title"] == kind.capitalize()
    assert schema["description"]
    assert schema["additionalProperties"] is False


def test_schemas_name_the_models_fields_and_choices() -> None:
    problem = json_schema("problem")
    trust = problem["$defs"]["Trust"]
    assert problem["required"] == ["trusts"]
    assert set(trust["properties"]) == set(bm.Trust.model_fields)
    assert trust["properties"]["kind"]["enum"] == [
        "acute",
        "acute_teaching",
        "ambulance",
        "community",
        "integrated",
        "mental_health",
        "specialist",
    ]
    relation = problem["$defs"]["Relation"]["properties"]["kind"]
    assert "pinned" in relation["enum"]
    # Descriptions come from the numpydoc of the models, as plain text.
    capacity = trust["properties"]["capacity"]["description"]
    assert capacity == (
        "Workload units it can give as a buddy; 0 = not a buddy."
    )
    partners = trust["properties"]["max_partners"]["description"]
    assert "null" in partners and "``" not in partners
    result = json_schema("result")
    assert "bound - objective" in result["properties"]["gap"]["description"]
    assert set(result["properties"]) == set(bm.Result.model_fields)


def test_json_schema_hands_out_independent_copies() -> None:
    first = json_schema("policy")
    first["properties"].clear()
    assert json_schema("policy")["properties"]


def test_unknown_schema_kind() -> None:
    with pytest.raises(ValueError, match="problem, policy, result"):
        json_schema("proposal")  # type: ignore[arg-type]


# -- schema and parser agree --------------------------------------------------


def test_the_example_and_its_result_validate() -> None:
    problem, policy = _example()
    _validator("problem").validate(_dump(problem))
    _validator("policy").validate(_dump(policy))
    result = bm.propose(problem, policy, time_limit=10)
    _validator("result").validate(json.loads(result.to_json()))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(problem=problems(), policy=policies())
def test_valid_inputs_validate_and_round_trip(
    problem: bm.Problem, policy: bm.Policy
) -> None:
    problem_validator = _validator("problem")
    policy_validator = _validator("policy")
    problem_json = problem.model_dump_json()
    problem_validator.validate(json.loads(problem_json))
    assert parse_problem(problem_json) == problem
    assert bm.Problem.model_validate_json(problem_json) == problem
    policy_json = policy.model_dump_json()
    policy_validator.validate(json.loads(policy_json))
    assert parse_policy(policy_json) == policy
    assert parse_policy(json.loads(policy_json)) == policy


def _set(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Return a copy of *data* with the value at dotted *path* replaced."""
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


PROBLEM_FAULTS = [
    ("trusts.0.lat", 95.0),
    ("trusts.0.kind", "hospital"),
    ("trusts.0.id", "has space"),
    ("trusts.0.capacity", -1),
    ("trusts.0.bogus", 1),
    ("trusts.0.expertise", {"-bad": 3}),
    ("trusts.0.culture", {"openness": 11.0}),
    ("needs.0.tier", "not an id!"),
    ("needs.0.priority", 4),
    ("needs.0.buddies", 0),
    ("trusts", "none"),
]


@pytest.mark.parametrize(("path", "value"), PROBLEM_FAULTS)
def test_schema_and_parser_refuse_the_same_faulty_problems(
    small_problem: bm.Problem, path: str, value: object
) -> None:
    faulty = _set(_dump(small_problem), path, value)
    assert not _validator("problem").is_valid(faulty)
    with pytest.raises(bm.InputError) as caught:
        parse_problem(faulty)
    assert all(p.file == "problem" for p in caught.value.problems)


POLICY_FAULTS = [
    {"min_expertise": 6},
    {"max_travel_minutes": "far"},
    {"keep_ongoing": "always"},
    {"max_travel_minute": 100},
    {"tiers": {"coaching": {"fee": 100}}},  # a new tier needs every field
    {"tiers": {"light": {"fees": 100}}},
    {"start_date": "next week"},
]


@pytest.mark.parametrize("data", POLICY_FAULTS)
def test_schema_and_parser_refuse_the_same_faulty_policies(
    data: dict[str, Any],
) -> None:
    assert not _validator("policy").is_valid(data)
    with pytest.raises(bm.InputError):
        parse_policy(data)


def test_a_default_tier_may_change_one_field() -> None:
    data = {"tiers": {"light": {"fee": 1000}}, "max_partners": None}
    _validator("policy").validate(data)
    policy = parse_policy(data)
    assert policy.tiers["light"] == bm.Tier(workload=1, months=6, fee=1000)
    assert policy.max_partners is None


# -- parsing: every problem, at its field path --------------------------------


def test_parse_problem_locates_every_problem(
    small_problem: bm.Problem,
) -> None:
    data = _set(_dump(small_problem), "trusts.1.lat", 95)
    data = _set(data, "needs.0.seeker", "NOPE")
    with pytest.raises(bm.InputError) as caught:
        parse_problem(json.dumps(data).encode(), source="request.problem")
    where = {(p.file, p.line, p.column) for p in caught.value.problems}
    assert ("request.problem", "trusts.1.lat", "lat") in where
    assert ("request.problem", "needs.0.seeker", "seeker") in where
    assert all(p.fix for p in caught.value.problems)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("not json", "not a JSON object"),
        ('{"trusts": [', "not valid JSON"),
        (b"\xff\xfe{", "not UTF-8"),
        ("[1, 2]", "not an object"),
        ({"trusts": [{"id": "A", "lat": math.nan, "lon": 0}]}, "plain JSON"),
    ],
)
def test_parse_problem_refuses_what_is_not_a_problem(
    data: object, words: str
) -> None:
    with pytest.raises(bm.InputError, match=words):
        parse_problem(data)  # type: ignore[arg-type]


def test_parse_problem_checks_tiers_against_the_policy(
    small_problem: bm.Problem,
) -> None:
    data = _set(_dump(small_problem), "needs.1.tier", "coaching")
    with pytest.raises(bm.InputError, match="coaching"):
        parse_problem(data)
    policy = bm.Policy(
        tiers={"coaching": bm.Tier(workload=1, months=3, fee=500)}
    )
    assert parse_problem(data, policy=policy).needs[1].tier == "coaching"


def test_parse_policy_defaults_and_errors() -> None:
    assert parse_policy(None) == bm.Policy()
    assert parse_policy({}) == bm.Policy()
    no_limit = parse_policy(b'{"max_travel_minutes": null}')
    assert no_limit.max_travel_minutes is None
    with pytest.raises(bm.InputError) as caught:
        parse_policy({"max_travel_minute": 100, "min_expertise": 9})
    problems = {p.line: p for p in caught.value.problems}
    assert "max_travel_minutes" in problems["max_travel_minute"].fix
    assert problems["min_expertise"].message.startswith("9:")
    with pytest.raises(bm.InputError) as caught:
        parse_policy({"min_travel_minutes": 60, "max_travel_minutes": 45})
    (window,) = caught.value.problems
    assert window.line == "max_travel_minutes"
    assert "min_travel_minutes" in window.fix
    with pytest.raises(bm.InputError, match="a list, not an object"):
        parse_policy("[]")
    with pytest.raises(bm.InputError, match="not valid JSON"):
        parse_policy("{")


def test_results_round_trip_losslessly(small_problem: bm.Problem) -> None:
    solved = solve_verified(small_problem, deterministic=True, workers=1)
    text = solved.to_json()
    # A deterministic result writes no runtime: that is all it loses.
    result = solved.model_copy(update={"runtime": None})
    assert parse_result(text) == result
    assert parse_result(result.to_dict()) == result
    assert bm.Result.from_json(text) == result
    assert parse_result(text).to_json() == text
    broken = result.to_dict()
    broken["assignments"][0]["travel_minutes"] = "far"
    broken["status"] = "great"
    with pytest.raises(bm.InputError) as caught:
        parse_result(broken)
    lines = {p.line for p in caught.value.problems}
    assert lines == {"status", "assignments.0.travel_minutes"}
