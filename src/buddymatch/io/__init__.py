"""Read and write buddymatch's files: trusts CSV, relations, pairs, travel
matrix, policy TOML, problem JSON and the pairings CSV.

Readers never stop at the first fault and never drop anything silently: each
row ends up either in the :class:`~buddymatch.model.Problem` or in the one
:class:`~buddymatch.errors.InputError` they raise, which lists every problem
with its file, physical line, column and a fix.  Reading happens in three
passes:

1. the file as a whole (size, encoding, CSV structure, header);
2. each row or object on its own (types and ranges, in plain words);
3. the problem as a whole (:func:`buddymatch.model.problem_issues`, applied to
   a draft built without validation), each issue traced back to the file,
   line and column of the item it names.

Writers produce exactly what the readers read, so round trips are exact, and
every file is written atomically (a temporary file, then ``os.replace``).
The formats, defaults and limits are documented in ``docs/formats.md``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import difflib
import errno
import io
import json
import math
import os
import re
import secrets
import shutil
import stat
import tomllib
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import (
    Annotated,
    Any,
    Literal,
    NamedTuple,
    TypeVar,
    Union,
    get_args,
    get_origin,
    overload,
)

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from buddymatch.arrangement import Arrangement, arrangement_issues
from buddymatch.errors import InputError, InputProblem, OutputError
from buddymatch.model import (
    CULTURE_MAX,
    DEFAULT_TIER_NAMES,
    DEFAULT_TIERS,
    EXPERTISE_MAX,
    ID_PATTERN,
    MAX_ID_LENGTH,
    RELATION_KINDS,
    TRUST_KINDS,
    Issue,
    Need,
    PairOverride,
    Policy,
    Problem,
    Relation,
    Tier,
    TravelTime,
    Trust,
    problem_issues,
)
from buddymatch.result import PAIRINGS_COLUMNS, Result, pairings_rows

__all__ = [
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_FIELD_CHARS",
    "MAX_FILE_BYTES",
    "MAX_JSON_VALUES",
    "MAX_NEEDS_PER_CELL",
    "MAX_POLICY_BYTES",
    "MAX_POLICY_NESTING",
    "MAX_ROWS",
    "check_output_file",
    "check_output_folder",
    "json_value_bound",
    "read_policy",
    "read_problem",
    "read_problem_json",
    "spreadsheet_safe",
    "write_bytes_atomic",
    "write_file_set",
    "write_pairings_csv",
    "write_policy_toml",
    "write_problem_csv",
    "write_problem_json",
    "write_text_atomic",
]

#: Largest input file read, in bytes (100 MiB); checked before reading.
MAX_FILE_BYTES = 100 * 1024 * 1024
#: Most data rows (not counting the header) in one CSV file.
MAX_ROWS = 100_000
#: Longest CSV cell, in characters.
MAX_FIELD_CHARS = 10_000
#: Most needs listed in one trust's ``needs`` cell.
MAX_NEEDS_PER_CELL = 100
#: Most columns in one CSV file.
MAX_COLUMNS = 1_000
#: Most cells in one CSV file (rows times columns, the header included).
#: Reading costs time and memory per cell, so this, not the file size, is
#: what bounds them (``docs/safety.md``).
MAX_CELLS = 2_000_000
#: Most values in one JSON file, counted before decoding: twice
#: MAX_CELLS, as JSON spends a value on every object (a trust is three)
#: and every field of a need.
MAX_JSON_VALUES = 4_000_000
#: Largest policy file, in bytes: a policy is a few dozen lines, and every
#: key of a long file would be checked and reported on its own.
MAX_POLICY_BYTES = 100_000
#: Deepest nesting in a policy file, counted on the raw text before it
#: is parsed: the parts of a table header or dotted key plus the inline
#: arrays and tables around a value (``[tiers.light]`` then
#: ``workload = 1`` is 3).  A policy needs 3; a header of thousands of
#: parts would cost memory and time quadratic in its length.
MAX_POLICY_NESTING = 8

StrPath = str | os.PathLike[str]
Line = int | str | None

_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)
_V = TypeVar("_V")

#: Turns a raw value (CSV text, or a JSON/TOML value) into a checked one,
#: or raises :class:`_Bad`.
_Parser = Callable[[object], _T]

# The model trims text with Unicode's White_Space set (pydantic-core), which
# is Python's ``str.isspace`` minus the four information separators
# U+001C-U+001F.  Cells are trimmed with the same set, so a value reads back
# exactly as the model stores it.
_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_ID_RE = re.compile(ID_PATTERN)
# ASCII digits only: Python's float() would also take "٣" or "1_000".
_NUMBER_RE = re.compile(
    r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
)
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_SAVE_AS_UTF8 = (
    "save the file as CSV UTF-8 (in Excel: File > Save As > "
    "'CSV UTF-8 (Comma delimited)')"
)
_ID_FIX = (
    "use letters, digits and _ . - only, starting with a letter or digit"
)


def _strip(text: str) -> str:
    return text.strip(_WHITESPACE)


# ---------------------------------------------------------------------------
# Problems found, and where
# ---------------------------------------------------------------------------


class _Problems:
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


class _Site:
    """Where one item (a row, an object, a table) came from."""

    file: str

    def at(self, key: str) -> tuple[Line, str | None]:
        """Return the line and column of *key* (dotted, e.g. ``culture.x``)."""
        raise NotImplementedError


@dataclass(frozen=True)
class _CsvSite(_Site):
    """A CSV row; *columns* maps field keys to the column they came from."""

    file: str
    line: int | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    default_column: str | None = None

    def at(self, key: str) -> tuple[Line, str | None]:
        return self.line, self.columns.get(key, self.default_column)


@dataclass(frozen=True)
class _JsonSite(_Site):
    """A JSON object at *path* (``trusts.3``); lines are field paths."""

    file: str
    path: str = ""

    def at(self, key: str) -> tuple[Line, str | None]:
        full = ".".join(part for part in (self.path, key) if part)
        column = key.rsplit(".", 1)[-1] if key else None
        return full or None, column


@dataclass(frozen=True)
class _TomlSite(_Site):
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


class _Bad(Exception):
    """A value that cannot be used: what is wrong and how to fix it."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


