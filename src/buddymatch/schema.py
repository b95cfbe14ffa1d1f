"""JSON Schemas and JSON parsing for services.

A service that takes problems over HTTP can check a request against
[`json_schema`][buddymatch.schema.json_schema] before it calls
[`propose`][buddymatch.propose] (or hand the
schema to its clients, who can check before sending), and parse it with
[`parse_problem`][buddymatch.schema.parse_problem] and
[`parse_policy`][buddymatch.schema.parse_policy], which raise one
[`InputError`][buddymatch.errors.InputError] listing every problem, each
located
by its field path (``trusts.3.lat``).

The schemas come from the Pydantic models themselves, so they cannot drift
from what the library accepts; field descriptions come from the models'
docstrings.  A schema checks each item on its own; rules about the problem
as a whole (unknown or duplicate ids, need areas without expertise data,
a pin against a veto ...) are beyond JSON Schema and are checked by
[`parse_problem`][buddymatch.schema.parse_problem].  In JSON a limit is
switched off with ``null`` (the
``"none"`` of the TOML policy file is accepted by the parser, not by the
schema).

``buddymatch schema problem`` prints the same schema on the command line.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import cache
from typing import Any, Literal, get_args

from pydantic import BaseModel, ValidationError

from buddymatch.errors import InputError, InputProblem
from buddymatch.io.files import JsonInput, decode_text, load_json
from buddymatch.io.problem_json import read_problem_json
from buddymatch.io.problems import validation_problems
from buddymatch.io.result_json import parse_result_json
from buddymatch.model import DEFAULT_TIER_NAMES, Policy, Problem
from buddymatch.result import Result

__all__ = [
    "JSON_SCHEMA_DIALECT",
    "SCHEMA_KINDS",
    "SchemaKind",
    "json_schema",
    "parse_policy",
    "parse_problem",
    "parse_result",
]

#: The JSON Schema dialect of every schema returned here.
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

SchemaKind = Literal["problem", "policy", "result"]
#: What [`json_schema`][buddymatch.schema.json_schema] can describe.
SCHEMA_KINDS: tuple[str, ...] = get_args(SchemaKind)

_MODELS: dict[str, type[BaseModel]] = {
    "problem": Problem,
    "policy": Policy,
    "result": Result,
}

#: Inputs (problem, policy) are described as the library reads them; the
#: result as it is written.
_MODES: dict[str, Literal["validation", "serialization"]] = {
    "problem": "validation",
    "policy": "validation",
    "result": "serialization",
}


def json_schema(kind: SchemaKind) -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a problem, policy or result.

    Parameters
    ----------
    kind
        ``"problem"`` and ``"policy"`` describe what
        [`parse_problem`][buddymatch.schema.parse_problem] and
        [`parse_policy`][buddymatch.schema.parse_policy] accept (and what
        ``Problem.model_dump_json()`` writes); ``"result"`` describes
        [`Result.to_json`][buddymatch.result.Result.to_json] output.

    Returns
    -------
    dict
        A fresh copy of the schema (safe to change), with ``$schema``,
        ``title`` and ``description`` at the top and one entry under
        ``$defs`` per nested model.

    Raises
    ------
    ValueError
        If *kind* is not one of `SCHEMA_KINDS`.
    """
    if kind not in _MODELS:
        raise ValueError(
            f"unknown schema {kind!r}; expected one of "
            f"{', '.join(SCHEMA_KINDS)}"
        )
    return copy.deepcopy(_schema(kind))


@cache
def _schema(kind: str) -> dict[str, Any]:
    # Built once per kind and only ever handed out as deep copies, so
    # concurrent callers share nothing mutable.
    model = _MODELS[kind]
    raw = model.model_json_schema(mode=_MODES[kind])
    docs = {cls.__name__: cls for cls in _models_within(model)}
    for name, sub in raw.get("$defs", {}).items():
        if name in docs:
            _describe(sub, docs[name])
    _describe(raw, model)
    for sub in _objects(raw):
        _exact_keys(sub)
    if kind == "policy":
        _partial_tiers(raw)
    return {"$schema": JSON_SCHEMA_DIALECT, **raw}


