"""A result as JSON, read back: the one parser of a
[`Result`][buddymatch.result.Result].

A result comes back from a file (`read_result_json`, behind
[`buddymatch.mapping.read_result`][buddymatch.mapping.read_result]) or from
text, bytes or decoded JSON
a service was sent (`parse_result_json`, behind
[`buddymatch.schema.parse_result`][buddymatch.schema.parse_result]).  Both take
the same path: the
text read and decoded by `buddymatch.io.files`, each list held to
`MAX_ROWS` items, the items of long lists
validated a window at a time, and at most `MAX_LISTED_PROBLEMS`
problems listed, each at its field path (``assignments.3.buddy``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from buddymatch.errors import InputError, InputProblem
from buddymatch.io import files
from buddymatch.io.files import JsonInput, StrPath
from buddymatch.io.problems import validation_problems
from buddymatch.result import Result

__all__ = [
    "MAX_LISTED_PROBLEMS",
    "parse_result_json",
    "read_result_json",
]

#: Problems of a document that is not a result listed one by one; the rest
#: are counted (such a document can fail on every field of every item).
MAX_LISTED_PROBLEMS = 100
#: Items of each list of a result validated at a time (see _validate).
_WINDOW = 1_000


def read_result_json(path: StrPath, *, fix: str | None = None) -> Result:
    """Read a result from the JSON file that ``propose --out`` writes.

    Parameters
    ----------
    path
        The JSON file.
    fix
        What to give instead of a file that is not a result (e.g. "map the
        JSON file that buddymatch propose --out wrote"); it is the fix of
        the problems of the file as a whole, and follows "correct the
        value, or" in those of a single value.

    Returns
    -------
    Result
        The result.

    Raises
    ------
    InputError
        When the file is missing, too large, not UTF-8, not JSON or not a
        result; each problem's ``line`` is the field path, or the
        physical line of a JSON syntax error.
    """
    file = files.source_name(path)
    text = files.read_text(
        path, encoding_fix=fix or "save the file as UTF-8 text"
    )
    if isinstance(text, InputProblem):
        raise InputError([text])
    return _result(files.load_json(text, file, fix=fix), file, fix)


def parse_result_json(
    data: JsonInput, *, source: str = "result", fix: str | None = None
) -> Result:
    """Parse a result from JSON text, its bytes or decoded JSON (lossless).

    Parameters
    ----------
    data
        What [`Result.to_json`][buddymatch.result.Result.to_json] or
        [`to_dict`][buddymatch.result.Result.to_dict] wrote.
    source
        What to call the input in problems (their ``file``).
    fix
        As for `read_result_json`.

    Returns
    -------
    Result
        The result, equal to the one written.

    Raises
    ------
    InputError
        Listing every problem (up to `MAX_LISTED_PROBLEMS`) at its
        field path.
    """
    document: object
    if isinstance(data, Mapping):
        document = data
    else:
        text = data
        if isinstance(data, bytes | bytearray):
            decoded = files.decode_text(
                bytes(data),
                source,
                encoding_fix=fix or "send the JSON encoded as UTF-8",
            )
            if isinstance(decoded, InputProblem):
                raise InputError([decoded])
            text = decoded
        document = files.load_json(str(text), source, fix=fix)
    return _result(document, source, fix)


def _result(document: object, file: str, fix: str | None) -> Result:
    """Return the result *document* holds, or raise every problem."""

    def fail(message: str, line: str | None = None) -> InputError:
        return InputError(
            [
                InputProblem(
                    file,
                    line,
                    None,
                    message,
                    fix or "give the result as Result.to_json writes it",
                )
            ]
        )

    if isinstance(document, Mapping) and not isinstance(document, dict):
        document = dict(document)
    if not isinstance(document, dict):
        raise fail(
            "expected a JSON object (a result), found "
            f"{type(document).__name__}"
        )
    for key, value in document.items():
        # Each item of a list is checked on its own and may fail on every
        # field, so long lists are refused before any is checked.
        too_long = (
            files.list_too_long(len(value))
            if isinstance(value, list)
            else None
        )
        if too_long is not None:
            raise fail(too_long, str(key))
    checked = _validate(document)
    if isinstance(checked, Result):
        return checked
    errors = checked
    value_fix = None if fix is None else f"correct the value, or {fix}"
    problems = validation_problems(
        errors[:MAX_LISTED_PROBLEMS], Result, file, value_fix
    )
    if len(errors) > MAX_LISTED_PROBLEMS:
        problems.append(
            InputProblem(
                file,
                None,
                None,
                f"... and at least {len(errors) - MAX_LISTED_PROBLEMS:,} "
                "more problems: this is not a result file",
                value_fix or "give the result as Result.to_json writes it",
            )
        )
    raise InputError(problems)


def _validate(document: dict[str, Any]) -> Result | list[ErrorDetails]:
    """Return the result *document* holds, or the errors of validating it.

    Pydantic keeps every error of a validation, and each item of a broken
    document can fail on every field (100,000 empty items: a million
    errors, a gigabyte), so lists longer than a window are first checked
    a window of items at a time, and the first window that fails gives
    the errors.
    """
    longest = max(
        (len(v) for v in document.values() if isinstance(v, list)),
        default=0,
    )
    starts = range(0, longest, _WINDOW) if longest > _WINDOW else range(0)
    for start in starts:
        window = {
            key: value[start : start + _WINDOW]
            if isinstance(value, list)
            else value
            for key, value in document.items()
        }
        try:
            Result.model_validate(window)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            for error in errors:
                name, *rest = error["loc"] or ("",)
                index = rest[0] if rest else None
                if isinstance(index, int) and isinstance(
                    document.get(str(name)), list
                ):
                    # Back from the window's positions to the document's.
                    error["loc"] = (name, index + start, *rest[1:])
            return errors
    try:
        return Result.model_validate(document)
    except ValidationError as exc:
        return exc.errors(include_url=False)
