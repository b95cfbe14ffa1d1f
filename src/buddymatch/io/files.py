"""Reading input files: the one path from a file to its text, and every
input limit.

Every reader of buddymatch (the problem's CSV files, the problem JSON, the
policy TOML, ``arrangements.csv``, the travel matrix of
[`TravelMatrix.from_csv`][buddymatch.travel.TravelMatrix.from_csv], a
result read for a map, and the JSON a service parses) reads and decodes its
input here: the size checked before reading, UTF-8 with or without a
byte-order mark, no NUL characters, and JSON values bounded before they are
decoded.  The limits are defined here once (``docs/safety.md`` records what
each bounds); the readers look them up at call time, as
``files.MAX_ROWS``.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable, Mapping
from typing import Any

from buddymatch.errors import InputError, InputProblem

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
    "SAVE_AS_UTF8",
    "STDIN",
    "STDIN_NAME",
    "JsonInput",
    "StrPath",
    "decode_text",
    "json_value_bound",
    "list_too_long",
    "load_json",
    "read_text",
    "source_name",
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

#: The path that stands for standard input, as in most command-line tools
#: (a file of that name is ``./-``).
STDIN = "-"
#: What problems call standard input (their ``file``).
STDIN_NAME = "<stdin>"
#: JSON text, its bytes, or the object it decodes to.
JsonInput = Mapping[str, Any] | str | bytes | bytearray

#: What to do about a file that is not UTF-8 text.
SAVE_AS_UTF8 = (
    "save the file as CSV UTF-8 (in Excel: File > Save As > "
    "'CSV UTF-8 (Comma delimited)')"
)


def source_name(path: StrPath) -> str:
    """Return what problems call the input *path*: the path as given, or
    ``<stdin>`` for `STDIN`."""
    file = os.fspath(path)
    return STDIN_NAME if file == STDIN else file


def read_text(
    path: StrPath,
    *,
    name: str | None = None,
    limit: int | None = None,
    limit_name: str = "MAX_FILE_BYTES, 100 MB",
    encoding_fix: str = SAVE_AS_UTF8,
) -> str | InputProblem:
    """Return the text of the file *path*, or the problem that stops it.

    The size is checked before reading, so a huge file costs nothing;
    the bytes are then decoded by `decode_text`.  The path ``-``
    ([STDIN][buddymatch.io.files.STDIN]) reads standard input instead, to
    its end, with the same limit and checks; its problems name it
    ``<stdin>``.

    Parameters
    ----------
    path
        The file, or ``-`` for standard input.
    name
        What to call the file in the problem; by default *path* as given
        (``<stdin>`` for ``-``).
    limit
        The largest size read, in bytes; by default `MAX_FILE_BYTES`,
        looked up at call time.
    limit_name
        The limit's constant and size in words, for the message.
    encoding_fix
        The fix of a file that is not UTF-8 text.

    Returns
    -------
    str or InputProblem
        The text, or the one problem of the file as a whole (missing, a
        folder, unreadable, too large, not UTF-8 text).
    """
    file = os.fspath(path)
    shown = source_name(file) if name is None else name

    def problem(message: str, fix: str) -> InputProblem:
        return InputProblem(shown, None, None, message, fix)

    if limit is None:
        limit = MAX_FILE_BYTES
    too_big = problem(
        f"the file is larger than the limit of {limit:,} bytes ({limit_name})",
        "split the input, or leave out data the matching does not use",
    )
    if file == STDIN:
        return _read_stdin(shown, limit, too_big, encoding_fix)
    try:
        info = os.stat(file)
    except FileNotFoundError:
        return problem("file not found", "check the path and the file name")
    except OSError as exc:
        return problem(
            f"cannot open the file: {exc.strerror or exc}",
            "check the path and that you may read the file",
        )
    if stat.S_ISDIR(info.st_mode):
        return problem(
            "this is a folder, not a file", "give the path of the file itself"
        )
    if info.st_size > limit:
        return too_big
    try:
        with open(file, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        return problem(
            f"cannot read the file: {exc.strerror or exc}",
            "check that you may read the file",
        )
    if len(data) > limit:  # it grew after the check, or is not a file
        return too_big
    return decode_text(data, shown, encoding_fix=encoding_fix)


def _read_stdin(
    shown: str, limit: int, too_big: InputProblem, encoding_fix: str
) -> str | InputProblem:
    """Return the text of standard input (see `read_text`)."""
    stream = sys.stdin.buffer if sys.stdin is not None else None
    if stream is None:
        return InputProblem(
            shown,
            None,
            None,
            "there is no standard input to read",
            "give the path of a file instead of -",
        )
    try:
        # One byte over the limit tells a stream that is too long; the
        # rest is never read.
        data = stream.read(limit + 1)
    except OSError as exc:
        return InputProblem(
            shown,
            None,
            None,
            f"cannot read standard input: {exc.strerror or exc}",
            "give the path of a file instead of -",
        )
    if len(data) > limit:
        return too_big
    return decode_text(data, shown, encoding_fix=encoding_fix)


def decode_text(
    data: bytes, name: str, *, encoding_fix: str = SAVE_AS_UTF8
) -> str | InputProblem:
    """Return *data* decoded as UTF-8 text, or the problem that stops it.

    A leading byte-order mark is dropped.  Text holding NUL characters is
    refused too: it is binary data, which UTF-8 alone would let through.

    Parameters
    ----------
    data
        The bytes.
    name
        What to call them in the problem (the file).
    encoding_fix
        The fix of bytes that are not UTF-8 text.

    Returns
    -------
    str or InputProblem
        The text, or the problem, at the line of the first bad byte.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return InputProblem(
            name,
            data.count(b"\n", 0, exc.start) + 1,
            None,
            f"not UTF-8 text (byte 0x{data[exc.start]:02X} cannot be read)",
            encoding_fix,
        )
    nul = text.find("\x00")
    if nul >= 0:
        return InputProblem(
            name,
            text.count("\n", 0, nul) + 1,
            None,
            "not UTF-8 text: it holds NUL characters, so it is binary "
            "data, not a text file",
            encoding_fix,
        )
    return text


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


