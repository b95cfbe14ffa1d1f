"""Values: parsing and checking one raw value, in plain words.

A raw value is a CSV cell (text) or a decoded JSON or TOML value.  Each
parser returns the checked value or raises `Bad`, which says what is
wrong and how to fix it; the field rules below are derived from the model's
own constraints, so the words and the model never disagree.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from buddymatch.model import (
    CULTURE_MAX,
    EXPERTISE_MAX,
    ID_PATTERN,
    MAX_ID_LENGTH,
    Need,
    PairOverride,
    Relation,
    TravelTime,
    Trust,
)

_T = TypeVar("_T")

#: Turns a raw value (CSV text, or a JSON/TOML value) into a checked one,
#: or raises `Bad`.
Parser = Callable[[object], _T]

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

_ID_FIX = "use letters, digits and _ . - only, starting with a letter or digit"


def trim(text: str) -> str:
    """Return *text* without the white space the model trims."""
    return text.strip(_WHITESPACE)


class Bad(Exception):
    """A value that cannot be used: what is wrong and how to fix it."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def show(value: object) -> str:
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
    return _clip(trim(value)) if isinstance(value, str) else show(value)


def bound_text(x: float) -> str:
    """Format a bound for a message (``10,000``, ``0.5``)."""
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:g}"


def _or_list(choices: Sequence[str]) -> str:
    if len(choices) == 1:
        return choices[0]
    return ", ".join(choices[:-1]) + " or " + choices[-1]