def _models_within(model: type[BaseModel]) -> list[type[BaseModel]]:
    """Return *model* and every model its fields hold, at any depth."""
    found: list[type[BaseModel]] = []

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.append(annotation)
                for field in annotation.model_fields.values():
                    visit(field.annotation)
            return
        for arg in get_args(annotation):
            visit(arg)

    visit(model)
    return found


_SECTION = re.compile(r"^(\w[\w ]*)\n-{3,}$", re.MULTILINE)


def _field_docs(model: type[BaseModel]) -> tuple[str, dict[str, str]]:
    """Return the summary and per-field text of *model*'s numpydoc."""
    doc = inspect.getdoc(model) or ""
    summary = _plain(doc.split("\n\n", 1)[0])
    fields: dict[str, str] = {}
    heads = list(_SECTION.finditer(doc))
    for i, head in enumerate(heads):
        if head.group(1) not in ("Parameters", "Attributes"):
            continue
        end = heads[i + 1].start() if i + 1 < len(heads) else len(doc)
        names: list[str] = []
        text: list[str] = []
        for line in doc[head.end() : end].splitlines():
            if line and not line[0].isspace():
                _store(fields, names, text)
                # "lat, lon" documents two fields at once.
                names = [n.strip() for n in line.split(",")]
                text = []
            elif line.strip():
                text.append(line.strip())
        _store(fields, names, text)
    return summary, fields


def _store(fields: dict[str, str], names: list[str], text: list[str]) -> None:
    for name in names:
        if text:
            fields[name] = _plain(" ".join(text))


_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")


def _plain(text: str) -> str:
    """Return docstring *text* without reStructuredText markup."""
    text = _ROLE.sub(lambda m: m.group(1).rsplit(".", 1)[-1], text)
    # The JSON spelling of Python's None.
    text = text.replace("``None``", "null")
    return re.sub(r"\s+", " ", text.replace("``", "")).strip()