def load_json(
    text: str,
    name: str,
    *,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
    fix: str | None = None,
) -> object:
    """Decode JSON *text*, its values bounded before it is decoded.

    Parameters
    ----------
    text
        The JSON text.
    name
        What to call it in problems (the file).
    object_pairs_hook
        As for `json.loads`.
    fix
        The fix of every problem, when the caller knows better than the
        default fixes (e.g. which file to give instead).

    Returns
    -------
    object
        The decoded value.

    Raises
    ------
    InputError
        With one problem: more than `MAX_JSON_VALUES` values, a
        syntax error (at its physical line) or a value JSON cannot hold
        (a number of thousands of digits, nesting thousands deep).
    """

    def fail(
        message: str, default_fix: str, line: int | None = None
    ) -> InputError:
        return InputError(
            [InputProblem(name, line, None, message, fix or default_fix)]
        )

    if json_value_bound(text) > MAX_JSON_VALUES:
        # Decoding costs memory per value, so they are bounded first.
        raise fail(
            f"the JSON holds more than {MAX_JSON_VALUES:,} values, the "
            "limit (MAX_JSON_VALUES)",
            "split the input, or leave out data the matching does not use",
        )
    try:
        return json.loads(text, object_pairs_hook=object_pairs_hook)
    except json.JSONDecodeError as exc:
        raise fail(
            f"not valid JSON: {exc.msg} (column {exc.colno})",
            "correct the JSON syntax, e.g. a missing comma or quote",
            exc.lineno,
        ) from None
    except (ValueError, RecursionError) as exc:
        # Numbers of thousands of digits, or lists nested thousands deep.
        raise fail(
            f"cannot read the JSON: {exc}",
            "write numbers of ordinary size and nest lists only as the "
            "format does",
        ) from None


def list_too_long(count: int) -> str | None:
    """Return why a JSON list of *count* items is refused, or None.

    Each item is checked on its own and could add problems of its own,
    so a list has the row limit of a CSV file (`MAX_ROWS`).
    """
    if count <= MAX_ROWS:
        return None
    return (
        f"the list has {count:,} items; the limit is {MAX_ROWS:,} (MAX_ROWS)"
    )
