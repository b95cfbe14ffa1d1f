"""A minimal web service around buddymatch (FastAPI, an optional extra).

Endpoints:

- ``POST /proposals`` takes ``{"problem": {...}, "policy": {...},
  "time_limit": 10, "seed": 0, "deterministic": false}`` (only ``problem``
  is required) and answers with the result's JSON.  Bad input gets a 422
  whose ``detail`` lists every problem found, each as ``{"file", "line",
  "column", "message", "fix"}``: ``file`` is ``problem``, ``policy`` or
  ``request``, ``line`` the field path (``trusts.3.lat``).
- ``GET /schemas/{kind}`` returns the JSON Schema of a problem, policy or
  result, for clients that check requests before sending them.

Solves run in worker threads (``propose`` is thread-safe), so the server
keeps answering while they run.  Serve it with any ASGI server, e.g.
``uvicorn examples.service:app``; ``python examples/service.py`` sends it
one request for the bundled example, in-process, and prints the answer.
"""

from __future__ import annotations

import importlib.util
import json
import logging
from typing import Any, cast

import buddymatch as bm
from buddymatch.schema import (
    SCHEMA_KINDS,
    SchemaKind,
    json_schema,
    parse_policy,
    parse_problem,
)

try:
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool
except ImportError:  # pragma: no cover - FastAPI is an optional extra
    FastAPI = None  # type: ignore[assignment, misc]

log = logging.getLogger("buddymatch.service")

#: The longest solve one request may ask for, in seconds.
MAX_TIME_LIMIT = 60.0
#: The largest request body accepted, in bytes.
MAX_BODY_BYTES = 20_000_000
_OPTIONS = {"time_limit", "seed", "deterministic"}


def _problem(field: str, message: str, fix: str) -> bm.InputProblem:
    return bm.InputProblem("request", field, field, message, fix)


def read_request(
    body: bytes,
) -> tuple[bm.Problem, bm.Policy, dict[str, Any]]:
    """Return the problem, policy and solve options a request body holds.

    Raises
    ------
    buddymatch.InputError
        Listing every problem of the request, its problem and its policy.
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise bm.InputError(
            [
                bm.InputProblem(
                    "request", None, None, f"not valid JSON: {exc}",
                    "send a JSON object with a problem",
                )
            ]
        ) from None
    if not isinstance(data, dict):
        raise bm.InputError(
            [
                bm.InputProblem(
                    "request", None, None, "the request is not an object",
                    'send {"problem": {...}, "policy": {...}}',
                )
            ]
        )
    problems: list[bm.InputProblem] = []
    for key in data:
        if key not in {"problem", "policy", *_OPTIONS}:
            problems.append(
                _problem(
                    key, f"unknown key {key!r}",
                    "use problem, policy, time_limit, seed, deterministic",
                )
            )
    options: dict[str, Any] = {}
    limit = data.get("time_limit", 10.0)
    if isinstance(limit, int | float) and not isinstance(limit, bool) and (
        0 < limit <= MAX_TIME_LIMIT
    ):
        options["time_limit"] = float(limit)
    else:
        problems.append(
            _problem(
                "time_limit", f"{limit!r} is not a time limit",
                f"give seconds, more than 0 and at most {MAX_TIME_LIMIT:g}",
            )
        )
    seed = data.get("seed", 0)
    if isinstance(seed, int) and not isinstance(seed, bool):
        options["seed"] = seed
    else:
        problems.append(_problem("seed", f"{seed!r} is not a seed",
                                 "give a whole number"))
    deterministic = data.get("deterministic", False)
    if isinstance(deterministic, bool):
        options["deterministic"] = deterministic
    else:
        problems.append(
            _problem("deterministic", f"{deterministic!r} is not a boolean",
                     "give true or false")
        )

    policy = bm.Policy()
    try:
        policy = parse_policy(data.get("policy"))
    except bm.InputError as exc:
        problems.extend(exc.problems)
    problem: bm.Problem | None = None
    if "problem" not in data:
        problems.append(
            _problem("problem", "the request has no problem",
                     'add "problem": {"trusts": [...], "needs": [...]}')
        )
    else:
        try:
            # Need tiers are checked against the policy's tiers.
            problem = parse_problem(data["problem"], policy=policy)
        except bm.InputError as exc:
            problems.extend(exc.problems)
    if problems or problem is None:
        raise bm.InputError(problems)
    return problem, policy, options


def create_app() -> FastAPI:
    """Return the service as a FastAPI application."""
    if FastAPI is None:  # pragma: no cover
        raise RuntimeError("install FastAPI: pip install fastapi")
    app = FastAPI(
        title="buddymatch",
        summary="Propose buddying arrangements between NHS trusts.",
    )

    @app.post("/proposals")
    async def proposals(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, "the request is too large")
        try:
            problem, policy, options = read_request(body)
        except bm.InputError as exc:
            return JSONResponse(
                {"detail": [p.to_dict() for p in exc.problems]},
                status_code=422,
            )
        try:
            # In a worker thread: the event loop keeps serving meanwhile.
            result = await run_in_threadpool(
                bm.propose, problem, policy, **options
            )
        except bm.InputError as exc:  # e.g. a travel matrix lacks a pair
            return JSONResponse(
                {"detail": [p.to_dict() for p in exc.problems]},
                status_code=422,
            )
        log.info("proposal: %s", result.summary().splitlines()[0])
        return JSONResponse(result.to_dict())

    @app.get("/schemas/{kind}")
    def schema(kind: str) -> dict[str, Any]:
        if kind not in SCHEMA_KINDS:
            raise HTTPException(404, f"no schema {kind!r}")
        return json_schema(cast(SchemaKind, kind))

    return app


app = create_app() if FastAPI is not None else None


def demo() -> None:
    """Send the bundled example to the service in-process; print the
    answer's summary."""
    from fastapi.testclient import TestClient

    folder = bm.example_dir()
    problem = bm.read_problem(
        folder / "trusts.csv", relations=folder / "relations.csv"
    )
    policy = bm.read_policy(folder / "policy.toml")
    request = {
        "problem": problem.model_dump(mode="json"),
        "policy": policy.model_dump(mode="json"),
        "time_limit": 5,
    }
    with TestClient(create_app()) as client:
        answer = client.post("/proposals", json=request)
        answer.raise_for_status()
        result = bm.Result.model_validate(answer.json())
        print(result.summary())
        bad = client.post("/proposals", json={"problem": {"trusts": []}})
        print(f"an empty problem gets {bad.status_code}:")
        for item in bad.json()["detail"]:
            print(f"  {item['line']}: {item['message']} ({item['fix']})")


def _can_demo() -> bool:
    """Whether FastAPI and an HTTP client for its TestClient are here."""
    found = importlib.util.find_spec
    return found("fastapi") is not None and (
        found("httpx2") is not None or found("httpx") is not None
    )


if __name__ == "__main__":
    if _can_demo():
        demo()
    else:
        print("skipped: this example needs fastapi and httpx2 "
              '(pip install "buddymatch[service]")')
