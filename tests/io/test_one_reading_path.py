"""One reading path: every reader of a file, a result or a service's JSON
reads and decodes through ``buddymatch.io.files``, within the limits
defined there once, and a result has one parser (``io.result_json``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from buddymatch import io as bio
from buddymatch import mapping, schema
from buddymatch.errors import InputError, InputProblem
from buddymatch.io import files as io_files
from buddymatch.travel import TravelMatrix

#: Every reader of a file, by what it reads.
READERS: dict[str, Callable[[Path], object]] = {
    "trusts": bio.read_problem,
    "problem_json": bio.read_problem_json,
    "arrangements": bio.read_arrangements,
    "travel_matrix": TravelMatrix.from_csv,
    "result": mapping.read_result,
}


def errors_of(
    call: Callable[..., object], *args: object, **kwargs: object
) -> list[InputProblem]:
    """Return the problems of the InputError that *call* must raise."""
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    return info.value.problems


@pytest.mark.parametrize("name", READERS)
def test_every_reader_meets_the_one_size_limit(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Was: the travel matrix and the map's result had limits of their own.
    monkeypatch.setattr(io_files, "MAX_FILE_BYTES", 10)
    path = tmp_path / "input.txt"
    path.write_bytes(b"x" * 11)
    [problem] = errors_of(READERS[name], path)
    assert problem.line is None
    assert "limit of 10 bytes (MAX_FILE_BYTES" in problem.message


@pytest.mark.parametrize("name", READERS)
def test_every_reader_decodes_alike(name: str, tmp_path: Path) -> None:
    # Was: three wordings, and only some placed the byte at its line.
    path = tmp_path / "input.txt"
    path.write_bytes(b"origin\n\xff\n")
    [problem] = errors_of(READERS[name], path)
    assert (problem.line, problem.message) == (
        2,
        "not UTF-8 text (byte 0xFF cannot be read)",
    )


@pytest.mark.parametrize(
    "parse", [schema.parse_problem, schema.parse_policy, schema.parse_result]
)
def test_a_service_decodes_bytes_as_files_are(
    parse: Callable[[bytes], object],
) -> None:
    [problem] = errors_of(parse, b"{\n\xff}")
    assert (problem.line, problem.message) == (
        2,
        "not UTF-8 text (byte 0xFF cannot be read)",
    )


def test_a_service_meets_the_json_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Was: parse_result and parse_policy decoded and validated JSON of
    # any size, one error per field of every item.
    monkeypatch.setattr(io_files, "MAX_ROWS", 3)
    items = json.dumps({"status": "optimal", "assignments": [{}] * 4})
    [problem] = errors_of(schema.parse_result, items)
    assert problem.line == "assignments"
    assert "MAX_ROWS" in problem.message
    monkeypatch.setattr(io_files, "MAX_JSON_VALUES", 3)
    for parse in (schema.parse_result, schema.parse_policy):
        [problem] = errors_of(parse, '{"a": [1, 2, 3]}')
        assert "MAX_JSON_VALUES" in problem.message


@pytest.mark.parametrize(
    "document",
    [
        {"status": "maybe"},
        {"status": "optimal", "": 5.0, "assignment": []},
        {"status": "optimal", "trusts": [{"id": "A", "lat": "north"}]},
        [1, 2],
    ],
    ids=["value", "unknown_keys", "item", "not_an_object"],
)
def test_a_result_has_one_parser(document: object, tmp_path: Path) -> None:
    # Was: mapping.read_result and schema.parse_result, in other words.
    path = tmp_path / "result.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    read = errors_of(mapping.read_result, path)
    parsed = errors_of(schema.parse_result, json.dumps(document))
    assert [(p.line, p.column, p.message) for p in read] == [
        (p.line, p.column, p.message) for p in parsed
    ]
