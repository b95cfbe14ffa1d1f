"""Problems found while reading, and where each one is.

Readers never stop at the first fault: every problem goes into one
`Problems` collection, each at the file, line and column of the item
it concerns (a `Site`), and the read ends with one
[`InputError`][buddymatch.errors.InputError] listing them all.  Pydantic's own
errors are put in the same plain words (`describe`,
`validation_problems`).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args

from pydantic import BaseModel

from buddymatch.errors import InputError, InputProblem
from buddymatch.io.values import Bad, Parser, did_you_mean, show
from buddymatch.model import Policy

_T = TypeVar("_T")

Line = int | str | None


class Problems:
    """Every problem found so far, across all the files of one read."""

    def __init__(self) -> None:
        self.items: list[InputProblem] = []
        #: Column order of each CSV file, so problems of one row are listed
        #: left to right.
        self.columns: dict[str, dict[str, int]] = {}

    def add(
        self,
        file: str,
        line: Line,
        column: str | None,
        message: str,
        fix: str,
    ) -> None:
        self.items.append(InputProblem(file, line, column, message, fix))

    def take(self, found: _T | InputProblem) -> _T | None:
        """Return *found*, or None after adding it if it is a problem."""
        if isinstance(found, InputProblem):
            self.items.append(found)
            return None
        return found

    def __bool__(self) -> bool:
        return bool(self.items)

    def error(self) -> InputError:
        """Return one error listing the problems, file by file, by line."""
        rank: dict[str, int] = {}
        for problem in self.items:
            rank.setdefault(problem.file, len(rank))

        def key(problem: InputProblem) -> tuple[int, int, int]:
            # Whole-file problems (no line) come first; JSON field paths
            # keep the order they were found in (the sort is stable).
            line = problem.line if isinstance(problem.line, int) else 0
            order = self.columns.get(problem.file, {})
            column = order.get(problem.column or "", -1)
            return rank[problem.file], line, column

        return InputError(sorted(self.items, key=key))


class Site:
    """Where one item (a row, an object, a table) came from."""

    file: str

    def at(self, key: str) -> tuple[Line, str | None]:
        """Return the line and column of *key* (dotted, e.g. ``culture.x``)."""
        raise NotImplementedError


@dataclass(frozen=True)
class CsvSite(Site):
    """A CSV row; *columns* maps field keys to the column they came from."""

    file: str
    line: int | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    default_column: str | None = None

    def at(self, key: str) -> tuple[Line, str | None]:
        return self.line, self.columns.get(key, self.default_column)


@dataclass(frozen=True)
class JsonSite(Site):
    """A JSON object at *path* (``trusts.3``); lines are field paths."""

    file: str
    path: str = ""

    def at(self, key: str) -> tuple[Line, str | None]:
        full = ".".join(part for part in (self.path, key) if part)
        column = key.rsplit(".", 1)[-1] if key else None
        return full or None, column


@dataclass(frozen=True)
class TomlSite(Site):
    """A TOML document; *lines* gives the line of each key path found,
    by the path's parts joined with dots (as the keys reported are)."""

    file: str
    lines: Mapping[str, int] = field(default_factory=dict)

    def at(self, key: str) -> tuple[Line, str | None]:
        # Matched as a whole first: a quoted key may hold dots ("a.b" = 1),
        # and the empty key ("" = 1) is a key too.
        column = key or '""'
        path = key
        while path not in self.lines:
            # A key inside an inline table has no line of its own: fall
            # back to the nearest enclosing key that has one.
            if "." not in path:
                return None, column
            path = path.rsplit(".", 1)[0]
        return self.lines[path], column


class Item:
    """Checks the fields of one item, reporting each fault at its site.

    ``bad`` holds the top-level fields that failed (or are missing), so a
    stand-in can still be built from the fields that did not.
    """

    def __init__(
        self, site: Site, problems: Problems, prefix: str = ""
    ) -> None:
        self.site = site
        self.problems = problems
        self.prefix = prefix
        self.bad: set[str] = set()

    def report(self, key: str, message: str, fix: str) -> None:
        line, column = self.site.at(key)
        self.problems.add(
            self.site.file, line, column, self.prefix + message, fix
        )
        self.bad.add(key.split(".", 1)[0])

    def parse(self, key: str, value: object, parser: Parser[_T]) -> _T | None:
        try:
            return parser(value)
        except Bad as bad:
            self.report(key, bad.message, bad.fix)
            return None


def describe(error: Mapping[str, Any]) -> str:
    """Rephrase one pydantic error (a fallback: checks above come first)."""
    if error["type"] == "value_error":
        text = str(error.get("ctx", {}).get("error", error["msg"]))
    else:
        text = str(error["msg"])
    text = text[:1].lower() + text[1:]
    value = error.get("input")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return f"{show(value)}: {text}"
    return text


def validation_problems(
    errors: Iterable[Mapping[str, Any]],
    model: type[BaseModel],
    source: str,
    value_fix: str | None = None,
) -> list[InputProblem]:
    """Turn pydantic's errors of validating *model* into problems.

    Each problem has the field path as its ``line`` (``trusts.3.lat``; the
    empty key shown as ``""``, so that the path never vanishes) and the
    field as its ``column``.

    Parameters
    ----------
    errors
        The errors, as ``ValidationError.errors()`` lists them.
    model
        The model validated (its fields name the keys an unknown key could
        have meant).
    source
        The file (or input) the problems are in.
    value_fix
        The fix of a wrong value; by default, to see the model's schema.

    Returns
    -------
    list of InputProblem
        One per error, in the errors' order.
    """
    problems: list[InputProblem] = []
    for error in errors:
        loc = [str(part) for part in error["loc"]]
        path = ".".join(part or '""' for part in loc) or None
        column = (loc[-1] or '""') if loc else None
        kind = error["type"]
        if kind == "extra_forbidden":
            known = _known_fields(model, error["loc"][:-1])
            message = f"unknown key {loc[-1]!r}"
            fix = (
                f"rename or delete it{did_you_mean(loc[-1], known)}; the "
                f"keys are {', '.join(known)}"
            )
        elif kind == "missing":
            message = f"{column} is missing"
            fix = f"give the {column}"
        elif not loc and model is Policy:
            # The one cross-field rule of a policy: the travel window.
            path = column = "max_travel_minutes"
            message = describe(error)
            fix = (
                "make max_travel_minutes at least min_travel_minutes, or "
                "null to switch the upper limit off"
            )
        else:
            message = describe(error)
            fix = value_fix or (
                "correct the value (see the schema: buddymatch schema "
                f"{model.__name__.lower()})"
            )
        problems.append(InputProblem(source, path, column, message, fix))
    return problems


def _known_fields(
    model: type[BaseModel], loc: tuple[int | str, ...]
) -> list[str]:
    """Return the field names of the model found at *loc* in *model*."""
    current: type[BaseModel] = model
    for part in loc:
        # List indices and dict keys (tier names) leave the model as is.
        fields = current.model_fields
        if isinstance(part, str) and part in fields:
            current = _inner_model(fields[part].annotation) or current
    return list(current.model_fields)


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """Return the model a field holds (through tuples, dicts, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple, dict, list):
        for arg in reversed(get_args(annotation)):
            inner = _inner_model(arg)
            if inner is not None:
                return inner
    return None