def did_you_mean(text: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(text, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True)
class Rule:
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
            low = ("above " if self.lo_open else "") + bound_text(lo)
        if hi is not None:
            high = ("below " if self.hi_open else "") + bound_text(hi)
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
        """Return *value* as a number in range, or raise `Bad`."""
        shown = _show_number(value)
        fix = self.fix or f"give {self.expected}"
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise Bad(
                f"{show(value)} is not a number; expected {self.expected}",
                fix,
            )
        number: int | float
        if isinstance(value, str):
            text = trim(value)
            if _INTEGER_RE.fullmatch(text) and len(text) < 100:
                number = int(text)
            elif _NUMBER_RE.fullmatch(text):
                # Longer integers too: float() turns them into inf (refused
                # below) where int() would refuse thousands of digits.
                number = float(text)
            else:
                raise Bad(
                    f"{show(text)} is not a number; expected {self.expected}",
                    fix,
                )
        else:
            number = value
        if isinstance(number, float) and not math.isfinite(number):
            raise Bad(f"{shown} is not a finite number", fix)
        if self.whole and isinstance(number, float):
            if not number.is_integer():
                raise Bad(
                    f"{shown} is not a whole number; expected {self.expected}",
                    fix,
                )
            number = int(number)
        if (
            (self.lo is not None and number < self.lo)
            or (self.lo is not None and self.lo_open and number == self.lo)
            or (self.hi is not None and number > self.hi)
            or (self.hi is not None and self.hi_open and number == self.hi)
        ):
            raise Bad(
                f"{shown} is not {self.noun}; expected {self.expected}", fix
            )
        return number if self.whole else float(number)


def constraints(model: type[BaseModel], name: str) -> dict[str, Any]:
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


def field_rule(
    model: type[BaseModel], name: str, noun: str, fix: str = ""
) -> Rule:
    """Return the rule of a numeric model field, from its own constraints."""
    bounds = constraints(model, name)
    annotation = model.model_fields[name].annotation
    whole = annotation is int or int in get_args(annotation)
    return Rule(
        noun=noun,
        whole=whole,
        lo=bounds.get("ge", bounds.get("gt")),
        hi=bounds.get("le", bounds.get("lt")),
        lo_open="gt" in bounds,
        hi_open="lt" in bounds,
        fix=fix,
    )


def numeric(rule: Rule) -> Parser[Any]:
    return rule.check


def identifier(noun: str, example: str) -> Parser[str]:
    fix = f"{_ID_FIX} (e.g. {example})"

    def parse(value: object) -> str:
        if not isinstance(value, str):
            raise Bad(f"{show(value)} is not a valid {noun}", fix)
        text = trim(value)
        if not text:
            raise Bad(f"the {noun} is empty", f"give the {noun}")
        if len(text) > MAX_ID_LENGTH:
            raise Bad(
                f"{show(text)} is {len(text)} characters long; a {noun} "
                f"has at most {MAX_ID_LENGTH}",
                "use a shorter id (e.g. the ODS code)",
            )
        if not _ID_RE.fullmatch(text):
            raise Bad(f"{show(text)} is not a valid {noun}", fix)
        return text

    return parse


def _text(noun: str, max_length: int) -> Parser[str]:
    def parse(value: object) -> str:
        if not isinstance(value, str):
            raise Bad(f"{show(value)} is not text", f"give the {noun} as text")
        length = len(trim(value))
        if length > max_length:
            raise Bad(
                f"the {noun} is {length:,} characters long; the limit is "
                f"{max_length:,}",
                f"shorten the {noun}",
            )
        return value

    return parse


def one_of(choices: Sequence[str], noun: str) -> Parser[str]:
    def parse(value: object) -> str:
        text = trim(value) if isinstance(value, str) else None
        if text is not None:
            if text in choices:
                return text
            # Case does not matter ("Acute" is acute), unless two choices
            # differ only by case.
            folded = [c for c in choices if c.lower() == text.lower()]
            if len(folded) == 1:
                return folded[0]
        hint = did_you_mean(text, choices) if text else ""
        raise Bad(
            f"{show(value)} is not {noun}; expected {_or_list(choices)}",
            f"use one of {', '.join(choices)}{hint}",
        )

    return parse


def boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise Bad(
        f"{show(value)} is not true or false",
        "write true or false, without quotes",
    )


def iso_date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(trim(value))
        except ValueError:
            pass
    raise Bad(
        f"{show(value)} is not a date",
        "write the date as YYYY-MM-DD, e.g. 2025-04-01",
    )


def or_none(parser: Parser[_T]) -> Parser[_T | None]:
    def parse(value: object) -> _T | None:
        if isinstance(value, str) and trim(value).lower() == "none":
            return None
        try:
            return parser(value)
        except Bad as bad:
            raise Bad(
                bad.message + ', or "none"',
                bad.fix + ', or "none" for no limit',
            ) from None

    return parse


# Field rules, derived from the model's own constraints so the words and the
# model never disagree.
LAT = field_rule(
    Trust,
    "lat",
    "a latitude",
    "give degrees north (WGS84) of the main site, e.g. 52.41",
)
LON = field_rule(
    Trust,
    "lon",
    "a longitude",
    "give degrees east (WGS84; west is negative), e.g. -1.51",
)
CAPACITY = field_rule(
    Trust,
    "capacity",
    "a capacity",
    "give the workload units it can offer as a buddy; 0 = not a buddy",
)
MAX_PARTNERS = field_rule(
    Trust,
    "max_partners",
    "a partner limit",
    "give how many seekers it may support, or leave the cell empty for "
    "the policy's max_partners",
)
CULTURE = Rule(
    "a culture score",
    False,
    0.0,
    CULTURE_MAX,
    fix=f"give a score from 0 to {bound_text(CULTURE_MAX)}, the scale of NHS "
    "Staff Survey theme scores",
)
EXPERTISE = Rule(
    "an expertise level",
    True,
    0,
    EXPERTISE_MAX,
    fix=f"give a whole number from 0 (does not run the service) to "
    f"{EXPERTISE_MAX}",
)
BUDDIES = field_rule(
    Need,
    "buddies",
    "a number of buddies",
    "give how many distinct buddies this area needs (usually 1)",
)
PRIORITY = field_rule(
    Need, "priority", "a priority", "use 1, 2 or 3 (3 is most urgent)"
)
SCORE = field_rule(
    PairOverride, "score", "a score", "give a finite number of points"
)
WORKLOAD = field_rule(
    PairOverride,
    "workload",
    "a workload",
    "give the workload units the pair takes, a whole number 0 or more",
)
MINUTES = field_rule(
    TravelTime,
    "minutes",
    "a travel time",
    "give the travel time in minutes, 0 or more",
)
NAME = _text("name", constraints(Trust, "name")["max_length"])
REGION = _text("region", constraints(Trust, "region")["max_length"])
NOTE = _text("note", constraints(Relation, "note")["max_length"])
TRUST_ID = identifier("trust id", "an ODS code such as RXX")
AREA = identifier("area name", "finance or mental_health")
DIMENSION = identifier("culture dimension name", "openness")
