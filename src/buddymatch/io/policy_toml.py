"""The policy as TOML: [`read_policy`][buddymatch.io.policy_toml.read_policy]
and [`write_policy_toml`][buddymatch.io.policy_toml.write_policy_toml].

``tomllib`` gives neither the line of a key nor a bound on nesting, so the
raw text is scanned twice before and after it parses: for nesting deeper
than `MAX_POLICY_NESTING` (before, so a
hostile file never reaches the parser) and for the line of each key path
(after, so every problem is placed at its key's line).  Values are
checked by the parsers of `buddymatch.io.values`, derived from the
policy model's own fields.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import ValidationError

from buddymatch.io import files
from buddymatch.io.files import StrPath
from buddymatch.io.problems import Item, Problems, TomlSite, describe
from buddymatch.io.values import (
    Parser,
    boolean,
    did_you_mean,
    field_rule,
    identifier,
    iso_date,
    numeric,
    one_of,
    or_none,
    show,
)
from buddymatch.io.write import write_text_atomic
from buddymatch.model import DEFAULT_TIERS, Policy, Tier

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
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    '"': '"',
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
            rest = raw[table_match.end() :]
        else:
            assign = _TOML_ASSIGN.match(raw)
            if assign:
                path = table + _toml_parts(assign.group(1))
                rest = raw[assign.end() :]
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


def _policy_parser(name: str) -> Parser[Any]:
    """Return the parser of policy key *name*, from the model's field."""
    annotation, switchable = _policy_field(name)
    parser: Parser[Any]
    if get_origin(annotation) is Literal:
        parser = one_of(get_args(annotation), f"a {name} setting")
    elif annotation is bool:
        parser = boolean
    elif annotation in (int, float):
        parser = numeric(field_rule(Policy, name, f"a valid {name}"))
    elif annotation is dt.date:
        parser = iso_date
    else:  # pragma: no cover - a new kind of policy field
        raise TypeError(f"no TOML reader for policy field {name!r}")
    return or_none(parser) if switchable else parser


def _policy_tiers(
    item: Item, value: object
) -> dict[str, dict[str, object]] | None:
    if not isinstance(value, dict):
        item.report(
            "tiers",
            f"{show(value)} is not a table",
            "write each tier as a table: [tiers.light] then workload, "
            "months and fee",
        )
        return None
    tiers: dict[str, dict[str, object]] = {}
    tier_fields = tuple(Tier.model_fields)
    tier_id = identifier("tier name", "mentoring")
    for name, table in value.items():
        key = f"tiers.{name}"
        if item.parse(key, name, tier_id) is None:
            continue
        if not isinstance(table, dict):
            item.report(
                key,
                f"{show(table)} is not a table",
                f"write [tiers.{name}] then workload, months and fee",
            )
            continue
        fields: dict[str, object] = {}
        for field_name, raw in table.items():
            if field_name not in tier_fields:
                item.report(
                    f"{key}.{field_name}",
                    f"unknown tier key {field_name!r}",
                    f"use only {', '.join(tier_fields)}"
                    f"{did_you_mean(field_name, tier_fields)}",
                )
                continue
            rule = field_rule(Tier, field_name, f"a valid tier {field_name}")
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
    problems = Problems()
    file = files.source_name(path)
    text = problems.take(
        files.read_text(
            path,
            limit=files.MAX_POLICY_BYTES,
            limit_name="MAX_POLICY_BYTES, 100 kB",
        )
    )
    if text is None:
        raise problems.error()
    deep = _toml_too_deep(text, files.MAX_POLICY_NESTING)
    if deep is not None:
        # Before parsing: a header of thousands of parts costs the
        # parser little but every key's line (and report) a lot.
        problems.add(
            file,
            deep[0],
            None,
            f"keys and values nest deeper than {files.MAX_POLICY_NESTING} "
            f"levels here (column {deep[1]}), the limit "
            "(MAX_POLICY_NESTING)",
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
                int(where.group(1)) if where.group(1) else text.count("\n") + 1
            )
        problems.add(
            file,
            line,
            None,
            f"not valid TOML: {reason[:1].lower()}{reason[1:]}",
            "write one key = value per line; text in double quotes; "
            "true/false and numbers without quotes",
        )
        raise problems.error() from None
    except (ValueError, RecursionError) as exc:
        # Numbers of thousands of digits, or arrays nested thousands deep.
        problems.add(
            file,
            None,
            None,
            f"cannot read the TOML: {exc}",
            "write numbers of ordinary size; the policy needs no arrays",
        )
        raise problems.error() from None
    site = TomlSite(file, _toml_key_lines(text))
    item = Item(site, problems)
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
                key,
                f"unknown key {key!r}",
                f"rename or delete it{did_you_mean(key, keys)}; the keys "
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
            item.report(".".join(loc), describe(error), fix)
        raise problems.error() from None


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
    """Write *policy* as TOML that
    [`read_policy`][buddymatch.io.policy_toml.read_policy] reads back equal.

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
