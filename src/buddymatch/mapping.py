"""A map of a proposal: trusts at their sites, each pairing as a line.

Drawing moved to :mod:`buddymatch.render.map` and writing to
:func:`buddymatch.render.write_output`; this module reads a result back
(:func:`read_result`) and keeps the names it always offered.

    from buddymatch.mapping import read_result, write_map

    write_map(read_result("result.json"), "map.svg")  # .svg .html .png
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from buddymatch.errors import InputError, InputProblem
from buddymatch.io import (
    MAX_FILE_BYTES,
    MAX_JSON_VALUES,
    MAX_ROWS,
    json_value_bound,
)
from buddymatch.render import MAP_FORMATS, check_map_path, write_map
from buddymatch.render.map import (
    AREA_COLOURS,
    render_html,
    render_png,
    render_svg,
    short_name,
)
from buddymatch.render.map import check_trusts as _check_trusts
from buddymatch.result import Result

__all__ = [
    "AREA_COLOURS",
    "MAP_FORMATS",
    "check_map_path",
    "read_result",
    "render_html",
    "render_png",
    "render_svg",
    "short_name",
    "write_map",
]

#: Problems of a file that is not a result listed one by one; the rest are
#: counted (such a file can fail on every field of every item).
_MAX_LISTED_ERRORS = 100
#: Items of each list of a result checked at a time (see read_result).
_WINDOW = 1_000


# ---------------------------------------------------------------------------
# Reading a result
# ---------------------------------------------------------------------------


def read_result(path: str | os.PathLike[str]) -> Result:
    """Read a result from the JSON that ``propose --out x.json`` writes.

    Parameters
    ----------
    path
        The JSON file.

    Returns
    -------
    Result
        The result, checked to carry a site for every trust it names.

    Raises
    ------
    InputError
        When the file is missing, too large, not UTF-8, not JSON or not a
        result; each problem's ``line`` is the field path (e.g.
        ``"trusts.3.lat"``), or the physical line of a JSON syntax error.
    """
    file = os.fspath(path)

    def fail(
        message: str, fix: str, line: int | str | None = None
    ) -> InputError:
        return InputError([InputProblem(file, line, None, message, fix)])

    try:
        info = os.stat(file)
        if stat.S_ISDIR(info.st_mode):
            raise fail(
                "this is a folder, not a file", "give the path of the file"
            )
        if info.st_size > MAX_FILE_BYTES:
            raise fail(
                f"the file is larger than the limit of {MAX_FILE_BYTES:,} "
                "bytes (MAX_FILE_BYTES, 100 MB)",
                "map a result JSON written by buddymatch propose",
            )
        with open(file, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise fail(
            "file not found", "check the path and the file name"
        ) from None
    except OSError as exc:
        raise fail(
            f"cannot read the file: {exc.strerror or exc}",
            "check the path and that you may read the file",
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(
            "not UTF-8 text",
            "map the JSON file that buddymatch propose --out wrote",
            data.count(b"\n", 0, exc.start) + 1,
        ) from None
    if json_value_bound(text) > MAX_JSON_VALUES:
        # Decoding costs memory per value, so they are bounded first.
        raise fail(
            f"the JSON holds more than {MAX_JSON_VALUES:,} values, the "
            "limit (MAX_JSON_VALUES)",
            "map the JSON file that buddymatch propose --out wrote",
        )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(
            f"not valid JSON: {exc.msg} (column {exc.colno})",
            "map the JSON file that buddymatch propose --out wrote",
            exc.lineno,
        ) from None
    except (ValueError, RecursionError) as exc:
        raise fail(
            f"cannot read the JSON: {exc}",
            "map the JSON file that buddymatch propose --out wrote",
        ) from None
    if not isinstance(document, dict):
        raise fail(
            "expected a JSON object (a result), found "
            f"{type(document).__name__}",
            "map the JSON file that buddymatch propose --out wrote",
        )
    for key, value in document.items():
        # Each item of a list is checked on its own and may fail on every
        # field, so long lists are refused before any is checked.
        if isinstance(value, list) and len(value) > MAX_ROWS:
            raise fail(
                f"the list has {len(value):,} items; the limit is "
                f"{MAX_ROWS:,} (MAX_ROWS)",
                "map the JSON file that buddymatch propose --out wrote",
                str(key),
            )
    checked = _result_or_errors(document)
    if not isinstance(checked, Result):
        errors = checked
        fix = (
            "correct the value, or map the JSON file that buddymatch "
            "propose --out wrote"
        )
        problems = [
            InputProblem(
                file,
                # The empty key is shown as "", so the path never vanishes.
                ".".join(str(part) or '""' for part in error["loc"]) or None,
                None,
                str(error["msg"]),
                fix,
            )
            for error in errors[:_MAX_LISTED_ERRORS]
        ]
        if len(errors) > _MAX_LISTED_ERRORS:
            problems.append(
                InputProblem(
                    file, None, None,
                    f"... and at least {len(errors) - _MAX_LISTED_ERRORS:,} "
                    "more problems: this is not a result file",
                    fix,
                )
            )
        raise InputError(problems)
    _check_trusts(checked, file)
    return checked


def _result_or_errors(document: dict[str, Any]) -> Result | list[ErrorDetails]:
    """Return the result *document* holds, or the errors of validating it.

    Pydantic keeps every error of a validation, and each item of a broken
    file can fail on every field (100,000 empty items: a million errors,
    a gigabyte), so lists longer than a window are first checked a window
    of items at a time, and the first window that fails gives the errors.
    """
    longest = max(
        (len(v) for v in document.values() if isinstance(v, list)),
        default=0,
    )
    starts = range(0, longest, _WINDOW) if longest > _WINDOW else range(0)
    for start in starts:
        window = {
            key: value[start : start + _WINDOW]
            if isinstance(value, list) else value
            for key, value in document.items()
        }
        try:
            Result.model_validate(window)
        except ValidationError as exc:
            errors = exc.errors(
                include_url=False, include_context=False, include_input=False
            )
            for error in errors:
                name, *rest = error["loc"] or ("",)
                index = rest[0] if rest else None
                if isinstance(index, int) and isinstance(
                    document.get(str(name)), list
                ):
                    # Back from the window's positions to the file's.
                    error["loc"] = (name, index + start, *rest[1:])
            return errors
    try:
        return Result.model_validate(document)
    except ValidationError as exc:
        return exc.errors(
            include_url=False, include_context=False, include_input=False
        )
