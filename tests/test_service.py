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
    alone = bm.propose(
        small_problem, policy, deterministic=True, time_limit=5
    )
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


def test_bad_input_is_422_with_every_problem(
    client: TestClient, small_problem: bm.Problem
) -> None:
    request = _request(
        small_problem,
        policy={"max_travel_minute": 100},
        time_limit=-1,
        colour="blue",
    )
    request["problem"]["trusts"][0]["lat"] = 95
    answer = client.post("/proposals", json=request)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    where = {(d["file"], d["line"]) for d in detail}
    assert where == {
        ("problem", "trusts.0.lat"),
        ("policy", "max_travel_minute"),
        ("request", "time_limit"),
        ("request", "colour"),
    }
    for item in detail:
        assert set(item) == {"file", "line", "column", "message", "fix"}
        assert item["message"] and item["fix"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "not an object"),
        (b"{}", "has no problem"),
        (b'{"problem": {"trusts": []}}', "there are no trusts"),
    ],
)
def test_what_is_not_a_request_is_422(
    client: TestClient, body: bytes, words: str
) -> None:
    answer = client.post(
        "/proposals",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert words in json.dumps(answer.json()["detail"])


def test_need_tiers_are_checked_against_the_policy(
    client: TestClient, small_problem: bm.Problem
) -> None:
    request = _request(small_problem)
    request["problem"]["needs"][0]["tier"] = "coaching"
    answer = client.post("/proposals", json=request)
    assert answer.status_code == 422
    (item,) = answer.json()["detail"]
    assert item["line"] == "needs.0.tier"
    request["policy"] = {
        "tiers": {"coaching": {"workload": 1, "months": 3, "fee": 100}}
    }
    assert client.post("/proposals", json=request).status_code == 200


def test_schemas_are_served(client: TestClient) -> None:
    for kind in ("problem", "policy", "result"):
        answer = client.get(f"/schemas/{kind}")
        assert answer.status_code == 200
        assert answer.json() == json_schema(kind)  # type: ignore[arg-type]
    assert client.get("/schemas/proposal").status_code == 404