class _Item:
    """Checks the fields of one item, reporting each fault at its site.

    ``bad`` holds the top-level fields that failed (or are missing), so a
    stand-in can still be built from the fields that did not.
    """

    def __init__(
        self, site: _Site, problems: _Problems, prefix: str = ""
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

    def parse(self, key: str, value: object, parser: _Parser[_T]) -> _T | None:
        try:
            return parser(value)
        except _Bad as bad:
            self.report(key, bad.message, bad.fix)
            return None


# ---------------------------------------------------------------------------
# Values: parsing and checking, in plain words
# ---------------------------------------------------------------------------


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _show(value: object) -> str:
    """Quote *value* for a message, as the user wrote it."""
    if isinstance(value, str):
        return repr(_clip(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "a table of values"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _show_number(value: object) -> str:
    """Show a number unquoted, in the user's own spelling when given text."""
    return _clip(_strip(value)) if isinstance(value, str) else _show(value)


def _num(x: float) -> str:
    """Format a bound for a message (``10,000``, ``0.5``)."""
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:g}"


def _or_list(choices: Sequence[str]) -> str:
    if len(choices) == 1:
        return choices[0]
    return ", ".join(choices[:-1]) + " or " + choices[-1]


def _did_you_mean(text: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(text, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True)
class _Rule:
    """A numeric field: its name in words, its range and what to do."""

    noun: str
    whole: bool
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    fix: str = ""

    @property
    def expected(self) -> str:
        """The accepted values in words, e.g. ``a number from -90 to 90``."""
        kind = "a whole number" if self.whole else "a number"
        lo, hi = self.lo, self.hi
        low = high = ""
        if lo is not None:
            low = f"above {_num(lo)}" if self.lo_open else f"{_num(lo)}"
        if hi is not None:
            high = f"below {_num(hi)}" if self.hi_open else f"{_num(hi)}"
        if low and high:
            if not self.lo_open and not self.hi_open:
                return f"{kind} from {low} to {high}"
            low = low if self.lo_open else f"of at least {low}"
            high = high if self.hi_open else f"at most {high}"
            return f"{kind} {low} and {high}"
        if low:
            more = "" if self.lo_open else " or more"
            return f"{kind} {'' if self.lo_open else 'of '}{low}{more}"
        if high:
            at_most = "" if self.hi_open else "of at most "
            return f"{kind} {at_most}{high}"
        return "a finite number" if not self.whole else "a whole number"

    def check(self, value: object) -> float | int:
        """Return *value* as a number in range, or raise :class:`_Bad`."""
        shown = _show_number(value)
        fix = self.fix or f"give {self.expected}"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _Bad(
                f"{_show(value)} is not a number; expected {self.expected}",
                fix,
            )
        number: int | float
        if isinstance(value, str):
            text = _strip(value)
            if _INTEGER_RE.fullmatch(text) and len(text) < 100:
                number = int(text)
            elif _NUMBER_RE.fullmatch(text):
                # Longer integers too: float() turns them into inf (refused
                # below) where int() would refuse thousands of digits.
                number = float(text)
            else:
                raise _Bad(
                    f"{_show(text)} is not a number; expected "
                    f"{self.expected}",
                    fix,
                )
        else:
            number = value
        if isinstance(number, float) and not math.isfinite(number):
            raise _Bad(f"{shown} is not a finite number", fix)
        if self.whole and isinstance(number, float):
            if not number.is_integer():
                raise _Bad(
                    f"{shown} is not a whole number; expected "
                    f"{self.expected}",
                    fix,
                )
            number = int(number)
        if (
            (self.lo is not None and number < self.lo)
            or (self.lo is not None and self.lo_open and number == self.lo)
            or (self.hi is not None and number > self.hi)
            or (self.hi is not None and self.hi_open and number == self.hi)
        ):
            raise _Bad(f"{shown} is not {self.noun}; expected "
                       f"{self.expected}", fix)
        return number if self.whole else float(number)


def _constraints(model: type[BaseModel], name: str) -> dict[str, Any]:
    """Return the ``ge``/``gt``/``le``/``lt``/``max_length`` of a field."""
    info: FieldInfo = model.model_fields[name]
    found: dict[str, Any] = {}

    def visit(items: Iterable[object]) -> None:
        for item in items:
            for attr in ("ge", "gt", "le", "lt", "max_length"):
                value = getattr(item, attr, None)
                if value is not None:
                    found.setdefault(attr, value)

    visit(info.metadata)
    stack: list[Any] = [info.annotation]
    while stack:
        annotation = stack.pop()
        origin = get_origin(annotation)
        if origin is Annotated:
            args = get_args(annotation)
            visit(args[1:])
            stack.append(args[0])
        elif origin in (Union, types.UnionType):
            stack.extend(get_args(annotation))
    return found


def _rule(
    model: type[BaseModel], name: str, noun: str, fix: str = ""
) -> _Rule:
    """Return the rule of a numeric model field, from its own constraints."""
    bounds = _constraints(model, name)
    annotation = model.model_fields[name].annotation
    whole = annotation is int or int in get_args(annotation)
    return _Rule(
        noun=noun,
        whole=whole,
        lo=bounds.get("ge", bounds.get("gt")),
        hi=bounds.get("le", bounds.get("lt")),
        lo_open="gt" in bounds,
        hi_open="lt" in bounds,
        fix=fix,
    )


def _number(rule: _Rule) -> _Parser[Any]:
    return rule.check


def _identifier(noun: str, example: str) -> _Parser[str]:
    fix = f"{_ID_FIX} (e.g. {example})"

    def parse(value: object) -> str:
        if not isinstance(value, str):
            raise _Bad(f"{_show(value)} is not a valid {noun}", fix)
        text = _strip(value)
        if not text:
            raise _Bad(f"the {noun} is empty", f"give the {noun}")
        if len(text) > MAX_ID_LENGTH:
            raise _Bad(
                f"{_show(text)} is {len(text)} characters long; a {noun} "
                f"has at most {MAX_ID_LENGTH}",
                "use a shorter id (e.g. the ODS code)",
            )
        if not _ID_RE.fullmatch(text):
            raise _Bad(f"{_show(text)} is not a valid {noun}", fix)
        return text

    return parse


def _text(noun: str, max_length: int) -> _Parser[str]:
    def parse(value: object) -> str:
        if not isinstance(value, str):
            raise _Bad(
                f"{_show(value)} is not text", f"give the {noun} as text"
            )
        length = len(_strip(value))
        if length > max_length:
            raise _Bad(
                f"the {noun} is {length:,} characters long; the limit is "
                f"{max_length:,}",
                f"shorten the {noun}",
            )
        return value

    return parse


def _choice(choices: Sequence[str], noun: str) -> _Parser[str]:
    def parse(value: object) -> str:
        text = _strip(value) if isinstance(value, str) else None
        if text is not None:
            if text in choices:
                return text
            # Case does not matter ("Acute" is acute), unless two choices
            # differ only by case.
            folded = [c for c in choices if c.lower() == text.lower()]
            if len(folded) == 1:
                return folded[0]
        hint = _did_you_mean(text, choices) if text else ""
        raise _Bad(
            f"{_show(value)} is not {noun}; expected {_or_list(choices)}",
            f"use one of {', '.join(choices)}{hint}",
        )

    return parse


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise _Bad(
        f"{_show(value)} is not true or false",
        "write true or false, without quotes",
    )


def _date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(_strip(value))
        except ValueError:
            pass
    raise _Bad(
        f"{_show(value)} is not a date",
        "write the date as YYYY-MM-DD, e.g. 2025-04-01",
    )


def _or_none(parser: _Parser[_T]) -> _Parser[_T | None]:
    def parse(value: object) -> _T | None:
        if isinstance(value, str) and _strip(value).lower() == "none":
            return None
        try:
            return parser(value)
        except _Bad as bad:
            raise _Bad(
                bad.message + ', or "none"',
                bad.fix + ', or "none" for no limit',
            ) from None

    return parse


# Field rules, derived from the model's own constraints so the words and the
# model never disagree.
_LAT = _rule(
    Trust, "lat", "a latitude",
    "give degrees north (WGS84) of the main site, e.g. 52.41",
)
_LON = _rule(
    Trust, "lon", "a longitude",
    "give degrees east (WGS84; west is negative), e.g. -1.51",
)
_CAPACITY = _rule(
    Trust, "capacity", "a capacity",
    "give the workload units it can offer as a buddy; 0 = not a buddy",
)
_MAX_PARTNERS = _rule(
    Trust, "max_partners", "a partner limit",
    "give how many seekers it may support, or leave the cell empty for "
    "the policy's max_partners",
)
_CULTURE = _Rule(
    "a culture score", False, 0.0, CULTURE_MAX,
    fix=f"give a score from 0 to {_num(CULTURE_MAX)}, the scale of NHS "
    "Staff Survey theme scores",
)
_EXPERTISE = _Rule(
    "an expertise level", True, 0, EXPERTISE_MAX,
    fix=f"give a whole number from 0 (does not run the service) to "
    f"{EXPERTISE_MAX}",
)
_BUDDIES = _rule(
    Need, "buddies", "a number of buddies",
    "give how many distinct buddies this area needs (usually 1)",
)
_PRIORITY = _rule(
    Need, "priority", "a priority", "use 1, 2 or 3 (3 is most urgent)"
)
_SCORE = _rule(
    PairOverride, "score", "a score", "give a finite number of points"
)
_WORKLOAD = _rule(
    PairOverride, "workload", "a workload",
    "give the workload units the pair takes, a whole number 0 or more",
)
_MINUTES = _rule(
    TravelTime, "minutes", "a travel time",
    "give the travel time in minutes, 0 or more",
)
_NAME = _text("name", _constraints(Trust, "name")["max_length"])
_REGION = _text("region", _constraints(Trust, "region")["max_length"])
_NOTE = _text("note", _constraints(Relation, "note")["max_length"])
_TRUST_ID = _identifier("trust id", "an ODS code such as RXX")
_AREA = _identifier("area name", "finance or mental_health")
_DIMENSION = _identifier("culture dimension name", "openness")


# ---------------------------------------------------------------------------
# Items: one builder per kind, shared by the CSV and JSON readers
# ---------------------------------------------------------------------------

_FieldPlan = Mapping[str, tuple[_Parser[Any], bool]]


def _describe(error: Mapping[str, Any]) -> str:
    """Rephrase one pydantic error (a fallback: checks above come first)."""
    if error["type"] == "value_error":
        text = str(error.get("ctx", {}).get("error", error["msg"]))
    else:
        text = str(error["msg"])
    text = text[:1].lower() + text[1:]
    value = error.get("input")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return f"{_show(value)}: {text}"
    return text


def _report_validation(item: _Item, exc: ValidationError) -> None:
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        item.report(key, _describe(error), "correct the value")


def _build(
    item: _Item,
    model: type[_M],
    values: Mapping[str, object],
    plan: _FieldPlan,
    keys: Sequence[str],
    extra: Mapping[str, object] | None = None,
    filler: Mapping[str, object] | None = None,
) -> tuple[_M | None, _M | None]:
    """Check *values* by *plan*: return ``(item, None)`` or a stand-in.

    A stand-in (built without validation) is returned for a faulty item
    whose *keys* are sound, so whole-problem checks can still see it (and
    report, say, a duplicate id) without a second round of fixing.
    """
    data: dict[str, object] = dict(extra or {})
    for name, (parser, required) in plan.items():
        if name in values:
            parsed = item.parse(name, values[name], parser)
            if name not in item.bad:
                data[name] = parsed
        elif required and name not in item.bad:
            item.report(name, f"{name} is missing", f"give the {name}")
    if not item.bad:
        try:
            return model(**data), None
        except ValidationError as exc:
            _report_validation(item, exc)
    if item.bad.intersection(keys):
        return None, None
    fields: dict[str, Any] = {**(filler or {}), **data}
    return None, model.model_construct(**fields)


_TRUST_PLAN: _FieldPlan = {
    "id": (_TRUST_ID, True),
    "name": (_NAME, False),
    "kind": (_choice(TRUST_KINDS, "a trust kind"), False),
    "lat": (_number(_LAT), True),
    "lon": (_number(_LON), True),
    "region": (_REGION, False),
    "capacity": (_number(_CAPACITY), False),
    "max_partners": (_number(_MAX_PARTNERS), False),
}


def _build_trust(
    item: _Item,
    values: Mapping[str, object],
    culture: Mapping[str, object],
    expertise: Mapping[str, object],
) -> tuple[Trust | None, Trust | None]:
    scores: dict[str, float] = {}
    for dim, raw in culture.items():
        key = f"culture.{dim}"
        name = item.parse(key, dim, _DIMENSION)
        score = item.parse(key, raw, _number(_CULTURE))
        if name is not None:
            # A faulty score still names its dimension, so a stand-in keeps
            # the trust's set of dimensions whole.
            scores[name] = score if score is not None else 0.0
    levels: dict[str, int] = {}
    for area, raw in expertise.items():
        key = f"expertise.{area}"
        name = item.parse(key, area, _AREA)
        level = item.parse(key, raw, _number(_EXPERTISE))
        if name is not None:
            levels[name] = level if level is not None else 0
    return _build(
        item,
        Trust,
        values,
        _TRUST_PLAN,
        keys=("id",),
        extra={"culture": scores, "expertise": levels},
        filler={"lat": 0.0, "lon": 0.0},
    )


def _build_need(
    item: _Item, values: Mapping[str, object], tiers: Sequence[str]
) -> tuple[Need | None, Need | None]:
    plan: _FieldPlan = {
        "seeker": (_TRUST_ID, True),
        "area": (_AREA, True),
        "tier": (_choice(tiers, "a tier"), False),
        "buddies": (_number(_BUDDIES), False),
        "priority": (_number(_PRIORITY), False),
    }
    return _build(item, Need, values, plan, keys=("seeker", "area"))


_RELATION_PLAN: _FieldPlan = {
    "a": (_TRUST_ID, True),
    "b": (_TRUST_ID, True),
    "kind": (_choice(RELATION_KINDS, "a relation kind"), True),
    "area": (_AREA, False),
    "note": (_NOTE, False),
}
_OVERRIDE_PLAN: _FieldPlan = {
    "seeker": (_TRUST_ID, True),
    "area": (_AREA, True),
    "buddy": (_TRUST_ID, True),
    "score": (_number(_SCORE), False),
    "workload": (_number(_WORKLOAD), False),
}
_TRAVEL_PLAN: _FieldPlan = {
    "origin": (_TRUST_ID, True),
    "destination": (_TRUST_ID, True),
    "minutes": (_number(_MINUTES), True),
}


def _build_relation(
    item: _Item, values: Mapping[str, object]
) -> tuple[Relation | None, Relation | None]:
    return _build(
        item, Relation, values, _RELATION_PLAN, keys=("a", "b", "kind", "area")
    )


def _build_override(
    item: _Item, values: Mapping[str, object]
) -> tuple[PairOverride | None, PairOverride | None]:
    return _build(
        item,
        PairOverride,
        values,
        _OVERRIDE_PLAN,
        keys=("seeker", "area", "buddy"),
    )


def _build_travel(
    item: _Item, values: Mapping[str, object]
) -> tuple[TravelTime | None, TravelTime | None]:
    return _build(
        item,
        TravelTime,
        values,
        _TRAVEL_PLAN,
        keys=("origin", "destination", "minutes"),
    )


def _allowed_tiers(policy: Policy | None) -> tuple[str, ...]:
    return tuple(policy.tiers) if policy is not None else DEFAULT_TIER_NAMES


# ---------------------------------------------------------------------------
# The problem as a whole: items with their provenance
# ---------------------------------------------------------------------------

_SECTIONS = ("trusts", "needs", "relations", "overrides", "travel")
#: Fields that name a trust; an issue about one of them may be an echo of a
#: trust row that could not be read at all.
_ID_FIELDS = frozenset(
    {"seeker", "buddy", "a", "b", "origin", "destination"}
)


@dataclass
class _Loaded:
    """Items read so far, each with the site it came from.

    Faulty items with sound keys are kept as stand-ins: they take part in
    the whole-problem checks, but the read fails anyway (their faults are
    already reported).
    """

    items: dict[str, list[BaseModel]] = field(
        default_factory=lambda: {s: [] for s in _SECTIONS}
    )
    sites: dict[str, list[_Site]] = field(
        default_factory=lambda: {s: [] for s in _SECTIONS}
    )
    section_sites: dict[str, _Site] = field(default_factory=dict)
    has_travel: bool = False
    #: False when some input could not be read at all: whole-problem checks
    #: would then only echo that.
    complete: bool = True
    #: Ids of trust rows too broken to read (wrong number of cells).
    unsure_ids: set[str] = field(default_factory=set)
    #: True once a problem about the trusts as a whole was reported.
    trusts_reported: bool = False
    #: True once the needs of a trusts file went over the row limit.
    needs_refused: bool = False

    def add(
        self,
        section: str,
        built: tuple[BaseModel | None, BaseModel | None],
        site: _Site,
    ) -> None:
        good, stand_in = built
        item = good if good is not None else stand_in
        if item is not None:
            self.items[section].append(item)
            self.sites[section].append(site)

    def draft(self) -> Problem:
        """Return the problem built without validation (for the checks)."""
        return Problem.model_construct(**self._fields())

    def problem(self) -> Problem:
        return Problem(**self._fields())

    def _fields(self) -> dict[str, Any]:
        return {
            "trusts": tuple(self.items["trusts"]),
            "needs": tuple(self.items["needs"]),
            "relations": tuple(self.items["relations"]),
            "overrides": tuple(self.items["overrides"]),
            "travel": (
                tuple(self.items["travel"]) if self.has_travel else None
            ),
        }

    def is_echo(self, issue: Issue) -> bool:
        """Return whether *issue* only repeats a problem already reported."""
        path = issue.path
        if path == ("trusts",):
            return self.trusts_reported
        if len(path) == 3 and path[2] in _ID_FIELDS:
            section, index, name = path
            item = self.items[str(section)][int(index)]
            return getattr(item, str(name), None) in self.unsure_ids
        return False

    def locate(self, issue: Issue) -> tuple[str, Line, str | None]:
        path = issue.path
        section = str(path[0])
        if len(path) >= 2 and isinstance(path[1], int):
            site = self.sites[section][path[1]]
            key = ".".join(str(part) for part in path[2:])
        else:
            site = self.section_sites.get(section) or next(
                iter(self.section_sites.values())
            )
            key = ".".join(str(part) for part in path[1:])
        line, column = site.at(key)
        return site.file, line, column


def _assemble(loaded: _Loaded, problems: _Problems) -> Problem:
    """Run the whole-problem checks; return the validated problem or raise."""
    if loaded.complete:
        for issue in problem_issues(loaded.draft()):
            if not loaded.is_echo(issue):
                file, line, column = loaded.locate(issue)
                problems.add(file, line, column, issue.message, issue.fix)
    if problems:
        raise problems.error()
    try:
        return loaded.problem()
    except ValidationError as exc:  # pragma: no cover - checks above agree
        site = next(iter(loaded.section_sites.values()))
        for error in exc.errors():
            problems.add(
                site.file, None, None, _describe(error), "correct the input"
            )
        raise problems.error() from None


# ---------------------------------------------------------------------------
# Reading files: size, encoding
# ---------------------------------------------------------------------------


def _read_text(
    file: str,
    problems: _Problems,
    limit: int | None = None,
    limit_name: str = "MAX_FILE_BYTES, 100 MB",
) -> str | None:
    """Return the text of *file*, or None after reporting why not.

    *limit* is the largest size read, in bytes (default
    :data:`MAX_FILE_BYTES`, looked up at call time); *limit_name* names it
    in the message.
    """
    try:
        info = os.stat(file)
    except FileNotFoundError:
        problems.add(
            file, None, None, "file not found",
            "check the path and the file name",
        )
        return None
    except OSError as exc:
        problems.add(
            file, None, None, f"cannot open the file: {exc.strerror or exc}",
            "check the path and that you may read the file",
        )
        return None
    if stat.S_ISDIR(info.st_mode):
        problems.add(
            file, None, None, "this is a folder, not a file",
            "give the path of the file itself",
        )
        return None
    if limit is None:
        limit = MAX_FILE_BYTES
    too_big = (
        f"the file is larger than the limit of {limit:,} bytes "
        f"({limit_name})"
    )
    split = "split the input, or leave out data the matching does not use"
    # The size is checked before reading, so a huge file costs nothing.
    if info.st_size > limit:
        problems.add(file, None, None, too_big, split)
        return None
    try:
        with open(file, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        problems.add(
            file, None, None, f"cannot read the file: {exc.strerror or exc}",
            "check that you may read the file",
        )
        return None
    if len(data) > limit:  # it grew after the check, or is not a file
        problems.add(file, None, None, too_big, split)
        return None
    return _decode(file, data, problems)


def _decode(file: str, data: bytes, problems: _Problems) -> str | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.add(
            file, line, None,
            f"not UTF-8 text (byte 0x{data[exc.start]:02X} cannot be read)",
            _SAVE_AS_UTF8,
        )
        return None
    nul = text.find("\x00")
    if nul >= 0:
        problems.add(
            file, text.count("\n", 0, nul) + 1, None,
            "not UTF-8 text: it holds NUL characters, so it is binary "
            "data, not a text file",
            _SAVE_AS_UTF8,
        )
        return None
    return text


# ---------------------------------------------------------------------------
# CSV: records, header, rows
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _CsvKind:
    """The columns one kind of CSV file may have."""

    what: str
    names: tuple[str, ...]  # every fixed column, in the written order
    required: tuple[str, ...]
    prefixes: Mapping[str, str] = field(default_factory=dict)

    def listing(self) -> str:
        """The columns in words, e.g. ``a, b, kind, area, note``."""
        shown = [*self.names, *(p + w for p, w in self.prefixes.items())]
        return ", ".join(shown)


_TRUSTS_COLUMNS = (
    "id", "name", "kind", "lat", "lon", "region", "capacity", "max_partners",
    "needs",
)
_TRUSTS_CSV = _CsvKind(
    "trusts",
    _TRUSTS_COLUMNS,
    required=("id", "kind", "lat", "lon"),
    prefixes={"culture_": "<dimension>", "expertise_": "<area>"},
)
_RELATIONS_CSV = _CsvKind(
    "relations",
    ("a", "b", "kind", "area", "note"),
    required=("a", "b", "kind"),
)
_PAIRS_CSV = _CsvKind(
    "pairs",
    ("seeker", "area", "buddy", "score", "workload"),
    required=("seeker", "area", "buddy"),
)
_TRAVEL_CSV = _CsvKind(
    "travel matrix",
    ("origin", "destination", "minutes"),
    required=("origin", "destination", "minutes"),
)
_PREFIX_NOUNS = {"culture_": _DIMENSION, "expertise_": _AREA}


class _Record(NamedTuple):
    line: int  # physical line the record starts on
    end: int  # physical line it ends on
    cells: list[str]


@dataclass
class _Table:
    """A CSV file read into records, with its header understood."""

    file: str
    kind: _CsvKind
    header: list[str]
    columns: dict[str, int]  # canonical column name -> cell index
    missing: tuple[str, ...]  # required columns the header lacks
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    broken: list[list[str]] = field(default_factory=list)

    def names(self, prefix: str) -> list[str]:
        """Return the names after *prefix* in the header, in order."""
        return [
            name.removeprefix(prefix)
            for name in self.columns
            if name.startswith(prefix)
        ]


# A physical line with its line end: CR, LF or CRLF, as ``newline=""``
# splits them (so the reader's line_num counts physical lines).
_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


class _LineTooLong(Exception):
    """A physical line longer than any record within the limits."""

    def __init__(self, line: int, length: int) -> None:
        super().__init__(line, length)
        self.line = line
        self.length = length


def _physical_lines(text: str, longest: int) -> Iterator[str]:
    """Yield the lines of *text*; raise :class:`_LineTooLong` on a long one.

    A generator over *text* itself, not an ``io.StringIO`` copy (four
    bytes a character), so reading stops early at no cost for the rest,
    and one line of millions of commas never reaches the CSV parser.
    """
    for number, match in enumerate(_PHYSICAL_LINE.finditer(text), start=1):
        if match.end() - match.start() > longest:
            raise _LineTooLong(number, match.end() - match.start())
        yield match.group()


def _csv_records(
    file: str, text: str, problems: _Problems
) -> list[_Record] | None:
    """Split *text* into non-blank records, each with its physical line.

    Stops at the first limit crossed (rows, columns, cells, or a line no
    record within the limits could fill), so a huge file costs no more
    than the part read.
    """
    # No record within the limits is longer: MAX_COLUMNS quoted cells of
    # MAX_FIELD_CHARS characters, with their commas.
    longest = MAX_COLUMNS * (MAX_FIELD_CHARS + 3)
    reader = csv.reader(_physical_lines(text, longest))
    records: list[_Record] = []
    limit = MAX_ROWS + 1  # the header and MAX_ROWS data rows
    cells_read = 0
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except _LineTooLong as exc:
            problems.add(
                file, exc.line, None,
                f"the line is {exc.length:,} characters long, more than a "
                f"row can be within the limits of {MAX_COLUMNS:,} columns "
                f"(MAX_COLUMNS) of {MAX_FIELD_CHARS:,} characters "
                "(MAX_FIELD_CHARS)",
                "check that the file is a CSV file with one row a line",
            )
            return None
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                message = (
                    f"a cell is longer than the limit of "
                    f"{MAX_FIELD_CHARS:,} characters (MAX_FIELD_CHARS)"
                )
                fix = (
                    "shorten the cell; check for a quote (\") that is "
                    "never closed"
                )
            else:
                message = f"cannot read this row as CSV ({exc})"
                fix = "check the quotes and separators of this row"
            problems.add(file, line, None, message, fix)
            return None
        # Blank lines and rows of empty cells (which spreadsheets write
        # after the data) carry nothing, so skipping them drops nothing;
        # their cells still count towards the limit, as reading them
        # costs the same.
        blank = not _strip("".join(cells))
        if not blank and not records and len(cells) > MAX_COLUMNS:
            problems.add(
                file, line, None,
                f"the header has {len(cells):,} columns; the limit is "
                f"{MAX_COLUMNS:,} (MAX_COLUMNS)",
                "delete the columns the matching does not use",
            )
            return None
        cells_read += len(cells)
        if cells_read > MAX_CELLS:
            problems.add(
                file, None, None,
                f"the file has more than {MAX_CELLS:,} cells (rows times "
                "columns), the limit (MAX_CELLS)",
                "split the input, or leave out data the matching does "
                "not use",
            )
            return None
        if blank:
            continue
        records.append(_Record(line, reader.line_num, cells))
        if len(records) > limit:
            problems.add(
                file, None, None,
                f"the file has more than {MAX_ROWS:,} rows, the limit "
                "(MAX_ROWS)",
                "split the input, or leave out rows the matching does "
                "not use",
            )
            return None
    return records


def _canonical_column(
    name: str, kind: _CsvKind
) -> tuple[str | None, _Bad | None]:
    """Return the canonical name of header cell *name* (case-insensitive)."""
    lowered = name.lower()
    if lowered in kind.names:
        return lowered, None
    for prefix in kind.prefixes:
        if lowered.startswith(prefix):
            suffix = name[len(prefix):]
            try:
                return prefix + _PREFIX_NOUNS[prefix](suffix), None
            except _Bad as bad:
                return None, _Bad(f"column {name!r}: {bad.message}", bad.fix)
    return None, None


def _read_csv(
    path: StrPath, kind: _CsvKind, problems: _Problems
) -> _Table | None:
    """Read a CSV file of *kind*; report problems of the file and header."""
    file = os.fspath(path)
    text = _read_text(file, problems)
    if text is None:
        return None
    records = _csv_records(file, text, problems)
    if records is None:
        return None
    if not records:
        problems.add(
            file, None, None, "the file is empty",
            f"start the file with a header row naming its columns: "
            f"{kind.listing()}",
        )
        return None
    header_line, _, header = records[0]
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = _strip(raw)
        if not name:
            problems.add(
                file, header_line, None,
                f"column {index + 1} of the header has no name",
                "name the column, or delete it if it is empty",
            )
            continue
        canonical, bad = _canonical_column(name, kind)
        if bad is not None:
            problems.add(file, header_line, name, bad.message, bad.fix)
        elif canonical is None:
            hint = _did_you_mean(
                name.lower(), [*kind.names, *kind.prefixes]
            )
            problems.add(
                file, header_line, name, f"unknown column {name!r}",
                f"rename or delete it{hint}; the {kind.what} columns are "
                f"{kind.listing()}",
            )
        elif canonical in columns:
            problems.add(
                file, header_line, canonical,
                f"column {canonical!r} appears more than once",
                "keep one column of each name",
            )
        else:
            columns[canonical] = index
    problems.columns[file] = columns
    missing = tuple(c for c in kind.required if c not in columns)
    for name in missing:
        problems.add(
            file, header_line, name, f"the header has no {name!r} column",
            f"add a {name!r} column; the {kind.what} file needs "
            f"{', '.join(kind.required)}",
        )
    table = _Table(
        file, kind, [_strip(h) for h in header], columns, missing
    )
    for record in records[1:]:
        _table_row(table, record, problems)
    return table


def _table_row(table: _Table, record: _Record, problems: _Problems) -> None:
    """Add *record* to the table's rows, or report it and keep it aside."""
    line, end, cells = record
    if len(cells) != len(table.header):
        fix = (
            "give every row one cell per header column; put a cell that "
            "holds a comma in double quotes"
        )
        if end > line:
            fix += (
                f"; the quoted cell starting here runs to line {end}: "
                "check for a quote (\") that is never closed"
            )
        problems.add(
            table.file, line, None,
            f"this row has {len(cells)} cells, but the header has "
            f"{len(table.header)} columns",
            fix,
        )
        table.broken.append(cells)
        return
    too_long = False
    for index, cell in enumerate(cells):
        if len(cell) > MAX_FIELD_CHARS:
            problems.add(
                table.file, line, table.header[index] or None,
                f"the cell is {len(cell):,} characters long; the limit is "
                f"{MAX_FIELD_CHARS:,} (MAX_FIELD_CHARS)",
                "shorten the cell",
            )
            too_long = True
    if too_long:
        table.broken.append(cells)
        return
    table.rows.append(
        (line, {name: cells[i] for name, i in table.columns.items()})
    )


def _unescape_text(text: str) -> str:
    """Undo :func:`_escape_text`: drop the apostrophe the writers add."""
    if len(text) > 1 and text[0] == "'" and text[1] in _ESCAPED_STARTS:
        return text[1:]
    return text


def _row_values(
    item: _Item,
    table: _Table,
    cells: Mapping[str, str],
    names: Iterable[str],
    text_fields: Iterable[str] = (),
) -> dict[str, object]:
    """Return the non-empty cells of *names*; an empty cell takes the default.

    An empty cell of a required column is reported here; a required column
    the header lacks is already reported, so its fields are only marked bad.
    """
    texts = set(text_fields)
    values: dict[str, object] = {}
    for name in table.missing:
        item.bad.add(name)
    for name in names:
        if name not in cells:
            continue
        cell = _strip(cells[name])
        if not cell:
            if name not in table.kind.required:
                continue
            item.report(
                name, f"the {name} cell is empty", f"give the {name}"
            )
            continue
        values[name] = _unescape_text(cell) if name in texts else cell
    return values



# -- trusts.csv -------------------------------------------------------------


def _load_trusts_csv(
    path: StrPath,
    loaded: _Loaded,
    problems: _Problems,
    tiers: Sequence[str],
) -> None:
    table = _read_csv(path, _TRUSTS_CSV, problems)
    if table is None:
        loaded.complete = False
        return
    file = table.file
    loaded.section_sites["trusts"] = _CsvSite(file)
    loaded.section_sites["needs"] = _CsvSite(file, default_column="needs")
    if "id" in table.missing:
        loaded.complete = False
    dims = table.names("culture_")
    areas = table.names("expertise_")
    columns: dict[str, str] = {
        name: name for name in table.columns if name in _TRUSTS_COLUMNS
    }
    columns.update({f"culture.{d}": f"culture_{d}" for d in dims})
    columns.update({f"expertise.{a}": f"expertise_{a}" for a in areas})
    for line, cells in table.rows:
        site = _CsvSite(file, line, columns)
        item = _Item(site, problems)
        values = _row_values(
            item, table, cells, _TRUST_PLAN, text_fields=("name", "region")
        )
        culture: dict[str, object] = {}
        for dim in dims:
            cell = _strip(cells[f"culture_{dim}"])
            if cell:
                culture[dim] = cell
            else:
                item.report(
                    f"culture.{dim}",
                    "the culture score is empty; every trust needs a score "
                    "for each culture dimension",
                    f"give a score from 0 to {_num(CULTURE_MAX)}, or delete "
                    "the column for every trust",
                )
                culture[dim] = 0.0  # keeps the dimension in a stand-in
        # An empty expertise cell means the trust does not run the service
        # (or there is no data): level 0, which never qualifies a buddy.
        expertise: dict[str, object] = {
            area: _strip(cells[f"expertise_{area}"]) or 0 for area in areas
        }
        built = _build_trust(item, values, culture, expertise)
        loaded.add("trusts", built, site)
        if built[0] is None:
            loaded.trusts_reported = True
        trust = built[0] if built[0] is not None else built[1]
        needs = _strip(cells.get("needs", ""))
        if needs:
            seeker = trust.id if trust is not None else None
            _load_needs_cell(
                file, line, needs, seeker, tiers, loaded, problems
            )
    id_index = table.columns.get("id")
    for raw in table.broken:
        loaded.trusts_reported = True
        if id_index is not None and id_index < len(raw):
            loaded.unsure_ids.add(_strip(raw[id_index]))
    if not table.rows and not table.broken and not table.missing:
        problems.add(
            file, None, None, "the file has a header but no trust rows",
            "add one row per trust; a file with no trust rows is an error",
        )
        loaded.trusts_reported = True


_NEED_PARTS = ("area", "tier", "buddies", "priority")


def _load_needs_cell(
    file: str,
    line: int,
    text: str,
    seeker: str | None,
    tiers: Sequence[str],
    loaded: _Loaded,
    problems: _Problems,
) -> None:
    """Read a ``needs`` cell: ``area[:tier[:buddies[:priority]]]`` by ``;``."""
    site = _CsvSite(file, line, default_column="needs")
    # Empty tokens ("finance;" or ";;") name nothing, so they are skipped.
    tokens = [token for token in map(_strip, text.split(";")) if token]
    if len(tokens) > MAX_NEEDS_PER_CELL:
        problems.add(
            file, line, "needs",
            f"the cell lists {len(tokens):,} needs; the limit is "
            f"{MAX_NEEDS_PER_CELL} per trust (MAX_NEEDS_PER_CELL)",
            "list fewer needs; each need is one area of the trust",
        )
        return
    if loaded.needs_refused:
        return
    if len(loaded.items["needs"]) + len(tokens) > MAX_ROWS:
        # Needs are the rows of a table kept in one column, so they have
        # the row limit (as the needs list of a JSON problem has): up to
        # MAX_NEEDS_PER_CELL per row, they could be a hundred times more.
        problems.add(
            file, line, "needs",
            f"the file lists more than {MAX_ROWS:,} needs in all, the "
            "limit (MAX_ROWS), from this row on",
            "split the input, or leave out needs the matching does not "
            "use",
        )
        loaded.needs_refused = True
        loaded.complete = False
        return
    for token in tokens:
        item = _Item(site, problems, prefix=f"need {token!r}: ")
        parts = token.split(":")
        if len(parts) > len(_NEED_PARTS):
            item.report(
                "",
                f"has {len(parts)} parts; expected "
                "area[:tier[:buddies[:priority]]]",
                "separate needs with ';' and the parts of one need with "
                "':', e.g. finance:programme:1:3",
            )
            continue
        values: dict[str, object] = {
            name: _strip(part)
            for name, part in zip(_NEED_PARTS, parts, strict=False)
            if _strip(part)
        }
        if "area" not in values:
            item.report(
                "area", "names no area",
                "start each need with its area, e.g. finance:programme",
            )
        if seeker is None:
            item.bad.add("seeker")  # the trust's id is reported already
        else:
            values["seeker"] = seeker
        loaded.add("needs", _build_need(item, values, tiers), site)


# -- relations.csv, pairs.csv, travel matrix --------------------------------


def _load_leaf_csv(
    path: StrPath,
    kind: _CsvKind,
    section: str,
    build: Callable[
        [_Item, Mapping[str, object]],
        tuple[BaseModel | None, BaseModel | None],
    ],
    loaded: _Loaded,
    problems: _Problems,
    text_fields: Iterable[str] = (),
) -> None:
    """Read a file whose rows no other file refers to (all but trusts)."""
    table = _read_csv(path, kind, problems)
    if table is None:
        return
    loaded.section_sites[section] = _CsvSite(table.file)
    if section == "travel":
        loaded.has_travel = True
    columns = {name: name for name in table.columns}
    for line, cells in table.rows:
        site = _CsvSite(table.file, line, columns)
        item = _Item(site, problems)
        values = _row_values(item, table, cells, kind.names, text_fields)
        loaded.add(section, build(item, values), site)


def read_problem(
    trusts: StrPath,
    relations: StrPath | None = None,
    pairs: StrPath | None = None,
    travel_matrix: StrPath | None = None,
    *,
    policy: Policy | None = None,
) -> Problem:
    """Read a problem from the trusts CSV and the optional other files.

    Parameters
    ----------
    trusts
        The wide trusts file: ``id, name, kind, lat, lon, region,
        capacity, max_partners, needs, culture_<dimension>...,
        expertise_<area>...`` (column order free; ``id``, ``kind``,
        ``lat`` and ``lon`` required).
    relations
        Optional relations file: ``a, b, kind[, area][, note]``.
    pairs
        Optional pair overrides: ``seeker, area, buddy[, score][,
        workload]``.
    travel_matrix
        Optional travel times: ``origin, destination, minutes``; it becomes
        :attr:`Problem.travel <buddymatch.model.Problem.travel>`.
    policy
        When given, need tiers must be among ``policy.tiers``; otherwise
        among ``light``, ``programme`` and ``intensive``.

    Returns
    -------
    Problem
        The validated problem.

    Raises
    ------
    InputError
        Listing every problem of every file (file, physical line, column,
        message and fix); see ``docs/formats.md``.
    """
    problems = _Problems()
    loaded = _Loaded()
    _load_trusts_csv(trusts, loaded, problems, _allowed_tiers(policy))
    if relations is not None:
        _load_leaf_csv(
            relations, _RELATIONS_CSV, "relations", _build_relation,
            loaded, problems, text_fields=("note",),
        )
    if pairs is not None:
        _load_leaf_csv(
            pairs, _PAIRS_CSV, "overrides", _build_override, loaded, problems
        )
    if travel_matrix is not None:
        _load_leaf_csv(
            travel_matrix, _TRAVEL_CSV, "travel", _build_travel,
            loaded, problems,
        )
    return _assemble(loaded, problems)


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------

_JSON_FIELDS: dict[str, type[BaseModel]] = {
    "trusts": Trust,
    "needs": Need,
    "relations": Relation,
    "overrides": PairOverride,
    "travel": TravelTime,
}


def json_value_bound(text: str) -> int:
    """Return an upper bound of the number of values in JSON *text*.

    Every value but the first follows a comma or opens an object or a
    list, so counting those characters (in strings too, which only
    over-counts) bounds the values before the text is decoded: decoding
    costs memory per value, tens of bytes for an empty object.

    Parameters
    ----------
    text
        JSON text.

    Returns
    -------
    int
        At least the number of values (objects, lists, keys' values and
        items) the text holds.
    """
    return 1 + text.count(",") + text.count("[") + text.count("{")


def _json_key(key: str) -> str:
    """Return *key* as a part of a field path; ``""`` for the empty key,
    which would otherwise vanish from the path (and leave a top-level
    problem without a place)."""
    return key if key else '""'


class _JsonReader:
    """Walks decoded JSON, checking each object like a CSV row."""

    def __init__(
        self, file: str, problems: _Problems, tiers: Sequence[str]
    ) -> None:
        self.file = file
        self.problems = problems
        self.tiers = tiers
        self.loaded = _Loaded()
        #: Keys given twice in one object, by the object's id(): json keeps
        #: the last silently, so the decoder hook records them (with the
        #: object itself, so its id cannot be reused by another).
        self.repeated: dict[int, tuple[object, list[str]]] = {}

    def decode(self, text: str) -> object:
        def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            obj: dict[str, Any] = {}
            for key, value in pairs:
                if key in obj:
                    self.repeated.setdefault(id(obj), (obj, []))[1].append(key)
                obj[key] = value
            return obj

        return json.loads(text, object_pairs_hook=hook)

    def fields(
        self,
        item: _Item,
        obj: Mapping[str, Any],
        allowed: Iterable[str],
    ) -> dict[str, object]:
        """Return the non-null fields of *obj*, reporting unknown keys."""
        names = list(allowed)
        for key in self.repeated.get(id(obj), (obj, []))[1]:
            item.report(
                _json_key(key),
                f"{_show(key)} is given more than once in this object",
                "give each field once",
            )
        values: dict[str, object] = {}
        for key, value in obj.items():
            if key not in names:
                item.report(
                    _json_key(key), f"unknown field {_show(key)}",
                    f"rename or delete it{_did_you_mean(key, names)}; the "
                    f"fields are {', '.join(names)}",
                )
            elif value is not None:
                values[key] = value
        return values

    def mapping(
        self, item: _Item, key: str, value: object
    ) -> Mapping[str, object]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            item.report(
                key, f"{_show(value)} is not an object",
                f"give {key} as an object of name: value",
            )
            return {}
        for repeated in self.repeated.get(id(value), (value, []))[1]:
            item.report(
                f"{key}.{repeated}",
                f"{repeated!r} is given more than once",
                "give each name once",
            )
        return value

    def read(self, data: object) -> None:
        loaded = self.loaded
        root = _JsonSite(self.file)
        for section in _SECTIONS:
            loaded.section_sites[section] = _JsonSite(self.file, section)
        if not isinstance(data, dict):
            self.problems.add(
                self.file, None, None,
                f"the document is {_show(data)}, not an object",
                "give an object with trusts, needs, relations, overrides "
                "and travel",
            )
            loaded.complete = False
            return
        top = _Item(root, self.problems)
        self.fields(top, data, _SECTIONS)
        if "trusts" not in data:
            top.report(
                "trusts", "the problem has no trusts list",
                "add \"trusts\": [...] with one object per trust",
            )
            loaded.complete = False
        for section in _SECTIONS:
            value = data.get(section)
            if value is None:
                continue
            if not isinstance(value, list):
                top.report(
                    section, f"{_show(value)} is not a list",
                    f"give {section} as a list of objects",
                )
                if section == "trusts":
                    loaded.complete = False
                continue
            if len(value) > MAX_ROWS:
                # As for the rows of a CSV file; each item would be
                # checked and could add problems of its own.
                top.report(
                    section,
                    f"the list has {len(value):,} items; the limit is "
                    f"{MAX_ROWS:,} (MAX_ROWS)",
                    "split the input, or leave out items the matching "
                    "does not use",
                )
                loaded.complete = False
                continue
            if section == "travel":
                loaded.has_travel = True
            for index, obj in enumerate(value):
                self.item(section, index, obj)

    def item(self, section: str, index: int, obj: object) -> None:
        site = _JsonSite(self.file, f"{section}.{index}")
        item = _Item(site, self.problems)
        if not isinstance(obj, dict):
            item.report(
                "", f"{_show(obj)} is not an object",
                "give each item as an object of field: value",
            )
            if section == "trusts":
                self.loaded.trusts_reported = True
                self.loaded.complete = False
            return
        model = _JSON_FIELDS[section]
        values = self.fields(item, obj, model.model_fields)
        built: tuple[BaseModel | None, BaseModel | None]
        if section == "trusts":
            culture = self.mapping(item, "culture", values.pop("culture", {}))
            expertise = self.mapping(
                item, "expertise", values.pop("expertise", {})
            )
            built = _build_trust(item, values, culture, expertise)
            if built[0] is None:
                self.loaded.trusts_reported = True
        elif section == "needs":
            built = _build_need(item, values, self.tiers)
        elif section == "relations":
            built = _build_relation(item, values)
        elif section == "overrides":
            built = _build_override(item, values)
        else:
            built = _build_travel(item, values)
        self.loaded.add(section, built, site)


def read_problem_json(
    path_or_text: StrPath, *, policy: Policy | None = None
) -> Problem:
    """Read a problem from JSON, as :func:`write_problem_json` writes it.

    Parameters
    ----------
    path_or_text
        A path, or the JSON text itself (a string starting with ``{``).
    policy
        When given, need tiers must be among ``policy.tiers``; otherwise
        among the default tier names.

    Returns
    -------
    Problem
        The validated problem.

    Raises
    ------
    InputError
        Listing every problem; ``line`` is the field path (e.g.
        ``"trusts.3.lat"``), or the physical line of a JSON syntax error.
    """
    problems = _Problems()
    text: str | None
    if isinstance(path_or_text, str) and path_or_text.lstrip().startswith(
        ("{", "[")
    ):
        file, text = "<json>", path_or_text
    else:
        file = os.fspath(path_or_text)
        text = _read_text(file, problems)
        if text is None:
            raise problems.error()
    if json_value_bound(text) > MAX_JSON_VALUES:
        problems.add(
            file, None, None,
            f"the JSON holds more than {MAX_JSON_VALUES:,} values, the "
            "limit (MAX_JSON_VALUES)",
            "split the input, or leave out data the matching does not use",
        )
        raise problems.error()
    reader = _JsonReader(file, problems, _allowed_tiers(policy))
    try:
        data = reader.decode(text)
    except json.JSONDecodeError as exc:
        problems.add(
            file, exc.lineno, None,
            f"not valid JSON: {exc.msg} (column {exc.colno})",
            "correct the JSON syntax, e.g. a missing comma or quote",
        )
        raise problems.error() from None
    except (ValueError, RecursionError) as exc:
        # Numbers of thousands of digits, or lists nested thousands deep.
        problems.add(
            file, None, None, f"cannot read the JSON: {exc}",
            "write numbers of ordinary size and nest lists only as the "
            "format does",
        )
        raise problems.error() from None
    reader.read(data)
    return _assemble(reader.loaded, problems)


# ---------------------------------------------------------------------------
# TOML policy
# ---------------------------------------------------------------------------

_TOML_BARE = r"[A-Za-z0-9_-]+"
_TOML_KEY = rf"(?:{_TOML_BARE}|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
_TOML_DOTTED = rf"{_TOML_KEY}(?:\s*\.\s*{_TOML_KEY})*"
_TOML_TABLE = re.compile(rf"\s*\[\[?\s*({_TOML_DOTTED})\s*\]")
_TOML_ASSIGN = re.compile(rf"\s*({_TOML_DOTTED})\s*=")
_TOML_PART = re.compile(_TOML_KEY)
_TOML_ERROR_AT = re.compile(
    r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)"
)


_TOML_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_TOML_SIMPLE_ESCAPES = {
    "b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"',
    "\\": "\\",
}


def _toml_unescape(body: str) -> str:
    """Decode the escapes of a TOML basic string (a quoted key)."""

    def decode(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        if code is not None:
            try:
                return chr(int(code, 16))
            except ValueError:  # beyond Unicode: tomllib refused it anyway
                return match.group(0)
        return _TOML_SIMPLE_ESCAPES.get(match.group(3), match.group(0))

    return _TOML_ESCAPE.sub(decode, body)


def _toml_parts(dotted: str) -> tuple[str, ...]:
    parts = []
    for match in _TOML_PART.finditer(dotted):
        part = match.group(0)
        if part[0] == '"':
            # As tomllib decodes it, so the key is found by its line.
            parts.append(_toml_unescape(part[1:-1]))
        elif part[0] == "'":
            parts.append(part[1:-1])
        else:
            parts.append(part)
    return tuple(parts)


def _toml_open_string(text: str, quote: str | None) -> str | None:
    """Return the multi-line string delimiter open at the end of *text*.

    *text* is one line, and *quote* the delimiter (three double or three
    single quotes) open at its start, if any.  Strings are skipped as TOML
    reads them (escapes in basic strings; up to two quotes just inside a
    closing delimiter), and so are comments.
    """
    i, n = 0, len(text)
    while i < n:
        if quote is not None:
            # Inside a multi-line string: a run of three or more of its
            # quotes (not escaped) closes it.
            mark = quote[0]
            while i < n and not text.startswith(quote, i):
                i += 2 if mark == '"' and text[i] == "\\" else 1
            if i >= n:
                return quote
            while i < n and text[i] == mark:
                i += 1
            quote = None
            continue
        char = text[i]
        if char == "#":
            return None
        if text.startswith(('"""', "'''"), i):
            quote = text[i : i + 3]
            i += 3
        elif char == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif char == "'":
            end = text.find("'", i + 1)
            i = n if end < 0 else end + 1
        else:
            i += 1
    return quote


#: What the nesting scan stops at; other characters only fill keys and
#: values.  Strings are matched whole (``_TOML_STRING``).
_TOML_SIGNIFICANT = re.compile(r"[\"'#\[\]{}=,.\n]")
_TOML_STRING = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|'
    r"'''(?:[^']|'(?!''))*'''|"
    r'"(?:[^"\\\n]|\\.)*"?|'
    r"'[^'\n]*'?",
    re.DOTALL,
)


def _toml_too_deep(text: str, limit: int) -> tuple[int, int] | None:
    """Return where *text* first nests deeper than *limit* levels.

    Counted on the raw text, without parsing, in one pass over the
    characters that matter.  A top-level key is at depth 1; each part of
    a dotted key or a table header one deeper (``[tiers.light]`` then
    ``workload`` is 3); an array of tables, and each inline array, adds
    one for its items; an inline table's keys are one deeper than the
    key it is the value of.  No more than the open inline arrays and
    tables are held, so a refused file costs little; syntax errors are
    left to the parser.

    Parameters
    ----------
    text
        The TOML text.
    limit
        The deepest nesting allowed.

    Returns
    -------
    tuple of int, or None
        (line, column), both from 1, of the dot, bracket or ``=`` where
        the nesting first goes beyond *limit*; None when it never does.
    """
    line, line_start = 1, 0
    table = 0  # depth of the current [table]: its keys are one deeper
    level = 0  # depth of what holds the key or value being read
    opened: list[tuple[str, int]] = []  # inline [ and {, with their level
    parts: int | None = 1  # parts of the key being read; None in a value
    header = False
    i, n = 0, len(text)
    while True:
        match = _TOML_SIGNIFICANT.search(text, i)
        if match is None:
            return None
        i = match.start()
        char = text[i]
        if char in "\"'":
            string = _TOML_STRING.match(text, i)
            end = string.end() if string else i + 1
            if end - i >= 6 and text.startswith(char * 3, i):
                # Up to two quotes may sit just inside a closing """.
                while end < n and end - i < 8 and text[end] == char:
                    end += 1
            newlines = text.count("\n", i, end)
            if newlines:
                line += newlines
                line_start = text.rfind("\n", i, end) + 1
            i = end
            continue
        if char == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        i += 1
        depth = 0
        if char == "\n":
            line, line_start = line + 1, i
            if not opened:  # a new statement: a key or a header
                level, parts, header = table, 1, False
        elif parts is not None:  # reading a key (or a header)
            if char == "[" and not opened and not header and level == table:
                header, level = True, 0
                if text.startswith("[", i):
                    level, i = 1, i + 1
            elif char == ".":
                parts += 1
                depth = level + parts
            elif char == "=" and not header:
                level, parts = level + parts, None
                depth = level
            elif char == "]" and header:
                table, parts = level + parts, None
                depth = table
            elif char == "}" and opened and opened[-1][0] == "{":
                level, parts = opened.pop()[1], None
        elif char == "[":
            opened.append((char, level))
            level += 1
            depth = level
        elif char == "{":
            opened.append((char, level))
            parts = 1
        elif char in "]}" and opened:
            level = opened.pop()[1]
        elif char == "," and opened:
            kind, outer = opened[-1]
            if kind == "{":
                level, parts = outer, 1
        if depth > limit:
            return line, i - line_start


def _toml_key_lines(text: str) -> dict[str, int]:
    """Return the line of each key path in *text* (tomllib gives none).

    Paths are keyed by their parts joined with dots.  Tables set the
    prefix of the keys below them; dotted keys also record their prefixes.
    Lines inside multi-line strings are skipped.
    """
    lines: dict[str, int] = {}
    table: tuple[str, ...] = ()
    quote: str | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        if quote is not None:
            quote = _toml_open_string(raw, quote)
            continue
        path: tuple[str, ...] = ()
        rest = raw
        table_match = _TOML_TABLE.match(raw)
        if table_match:
            table = path = _toml_parts(table_match.group(1))
            rest = raw[table_match.end():]
        else:
            assign = _TOML_ASSIGN.match(raw)
            if assign:
                path = table + _toml_parts(assign.group(1))
                rest = raw[assign.end():]
        for end in range(1, len(path) + 1):
            lines.setdefault(".".join(path[:end]), number)
        # Any line may open a multi-line string (a value, or an item of
        # an array spread over lines); a count of delimiters is fooled by
        # quotes inside strings and comments.
        quote = _toml_open_string(rest, None)
    return lines


def _policy_field(name: str) -> tuple[Any, bool]:
    """Return the base type of policy field *name* and whether it is
    switchable off (``None``, written ``"none"``)."""
    annotation: Any = Policy.model_fields[name].annotation
    if get_origin(annotation) in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return options[0], options[0] in (int, float)
    return annotation, False


def _policy_parser(name: str) -> _Parser[Any]:
    """Return the parser of policy key *name*, from the model's field."""
    annotation, switchable = _policy_field(name)
    parser: _Parser[Any]
    if get_origin(annotation) is Literal:
        parser = _choice(get_args(annotation), f"a {name} setting")
    elif annotation is bool:
        parser = _boolean
    elif annotation in (int, float):
        parser = _number(_rule(Policy, name, f"a valid {name}"))
    elif annotation is dt.date:
        parser = _date
    else:  # pragma: no cover - a new kind of policy field
        raise TypeError(f"no TOML reader for policy field {name!r}")
    return _or_none(parser) if switchable else parser


def _policy_tiers(
    item: _Item, value: object
) -> dict[str, dict[str, object]] | None:
    if not isinstance(value, dict):
        item.report(
            "tiers", f"{_show(value)} is not a table",
            "write each tier as a table: [tiers.light] then workload, "
            "months and fee",
        )
        return None
    tiers: dict[str, dict[str, object]] = {}
    tier_fields = tuple(Tier.model_fields)
    tier_id = _identifier("tier name", "mentoring")
    for name, table in value.items():
        key = f"tiers.{name}"
        if item.parse(key, name, tier_id) is None:
            continue
        if not isinstance(table, dict):
            item.report(
                key, f"{_show(table)} is not a table",
                f"write [tiers.{name}] then workload, months and fee",
            )
            continue
        fields: dict[str, object] = {}
        for field_name, raw in table.items():
            if field_name not in tier_fields:
                item.report(
                    f"{key}.{field_name}", f"unknown tier key {field_name!r}",
                    f"use only {', '.join(tier_fields)}"
                    f"{_did_you_mean(field_name, tier_fields)}",
                )
                continue
            rule = _rule(Tier, field_name, f"a valid tier {field_name}")
            parsed = item.parse(f"{key}.{field_name}", raw, rule.check)
            if parsed is not None:
                fields[field_name] = parsed
        missing = [f for f in tier_fields if f not in table]
        if name not in DEFAULT_TIERS and missing:
            item.report(
                key,
                f"tier {name!r} is new, so it needs {', '.join(tier_fields)}"
                f"; missing: {', '.join(missing)}",
                "give every field of a new tier (the default tiers are "
                "light, programme and intensive)",
            )
        tiers[name] = fields
    return tiers


def read_policy(path: StrPath) -> Policy:
    """Read a policy TOML file: flat keys plus ``[tiers.<name>]`` tables.

    Omitted keys take their defaults; ``"none"`` switches a limit off;
    tier tables are merged over the default tiers, field by field.

    Parameters
    ----------
    path
        The TOML file.

    Returns
    -------
    Policy
        The validated policy.

    Raises
    ------
    InputError
        Listing every problem, each at the line of its key (unknown keys,
        values of the wrong type or out of range, TOML syntax errors).
    """
    problems = _Problems()
    file = os.fspath(path)
    text = _read_text(
        file, problems, MAX_POLICY_BYTES, "MAX_POLICY_BYTES, 100 kB"
    )
    if text is None:
        raise problems.error()
    deep = _toml_too_deep(text, MAX_POLICY_NESTING)
    if deep is not None:
        # Before parsing: a header of thousands of parts costs the
        # parser little but every key's line (and report) a lot.
        problems.add(
            file, deep[0], None,
            f"keys and values nest deeper than {MAX_POLICY_NESTING} levels "
            f"here (column {deep[1]}), the limit (MAX_POLICY_NESTING)",
            "write flat keys and [tiers.<name>] tables, as a policy needs; "
            "no long dotted keys or nested arrays",
        )
        raise problems.error()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        where = _TOML_ERROR_AT.search(reason)
        line: int | None = None
        if where is not None:
            reason = reason[: where.start()]
            line = (
                int(where.group(1))
                if where.group(1)
                else text.count("\n") + 1
            )
        problems.add(
            file, line, None, f"not valid TOML: {reason[:1].lower()}"
            f"{reason[1:]}",
            "write one key = value per line; text in double quotes; "
            "true/false and numbers without quotes",
        )
        raise problems.error() from None
    except (ValueError, RecursionError) as exc:
        # Numbers of thousands of digits, or arrays nested thousands deep.
        problems.add(
            file, None, None, f"cannot read the TOML: {exc}",
            "write numbers of ordinary size; the policy needs no arrays",
        )
        raise problems.error() from None
    site = _TomlSite(file, _toml_key_lines(text))
    item = _Item(site, problems)
    keys = [name for name in Policy.model_fields if name != "tiers"]
    values: dict[str, object] = {}
    for key, value in data.items():
        if key == "tiers":
            tiers = _policy_tiers(item, value)
            if tiers is not None:
                values["tiers"] = tiers
        elif key in keys:
            parsed = item.parse(key, value, _policy_parser(key))
            if key not in item.bad:
                values[key] = parsed
        else:
            item.report(
                key, f"unknown key {key!r}",
                f"rename or delete it{_did_you_mean(key, keys)}; the keys "
                f"are {', '.join(keys)}, and [tiers.<name>] tables",
            )
    if problems:
        raise problems.error()
    try:
        return Policy(**values)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            fix = "correct the value"
            if not loc:
                # The model's cross-field rule: the travel window.
                loc = [
                    "max_travel_minutes"
                    if "max_travel_minutes" in values
                    else "min_travel_minutes"
                ]
                fix = (
                    "make max_travel_minutes at least min_travel_minutes, "
                    'or "none"'
                )
            item.report(".".join(loc), _describe(error), fix)
        raise problems.error() from None


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

#: What a spreadsheet may run as a formula when a cell starts with it.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_STARTS = "".join(_FORMULA_STARTS) + "'"


@overload
def spreadsheet_safe(value: str) -> str: ...
@overload
def spreadsheet_safe(value: _V) -> _V: ...
def spreadsheet_safe(value: object) -> object:
    """Return *value* safe to open in a spreadsheet.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return could run as a formula, so it gets a leading apostrophe (which
    spreadsheets show as text).  Anything else, numbers included (a
    negative number written as a number is no formula), is returned as is.

    Parameters
    ----------
    value
        A cell value.

    Returns
    -------
    object
        The value, with ``'`` prefixed when it is risky text.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _escape_text(text: str) -> str:
    """Neutralise like :func:`spreadsheet_safe`, but reversibly.

    A text that already starts with an apostrophe gets one more, so the
    readers can always drop exactly the one the writers added.
    """
    if text.startswith(tuple(_ESCAPED_STARTS)):
        return "'" + text
    return text


def _output_error(path: StrPath, exc: OSError) -> OutputError:
    """Return *exc* as an :class:`OutputError` naming the caller's *path*.

    The operating system names the file it was working on, which may be
    a temporary one the caller never asked for.
    """
    if isinstance(exc, OutputError):
        return exc
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOENT:
        parent = Path(os.path.abspath(path)).parent
        if not parent.is_dir():
            reason = f"the folder {parent} does not exist"
    return OutputError(os.fspath(path), reason, exc.errno)


def _check_writable_folder(path: StrPath, folder: Path) -> None:
    """Refuse *path* unless *folder* is an existing, writable folder."""
    if not folder.exists():
        raise OutputError(
            os.fspath(path),
            f"the folder {folder} does not exist",
            errno.ENOENT,
        )
    if not folder.is_dir():
        raise OutputError(
            os.fspath(path), f"{folder} is not a folder", errno.ENOTDIR
        )
    # Root passes this test on any folder of a writable file system; a
    # refusal that only shows when writing is still an OutputError.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(
            os.fspath(path),
            f"the folder {folder} is not writable (permission denied)",
            errno.EACCES,
        )


def check_output_file(path: StrPath) -> None:
    """Check, before any work, that the file *path* can be written.

    Its folder must exist and be writable, and *path* must not be a
    folder.  Passing is no promise (the disk may fill up meanwhile), but
    a plain mistake is reported before a long computation, not after.

    Parameters
    ----------
    path
        The file to be written.

    Raises
    ------
    OutputError
        Naming *path* and what is wrong.
    """
    target = Path(os.path.abspath(path))
    _check_writable_folder(path, target.parent)
    if target.is_dir():
        raise OutputError(
            os.fspath(path), "it is a folder", errno.EISDIR
        )


def check_output_folder(path: StrPath) -> None:
    """Check, before any work, that files can be written into folder *path*.

    Either *path* is a writable folder, or it does not exist and its
    nearest existing parent is a writable folder (it will be created).

    Parameters
    ----------
    path
        The folder to be written into.

    Raises
    ------
    OutputError
        Naming *path* and what is wrong.
    """
    folder = Path(os.path.abspath(path))
    while not os.path.lexists(folder) and folder.parent != folder:
        folder = folder.parent
    _check_writable_folder(path, folder)


def write_bytes_atomic(path: StrPath, data: bytes) -> None:
    """Write *data* to *path* atomically.

    The bytes go to a temporary file in the same folder, which then
    replaces *path* in one step: readers see the old file or the new one,
    never half of either.  An existing file's permissions are kept.

    Parameters
    ----------
    path
        The file to write.
    data
        Its new content.

    Raises
    ------
    OutputError
        If the operating system refuses (a missing folder, no space left,
        permission denied); it names *path*, and the temporary file is
        gone.
    """
    target = Path(path)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        _write_new_file(temp, data)
        try:
            with contextlib.suppress(FileNotFoundError):
                os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise _output_error(path, exc) from exc


def _write_new_file(path: Path, data: bytes) -> None:
    """Create *path* (which must not exist) holding *data*, on disk.

    On failure, nothing of *path* is left.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _make_folders(folder: Path) -> list[Path]:
    """Create *folder* and its missing parents; return those created,
    outermost first."""
    missing: list[Path] = []
    while not os.path.lexists(folder) and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    created: list[Path] = []
    try:
        for each in reversed(missing):
            each.mkdir()
            created.append(each)
    except BaseException:
        _remove_folders(created)
        raise
    return created


def _remove_folders(created: list[Path]) -> None:
    """Remove the folders *created* (outermost first) if they are empty."""
    for each in reversed(created):
        with contextlib.suppress(OSError):
            each.rmdir()


def write_file_set(
    directory: StrPath, files: Mapping[str, bytes]
) -> list[Path]:
    """Write *files* into *directory* as one set: all of them, or none.

    Every file is first written into a hidden temporary folder, so that
    running out of space or permission costs nothing: the temporary
    folder is removed and *directory* is as it was.  Then the set is
    moved into place.  A missing *directory* (and its missing parents) is
    created, by renaming the temporary folder, written beside it, in one
    step.  Into an existing *directory*, the temporary folder is written
    inside it (the same file system, so moves need no space) and each
    file replaces any file of the same name atomically; other files are
    left alone, and if a move fails, the files replaced so far are put
    back where the file system allows it.

    Parameters
    ----------
    directory
        The folder to write into.
    files
        File name (no folder part) -> content, in the order to write.

    Returns
    -------
    list of Path
        The files written, in the order of *files*.

    Raises
    ------
    OutputError
        Naming *directory*, if it cannot be written or the operating
        system refuses; nothing new is left behind.
    ValueError
        If a name has a folder part or is hidden (starts with ``.``).
    """
    for name in files:
        if (
            not name
            or name.startswith(".")
            or Path(name).name != name
            or os.sep in name
            or (os.altsep is not None and os.altsep in name)
        ):
            raise ValueError(f"not a plain file name: {name!r}")
    check_output_folder(directory)
    folder = Path(os.path.abspath(directory))
    existed = folder.is_dir()
    created: list[Path] = []
    stage: Path | None = None
    try:
        if existed:
            stage = folder / f".{secrets.token_hex(6)}.tmp"
        else:
            created = _make_folders(folder.parent)
            stage = folder.with_name(
                f".{folder.name}.{secrets.token_hex(6)}.tmp"
            )
        stage.mkdir()
        for name, data in files.items():
            _write_new_file(stage / name, data)
        if existed:
            _move_files(stage, folder, list(files))
            shutil.rmtree(stage, ignore_errors=True)
        else:
            os.rename(stage, folder)
    except BaseException as exc:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        _remove_folders(created)
        if isinstance(exc, OSError):
            raise _output_error(directory, exc) from exc
        raise
    return [Path(directory) / name for name in files]


def _move_files(stage: Path, folder: Path, names: list[str]) -> None:
    """Move the files *names* from *stage* into *folder*, all or none.

    A file replaced is first hard-linked into *stage* so that it can be
    put back if a later move fails (where hard links are not available,
    it cannot be).
    """
    old = stage / ".replaced"
    old.mkdir()
    done: list[tuple[Path, bool, Path | None]] = []
    try:
        for name in names:
            target, staged = folder / name, stage / name
            existed = os.path.lexists(target)
            backup: Path | None = None
            if existed:
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(staged, stat.S_IMODE(os.stat(target).st_mode))
                if not os.path.islink(target):
                    with contextlib.suppress(OSError):
                        os.link(target, old / name)
                        backup = old / name
            os.replace(staged, target)
            done.append((target, existed, backup))
    except BaseException:
        for target, existed, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                elif not existed:
                    target.unlink()
        raise


def write_text_atomic(path: StrPath, text: str) -> None:
    """Write *text* to *path* as UTF-8, atomically.

    Parameters
    ----------
    path
        The file to write.
    text
        Its new content; line ends are written as given.
    """
    write_bytes_atomic(path, text.encode("utf-8"))


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO(newline="")
    # The default CRLF line end also makes the writer quote a lone CR in a
    # cell, which then reads back as written.
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _need_token(need: Need) -> str:
    parts = [
        need.area,
        *(
            ""
            if getattr(need, name) == Need.model_fields[name].default
            else str(getattr(need, name))
            for name in _NEED_PARTS[1:]
        ),
    ]
    while parts[-1] == "":
        parts.pop()
    return ":".join(parts)


def write_problem_csv(problem: Problem, directory: StrPath) -> dict[str, Path]:
    """Write *problem* as the CSV files :func:`read_problem` reads.

    ``trusts.csv`` is always written; ``relations.csv``, ``pairs.csv`` and
    ``travel.csv`` only when the problem has relations, overrides or a
    travel matrix.  Numbers are written exactly (``repr``), and names,
    regions and notes that a spreadsheet could run as formulas get a
    leading apostrophe, which :func:`read_problem` removes again, so
    ``read_problem`` gives back an equal problem (needs are written with
    their seeker's row, so they come back grouped in trust order).

    Parameters
    ----------
    problem
        The problem to write.
    directory
        The folder to write into (created if missing).

    Returns
    -------
    dict of str to Path
        The files written, by kind: ``trusts``, ``relations``, ``pairs``,
        ``travel``.
    """
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(directory, exc) from exc
    dims = problem.culture_dimensions
    areas = problem.areas
    needs: dict[str, list[str]] = {}
    for need in problem.needs:
        needs.setdefault(need.seeker, []).append(_need_token(need))
    header = [
        *_TRUSTS_COLUMNS,
        *(f"culture_{d}" for d in dims),
        *(f"expertise_{a}" for a in areas),
    ]
    rows = [
        [
            t.id,
            _escape_text(t.name),
            t.kind,
            t.lat,
            t.lon,
            "" if t.region is None else _escape_text(t.region),
            t.capacity,
            t.max_partners,
            ";".join(needs.get(t.id, [])),
            *(t.culture[d] for d in dims),
            *(t.expertise[a] for a in areas),
        ]
        for t in problem.trusts
    ]
    written = {"trusts": folder / "trusts.csv"}
    write_text_atomic(written["trusts"], _csv_text(header, rows))
    if problem.relations:
        written["relations"] = folder / "relations.csv"
        write_text_atomic(
            written["relations"],
            _csv_text(
                _RELATIONS_CSV.names,
                (
                    [
                        r.a,
                        r.b,
                        r.kind,
                        r.area,
                        None if r.note is None else _escape_text(r.note),
                    ]
                    for r in problem.relations
                ),
            ),
        )
    if problem.overrides:
        written["pairs"] = folder / "pairs.csv"
        write_text_atomic(
            written["pairs"],
            _csv_text(
                _PAIRS_CSV.names,
                (
                    [o.seeker, o.area, o.buddy, o.score, o.workload]
                    for o in problem.overrides
                ),
            ),
        )
    if problem.travel is not None:
        # Written even when empty: an empty matrix is not the same as none.
        written["travel"] = folder / "travel.csv"
        write_text_atomic(
            written["travel"],
            _csv_text(
                _TRAVEL_CSV.names,
                ([e.origin, e.destination, e.minutes] for e in problem.travel),
            ),
        )
    return written


def write_problem_json(problem: Problem, path: StrPath) -> None:
    """Write *problem* as JSON that :func:`read_problem_json` reads back.

    Parameters
    ----------
    problem
        The problem to write.
    path
        The file to write.
    """
    write_text_atomic(path, problem.model_dump_json(indent=2) + "\n")


def _toml_key(name: str) -> str:
    return name if re.fullmatch(_TOML_BARE, name) else json.dumps(name)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # exact, and valid TOML for finite floats
    if isinstance(value, dt.date):
        return value.isoformat()
    return json.dumps(str(value), ensure_ascii=False)


def write_policy_toml(policy: Policy, path: StrPath) -> None:
    """Write *policy* as TOML that :func:`read_policy` reads back equal.

    Every key is written (limits switched off as ``"none"``; an unset
    ``start_date``, meaning today, is left out), then every tier.

    Parameters
    ----------
    policy
        The policy to write.
    path
        The file to write.
    """
    lines = ["# buddymatch policy; see docs/formats.md", ""]
    for name in Policy.model_fields:
        if name == "tiers":
            continue
        value = getattr(policy, name)
        if value is None:
            if _policy_field(name)[1]:
                lines.append(f'{name} = "none"')
            continue
        lines.append(f"{name} = {_toml_value(value)}")
    for tier_name, tier in policy.tiers.items():
        lines.extend(["", f"[tiers.{_toml_key(tier_name)}]"])
        lines.extend(
            f"{key} = {_toml_value(getattr(tier, key))}"
            for key in Tier.model_fields
        )
    write_text_atomic(path, "\n".join(lines) + "\n")


def write_pairings_csv(result: Result, path: StrPath) -> None:
    """Write the pairings CSV: one row per assignment and per unmet need.

    Columns are :data:`~buddymatch.result.PAIRINGS_COLUMNS`.  Text cells
    pass through :func:`spreadsheet_safe`; numbers stay numbers.

    Parameters
    ----------
    result
        The result to write.
    path
        The file to write.
    """
    rows = (
        [spreadsheet_safe(row[column]) for column in PAIRINGS_COLUMNS]
        for row in pairings_rows(result)
    )
    write_text_atomic(path, _csv_text(PAIRINGS_COLUMNS, rows))


# ---------------------------------------------------------------------------
# arrangements.csv (re-matching)
# ---------------------------------------------------------------------------

_ARRANGEMENTS_CSV = _CsvKind(
    "arrangements",
    ("seeker", "area", "buddy", "status", "start"),
    required=("seeker", "area", "buddy", "status"),
)
_ARRANGEMENT_PLAN: _FieldPlan = {
    "seeker": (_TRUST_ID, True),
    "area": (_AREA, True),
    "buddy": (_TRUST_ID, True),
    "status": (_choice(("ongoing", "ended"), "a status"), True),
    "start": (_date, False),
}


def read_arrangements(
    path: StrPath, problem: Problem | None = None
) -> list[Arrangement]:
    """Read ``arrangements.csv``: the buddying arrangements in place.

    Columns ``seeker, area, buddy, status[, start]``: ``status`` is
    ``ongoing`` or ``ended`` (any case); ``start`` an optional date
    (YYYY-MM-DD).  A file with a header and no rows means no arrangements.

    Parameters
    ----------
    path
        The file.
    problem
        When given, every row is also checked against it (known trusts
        and areas, an ongoing arrangement's need listed, no contradictions;
        see :func:`buddymatch.rematch.arrangement_issues`), with the line
        and column of the row.

    Returns
    -------
    list of Arrangement
        In file order.

    Raises
    ------
    InputError
        Listing every problem of the file, each with its line, column and
        a fix.
    """

    problems = _Problems()
    table = _read_csv(path, _ARRANGEMENTS_CSV, problems)
    items: list[Arrangement] = []
    sites: list[_Site] = []
    if table is not None:
        columns = {name: name for name in table.columns}
        for line, cells in table.rows:
            site = _CsvSite(table.file, line, columns)
            item = _Item(site, problems)
            values = _row_values(
                item, table, cells, _ARRANGEMENTS_CSV.names
            )
            good, stand_in = _build(
                item,
                Arrangement,
                values,
                _ARRANGEMENT_PLAN,
                keys=("seeker", "area", "buddy", "status"),
            )
            built = good if good is not None else stand_in
            if built is not None:
                items.append(built)
                sites.append(site)
        if problem is not None and not table.missing:
            for issue in arrangement_issues(problem, items):
                where = sites[int(issue.path[1])]
                at, column = where.at(".".join(map(str, issue.path[2:])))
                problems.add(where.file, at, column, issue.message, issue.fix)
    if problems:
        raise problems.error()
    return items


def write_arrangements(
    arrangements: Iterable[Arrangement], path: StrPath
) -> None:
    """Write ``arrangements.csv`` as :func:`read_arrangements` reads it.

    Parameters
    ----------
    arrangements
        The arrangements, written in the order given (an unknown start as
        an empty cell).
    path
        The file to write.
    """
    rows = (
        [
            a.seeker,
            a.area,
            a.buddy,
            a.status,
            "" if a.start is None else a.start.isoformat(),
        ]
        for a in arrangements
    )
    write_text_atomic(path, _csv_text(_ARRANGEMENTS_CSV.names, rows))
