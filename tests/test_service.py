"""examples/service.py: the FastAPI service, through FastAPI's TestClient.

Skipped unless FastAPI and an HTTP client for its TestClient (httpx2, or
httpx for older Starlette) are installed: ``pip install -e ".[service]"``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import buddymatch as bm
from buddymatch.schema import json_schema
from buddymatch.verify import recompute_objective

pytest.importorskip("fastapi")
if not any(importlib.util.find_spec(m) for m in ("httpx2", "httpx")):
    pytest.skip("FastAPI's TestClient needs httpx2", allow_module_level=True)

from fastapi.testclient import TestClient

SERVICE = Path(__file__).parent.parent / "examples" / "service.py"


def _load_service() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "buddymatch_service_example", SERVICE
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    service = _load_service()
    with TestClient(service.create_app()) as test_client:
        yield test_client


def _request(problem: bm.Problem, **extra: Any) -> dict[str, Any]:
    return {"problem": problem.model_dump(mode="json"), **extra}


def test_a_proposal_is_the_result_json(
    client: TestClient, small_problem: bm.Problem
) -> None:
    policy = bm.Policy(max_travel_minutes=140)
    answer = client.post(
        "/proposals",
        json=_request(
            small_problem,
            policy=policy.model_dump(mode="json"),
            deterministic=True,
            time_limit=5,
        ),
    )
    assert answer.status_code == 200, answer.text
    result = bm.Result.model_validate(answer.json())
    assert bm.verify(small_problem, policy, result) == []
    assert result.objective == pytest.approx(
        recompute_objective(small_problem, policy, result), abs=1e-6
    )
    assert result.policy == policy
    alone = bm.propose(small_problem, policy, deterministic=True, time_limit=5)
    assert result.assignments == alone.assignments
    assert result.objective == alone.objective


def test_the_policy_is_optional(
    client: TestClient, small_problem: bm.Problem
) -> None:
    answer = client.post("/proposals", json=_request(small_problem))
    assert answer.status_code == 200, answer.text
    result = bm.Result.model_validate(answer.json())
    assert result.policy == bm.Policy()
    assert bm.verify(small_problem, bm.Policy(), result) == []


def _check_detail(answer: Any) -> list[dict[str, Any]]:
    """Return the 422's items, each in FastAPI's usual shape."""
    assert answer.status_code == 422, answer.text
    detail: list[dict[str, Any]] = answer.json()["detail"]
    assert detail
    for item in detail:
        assert {"type", "loc", "msg"} <= set(item)
        assert item["loc"][0] == "body"
        assert item["msg"] and item["type"]
    return detail


def test_bad_input_is_fastapis_422_with_every_problem(
    client: TestClient, small_problem: bm.Problem
) -> None:
    request = _request(
        small_problem,
        policy={"max_travel_minute": 100},
        time_limit=-1,
        colour="blue",
    )
    request["problem"]["trusts"][0]["lat"] = 95
    detail = _check_detail(client.post("/proposals", json=request))
    where = {tuple(d["loc"]) for d in detail}
    assert where == {
        ("body", "problem", "trusts", 0, "lat"),
        ("body", "policy", "max_travel_minute"),
        ("body", "time_limit"),
        ("body", "colour"),
    }


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"time_limit": True}, "time_limit"),
        ({"time_limit": "10"}, "time_limit"),
        ({"time_limit": 61}, "time_limit"),
        ({"seed": 1.5}, "seed"),
        ({"seed": False}, "seed"),
        ({"deterministic": "yes"}, "deterministic"),
    ],
)
def test_solve_options_are_checked(
    client: TestClient,
    small_problem: bm.Problem,
    options: dict[str, Any],
    field: str,
) -> None:
    answer = client.post("/proposals", json=_request(small_problem, **options))
    (item,) = _check_detail(answer)
    assert item["loc"] == ["body", field]


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        (b"{not json", ["body", 1], "JSON decode error"),
        (b"[1, 2]", ["body"], "valid dictionary"),
        (b"{}", ["body", "problem"], "Field required"),
        (
            b'{"problem": {"trusts": []}}',
            ["body", "problem"],
            "there are no trusts",
        ),
    ],
)
def test_what_is_not_a_request_is_422(
    client: TestClient, body: bytes, loc: list[Any], words: str
) -> None:
    answer = client.post(
        "/proposals",
        content=body,
        headers={"content-type": "application/json"},
    )
    (item,) = _check_detail(answer)
    assert item["loc"] == loc
    assert words in item["msg"]


def test_need_tiers_are_checked_against_the_policy(
    client: TestClient, small_problem: bm.Problem
) -> None:
    request = _request(small_problem)
    request["problem"]["needs"][0]["tier"] = "coaching"
    (item,) = _check_detail(client.post("/proposals", json=request))
    assert item["loc"] == ["body", "problem", "needs", 0, "tier"]
    assert "'coaching', which the policy does not define" in item["msg"]
    request["policy"] = {
        "tiers": {"coaching": {"workload": 1, "months": 3, "fee": 100}}
    }
    answer = client.post("/proposals", json=request)
    assert answer.status_code == 200, answer.text
    problem = bm.Problem.model_validate(request["problem"])
    policy = bm.Policy.model_validate(request["policy"])
    result = bm.Result.model_validate(answer.json())
    assert bm.verify(problem, policy, result) == []


def test_a_travel_matrix_without_a_pair_is_422(
    client: TestClient, small_problem: bm.Problem
) -> None:
    problem = small_problem.replace(
        travel=(bm.TravelTime(origin="S1", destination="B1", minutes=70),)
    )
    detail = _check_detail(client.post("/proposals", json=_request(problem)))
    assert all(item["loc"] == ["body", "problem"] for item in detail)
    assert "no travel time from" in detail[0]["msg"]
    assert "travel_fallback" in detail[0]["msg"]  # the fix


def test_openapi_describes_the_request_and_the_answer(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/proposals"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ProposalRequest"}
    assert post["requestBody"]["required"] is True
    schemas = spec["components"]["schemas"]
    request = schemas["ProposalRequest"]
    assert request["required"] == ["problem"]
    assert set(request["properties"]) == {
        "problem",
        "policy",
        "time_limit",
        "seed",
        "deterministic",
    }
    assert request["properties"]["problem"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert {"Problem", "Policy", "Trust", "Need", "Result"} <= set(schemas)
    answer = post["responses"]["200"]["content"]["application/json"]
    assert answer["schema"] == {"$ref": "#/components/schemas/Result"}
    assert "422" in post["responses"]


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_limit_is_413(
    small_problem: bm.Problem, chunked: bool
) -> None:
    service = _load_service()
    body = json.dumps(_request(small_problem)).encode()
    json_type = {"content-type": "application/json"}
    with TestClient(service.create_app(max_body_bytes=len(body))) as small:
        answer = small.post("/proposals", content=body, headers=json_type)
        assert answer.status_code == 200, answer.text
        result = bm.Result.model_validate(answer.json())
        assert bm.verify(small_problem, bm.Policy(), result) == []
        big = body + b" " * 10
        # Sent in pieces, without a Content-Length, it is counted too.
        content = iter([big[:500], big[500:]]) if chunked else big
        answer = small.post("/proposals", content=content, headers=json_type)
    assert answer.status_code == 413
    assert answer.json() == {"detail": "the request is too large"}


def test_schemas_are_served(client: TestClient) -> None:
    for kind in ("problem", "policy", "result"):
        answer = client.get(f"/schemas/{kind}")
        assert answer.status_code == 200
        assert answer.json() == json_schema(kind)  # type: ignore[arg-type]
    assert client.get("/schemas/proposal").status_code == 404
