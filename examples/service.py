"""A minimal web service around buddymatch (FastAPI, an optional extra).

Endpoints:

- ``POST /proposals`` takes a :class:`ProposalRequest`, ``{"problem":
  {...}, "policy": {...}, "time_limit": 10, "seed": 0, "deterministic":
  false}`` (only ``problem`` is required), and answers with the result's
  JSON.  Both are declared models, so ``/openapi.json`` (and the docs at
  ``/docs``) describe them.  Bad input gets FastAPI's usual 422,
  ``{"detail": [{"type", "loc", "msg", ...}]}``, one item per problem
  found, ``loc`` the path to it (``["body", "problem", "trusts", 3,
  "lat"]``); so do the rules the solver checks before solving (a need's
  tier that the policy does not define, a travel matrix without a pair).
- ``GET /schemas/{kind}`` returns the JSON Schema of a problem, policy or
  result, for clients that check requests before sending them.

Solves run in worker threads (``propose`` is thread-safe), so the server
keeps answering while they run.  Serve it with any ASGI server, e.g.
``uvicorn examples.service:app``; ``python examples/service.py`` sends it
one request for the bundled example, in-process, and prints the answer.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field

import buddymatch as bm
from buddymatch.schema import SCHEMA_KINDS, SchemaKind, json_schema

try:
    from fastapi import FastAPI, HTTPException
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import Response
    from starlette.concurrency import run_in_threadpool
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
except ImportError:  # pragma: no cover - FastAPI is an optional extra
    FastAPI = None  # type: ignore[assignment, misc]

log = logging.getLogger("buddymatch.service")

#: The longest solve one request may ask for, in seconds.
MAX_TIME_LIMIT = 60.0
#: The largest request body accepted, in bytes.
MAX_BODY_BYTES = 20_000_000


class ProposalRequest(BaseModel):
    """A request for a proposal: the problem, its policy, solve options."""

    model_config = ConfigDict(extra="forbid")

    problem: bm.Problem
    policy: bm.Policy = Field(default_factory=bm.Policy)
    # Strict: true is not a number of seconds, nor "10" (JSON numbers only).
    time_limit: float = Field(
        default=10.0,
        gt=0,
        le=MAX_TIME_LIMIT,
        strict=True,
        description="Seconds for the whole solve.",
    )
    seed: int = Field(default=0, strict=True)
    deterministic: bool = Field(
        default=False,
        strict=True,
        description="Same input and settings give the same result.",
    )


def validation_errors(error: bm.InputError) -> list[dict[str, Any]]:
    """Return *error*'s problems as items of FastAPI's 422 ``detail``.

    They are what ``propose`` finds before it solves, beyond what the
    request's schema can say: a need's tier that the policy does not
    define, a travel matrix without a pair.  All concern the problem;
    ``loc`` follows the field path when there is one (``needs.0.tier``).
    """
    items = []
    for problem in error.problems:
        path = (
            [int(k) if k.isdigit() else k for k in problem.line.split(".")]
            if isinstance(problem.line, str)
            else []
        )
        items.append(
            {
                "type": "value_error",
                "loc": ["body", "problem", *path],
                "msg": f"{problem.message} ({problem.fix})",
            }
        )
    return items


class BodyLimit:
    """Refuse a request body over *limit* bytes with 413.

    It counts the bytes as they arrive, so neither a missing nor a false
    ``Content-Length`` gets a larger body through; FastAPI passes the
    HTTPException raised while it reads the body on as the response.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise HTTPException(413, "the request is too large")
            return message

        await self.app(scope, counted, send)


def create_app(max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """Return the service as a FastAPI application."""
    if FastAPI is None:  # pragma: no cover
        raise RuntimeError("install FastAPI: pip install fastapi")
    app = FastAPI(
        title="buddymatch",
        summary="Propose buddying arrangements between NHS trusts.",
    )
    app.add_middleware(BodyLimit, limit=max_body_bytes)

    @app.post("/proposals", response_model=bm.Result)
    async def proposals(request: ProposalRequest) -> Response:
        try:
            # In a worker thread: the event loop keeps serving meanwhile.
            result = await run_in_threadpool(
                bm.propose,
                request.problem,
                request.policy,
                time_limit=request.time_limit,
                seed=request.seed,
                deterministic=request.deterministic,
            )
        except bm.InputError as exc:
            raise RequestValidationError(validation_errors(exc)) from None
        log.info("proposal: %s", result.summary().splitlines()[0])
        # The result's own JSON: a deterministic result writes its
        # runtime as null, so that the same request gives the same bytes.
        return Response(
            result.to_json(indent=None), media_type="application/json"
        )

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
    request: dict[str, Any] = {
        "problem": problem.model_dump(mode="json"),
        "policy": policy.model_dump(mode="json"),
        "time_limit": 5,
    }
    with TestClient(create_app()) as client:
        answer = client.post("/proposals", json=request)
        answer.raise_for_status()
        result = bm.Result.model_validate(answer.json())
        print(result.summary())
        request["problem"]["trusts"][0]["lat"] = 95
        request["time_limit"] = 600
        bad = client.post("/proposals", json=request)
        print(f"a latitude of 95 and 600 s get {bad.status_code}:")
        for item in bad.json()["detail"]:
            where = ".".join(str(part) for part in item["loc"])
            print(f"  {where}: {item['msg']}")


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
        print(
            "skipped: this example needs fastapi and httpx2 "
            '(pip install "buddymatch[service]")'
        )