def _describe(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Set *schema*'s description to the model's summary, and describe
    each property from the model's docstring."""
    summary, fields = _field_docs(model)
    if summary:
        schema["description"] = summary
    for name, prop in schema.get("properties", {}).items():
        if name in fields and "description" not in prop:
            prop["description"] = fields[name]


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every object (dict) inside *node*, *node* included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def _exact_keys(schema: dict[str, Any]) -> None:
    """Make a mapping with constrained keys refuse every other key.

    Pydantic writes ``dict[Id, X]`` as ``patternProperties``, under which
    a key that misses the pattern is let through unchecked; the library
    refuses it, so the schema says the same with ``propertyNames``.
    """
    patterns = schema.get("patternProperties")
    if not isinstance(patterns, dict) or len(patterns) != 1:
        return
    ((pattern, value),) = patterns.items()
    names = dict(schema.get("propertyNames", {}))
    names["pattern"] = pattern
    del schema["patternProperties"]
    schema["propertyNames"] = names
    schema["additionalProperties"] = value


def _partial_tiers(schema: dict[str, Any]) -> None:
    """Let a policy change some fields of a default tier.

    ``Policy`` merges given tiers over the defaults field by field, so
    ``{"light": {"fee": 1000}}`` is a valid policy; a new tier needs
    workload, months and fee.
    """
    defs = schema.get("$defs", {})
    tier = defs.get("Tier")
    tiers = schema.get("properties", {}).get("tiers")
    if tier is None or tiers is None:
        return
    change = {k: v for k, v in tier.items() if k != "required"}
    change["title"] = "TierChange"
    change["description"] = (
        "Changes to a default tier: any of its workload, months and fee."
    )
    defs["TierChange"] = change
    tiers["properties"] = {
        name: {"$ref": "#/$defs/TierChange"} for name in DEFAULT_TIER_NAMES
    }
    tiers["description"] = (
        "Tiers by name, merged over the defaults (light, programme, "
        "intensive) field by field; a new tier needs workload, months "
        "and fee."
    )


# ---------------------------------------------------------------------------
# Parsing JSON, every problem reported at its field path
# ---------------------------------------------------------------------------


def parse_problem(
    data: JsonInput,
    *,
    policy: Policy | None = None,
    source: str = "problem",
) -> Problem:
    """Parse a problem from JSON text or decoded JSON.

    Parameters
    ----------
    data
        The problem as ``Problem.model_dump_json()`` (or
        [`write_problem_json`][buddymatch.io.write_problem_json]) writes it:
        JSON text,
        or the object it decodes to.
    policy
        When given, need tiers must be among ``policy.tiers``; otherwise
        among the default tier names.
    source
        What to call the input in problems (their ``file``).

    Returns
    -------
    Problem
        The validated problem.

    Raises
    ------
    InputError
        Listing every problem, each with its field path as ``line`` (for
        example ``trusts.3.lat``) and the field as ``column``.
    """
    if isinstance(data, bytes | bytearray):
        text = _decode(data, source)
    elif isinstance(data, str):
        text = data
    else:
        try:
            text = json.dumps(data, allow_nan=False)
        except (TypeError, ValueError) as exc:
            # NaN, infinity or objects JSON has no notation for.
            raise InputError(
                [
                    InputProblem(
                        source,
                        None,
                        None,
                        f"the problem is not plain JSON data: {exc}",
                        "give numbers as finite numbers, and only text, "
                        "numbers, true/false, null, lists and objects",
                    )
                ]
            ) from None
    if not text.lstrip().startswith(("{", "[")):
        # read_problem_json would take other text for a file's path.
        raise InputError(
            [
                InputProblem(
                    source,
                    None,
                    None,
                    "the problem is not a JSON object",
                    "send an object with trusts, needs, relations, "
                    "overrides and travel",
                )
            ]
        )
    try:
        return read_problem_json(text, policy=policy)
    except InputError as exc:
        raise InputError(
            replace(p, file=source) if p.file == "<json>" else p
            for p in exc.problems
        ) from None


def parse_policy(data: JsonInput | None, *, source: str = "policy") -> Policy:
    """Parse a policy from JSON text or decoded JSON.

    Parameters
    ----------
    data
        Flat keys as in ``policy.toml`` plus a ``tiers`` object (what
        ``Policy.model_dump_json()`` writes); omitted keys take their
        defaults, ``null`` switches a limit off, and ``None`` (or an
        empty object) is the default policy.
    source
        What to call the input in problems (their ``file``).

    Returns
    -------
    Policy
        The validated policy.

    Raises
    ------
    InputError
        Listing every problem, each with its key path as ``line`` (for
        example ``tiers.light.fee``) and the key as ``column``.
    """
    value = _load(data, source)
    if value is None:
        return Policy()
    if not isinstance(value, dict):
        raise InputError(
            [
                InputProblem(
                    source,
                    None,
                    None,
                    f"the policy is {_kind(value)}, not an object",
                    "send an object of policy keys, e.g. "
                    '{"max_travel_minutes": 120}',
                )
            ]
        )
    try:
        return Policy.model_validate(value)
    except ValidationError as exc:
        raise InputError(
            validation_problems(exc.errors(), Policy, source)
        ) from None


def parse_result(data: JsonInput, *, source: str = "result") -> Result:
    """Parse a result from JSON text or decoded JSON (lossless).

    The one parser of a result (`buddymatch.io.result_json`), which
    [`buddymatch.mapping.read_result`][buddymatch.mapping.read_result] uses
    too: held to the same
    limits as a file (``MAX_JSON_VALUES`` values, ``MAX_ROWS`` items a
    list).

    Parameters
    ----------
    data
        What [`Result.to_json`][buddymatch.result.Result.to_json] or
        [`to_dict`][buddymatch.result.Result.to_dict] wrote.
    source
        What to call the input in problems (their ``file``).

    Returns
    -------
    Result
        The result, equal to the one written.

    Raises
    ------
    InputError
        Listing every problem at its field path (the first 100 of a
        document that is not a result, then how many more).
    """
    return parse_result_json(data, source=source)


def _decode(data: bytes | bytearray, source: str) -> str:
    text = decode_text(
        bytes(data), source, encoding_fix="send the JSON encoded as UTF-8"
    )
    if isinstance(text, InputProblem):
        raise InputError([text])
    return text


def _load(data: JsonInput | None, source: str) -> Any:
    """Return decoded JSON, or raise its problem as an InputError."""
    if data is None or isinstance(data, Mapping):
        return data
    if isinstance(data, bytes | bytearray):
        return load_json(_decode(data, source), source)
    return load_json(data, source)


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number" if isinstance(value, int | float) else "not an object"
