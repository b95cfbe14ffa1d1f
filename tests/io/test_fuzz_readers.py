"""Fuzzing every reader: arbitrary or mangled input never crashes.

Each reader gets arbitrary bytes, arbitrary text and "near-valid" text (a
valid fixture with a few characters inserted, deleted, replaced or
duplicated, which gets past the header and explores row handling).  The
contract (``docs/safety.md``):

* the reader returns its normal value (a :class:`~buddymatch.Problem`,
  :class:`~buddymatch.Policy`, list of arrangements, travel matrix or
  result), or raises :class:`~buddymatch.errors.InputError`; never any
  other exception;
* every problem of the error names the file read and says what is wrong
  and what to do;
* every problem has a line (a physical line, or for JSON a field path),
  unless it concerns the file as a whole: those are the messages matched
  by ``WHOLE_FILE`` below, and nothing else may come without a line.

``BUDDYMATCH_FUZZ_EXAMPLES`` sets the examples per test (default 120, so
the file runs in seconds); ``tools/fuzz_readers.py`` is the long,
coverage-guided run.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import buddymatch as bm
from buddymatch import io as bio
from buddymatch.errors import InputError
from buddymatch.mapping import read_result
from buddymatch.rematch import Arrangement
from buddymatch.result import TrustRef
from buddymatch.travel import TravelMatrix

DATA = Path(__file__).parents[1] / "data"
TRUSTS = DATA / "trusts.csv"

#: Problems that may come without a line: they concern the file (or, for
#: the whole-problem checks, the list of trusts) as a whole.
WHOLE_FILE = re.compile(
    "|".join(
        [
            r"file not found",
            r"this is a folder",
            r"cannot (open|read) the file",
            r"the file is larger than the limit",
            r"the file is \S+ bytes; the limit",
            r"the file is empty",
            r"the file has more than [\d,]+ (rows|cells)",
            r"the file has a header but no trust rows",
            r"the matrix has no rows",
            r"there are no trusts",
            r"the file is not UTF-8 text",
            r"cannot read the (JSON|TOML)",
            r"the JSON holds more than [\d,]+ values",
            r"more problems: this is not a result file",
            r"not valid TOML",
            r"the document is .*, not an object",
            r"expected a JSON object",
        ]
    )
)

_EXAMPLES = int(os.environ.get("BUDDYMATCH_FUZZ_EXAMPLES", "120"))
_FUZZ = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---------------------------------------------------------------------------
# The readers and a valid seed file for each
# ---------------------------------------------------------------------------


def _result_json() -> str:
    """A small valid result, as ``propose --out x.json`` writes it."""
    assignment = bm.Assignment(
        seeker="S1",
        area="finance",
        tier="light",
        buddy="B1",
        travel_minutes=62.5,
        culture_fit=0.93,
        expertise=5,
        workload=1,
        fee=5000.0,
        score=12.5,
        terms={"expertise": 10.0, "culture": 2.5},
    )
    unmet = bm.UnmetNeed(
        seeker="S2",
        area="maternity",
        tier="light",
        priority=2,
        buddies=1,
        candidates=0,
        reason="no_candidate",
        detail="no buddy qualifies",
    )
    return bm.Result(
        status="optimal",
        assignments=(assignment,),
        unmet=(unmet,),
        trusts=(
            TrustRef(
                id="S1", name="Seaside", kind="acute", lat=50.8, lon=-0.1
            ),
            TrustRef(
                id="S2", name="Northern", kind="acute", lat=53.8, lon=-1.5
            ),
            TrustRef(
                id="B1",
                name="University",
                kind="acute_teaching",
                lat=52.4,
                lon=-1.9,
            ),
        ),
    ).to_json()


FIXTURE = bio.read_problem(
    TRUSTS,
    relations=DATA / "relations.csv",
    pairs=DATA / "pairs.csv",
    travel_matrix=DATA / "travel.csv",
)


@dataclass(frozen=True)
class Reader:
    """One reader under test: how to call it, what it returns, a seed."""

    name: str
    suffix: str
    read: Callable[[Path], object]
    returns: type | tuple[type, ...]
    seed: str
    #: The file names a problem may carry besides the path as given.
    by_name: bool = False


def _text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


READERS = [
    Reader(
        "trusts", ".csv", bio.read_problem, bm.Problem, _text("trusts.csv")
    ),
    Reader(
        "relations",
        ".csv",
        lambda path: bio.read_problem(TRUSTS, relations=path),
        bm.Problem,
        _text("relations.csv"),
    ),
    Reader(
        "pairs",
        ".csv",
        lambda path: bio.read_problem(TRUSTS, pairs=path),
        bm.Problem,
        _text("pairs.csv"),
    ),
    Reader(
        "travel",
        ".csv",
        lambda path: bio.read_problem(TRUSTS, travel_matrix=path),
        bm.Problem,
        _text("travel.csv"),
    ),
    Reader(
        "travel_matrix",
        ".csv",
        TravelMatrix.from_csv,
        TravelMatrix,
        _text("travel.csv"),
        by_name=True,
    ),
    Reader(
        "policy", ".toml", bio.read_policy, bm.Policy, _text("policy.toml")
    ),
    Reader(
        "arrangements",
        ".csv",
        lambda path: bio.read_arrangements(path, problem=FIXTURE),
        list,
        "seeker,area,buddy,status,start\n"
        "S1,finance,B2,ongoing,2024-10-01\n"
        "S2,maternity,B1,ended,\n",
    ),
    Reader(
        "problem_json",
        ".json",
        bio.read_problem_json,
        bm.Problem,
        FIXTURE.model_dump_json(indent=1),
    ),
    Reader("result_json", ".json", read_result, bm.Result, _result_json()),
]
BY_NAME = {reader.name: reader for reader in READERS}


# ---------------------------------------------------------------------------
# The contract
# ---------------------------------------------------------------------------


def check_outcome(reader: Reader, path: Path) -> object:
    """Read *path*; return what the reader returned, or the InputError.

    Fails the test on any other exception, and on an error whose problems
    break the contract in the module docstring.
    """
    try:
        value = reader.read(path)
    except InputError as error:
        check_problems(reader, path, error)
        return error
    assert isinstance(value, reader.returns)
    if isinstance(value, list):
        assert all(isinstance(item, Arrangement) for item in value)
    return value


def check_problems(reader: Reader, path: Path, error: InputError) -> None:
    """Assert that every problem of *error* is placed and explained."""
    assert error.problems, "an InputError lists at least one problem"
    files = {str(path), path.name} if reader.by_name else {str(path)}
    if reader.name in ("relations", "pairs", "travel"):
        files.add(str(TRUSTS))
    for problem in error.problems:
        assert problem.file in files, problem
        assert problem.message.strip(), problem
        assert problem.fix.strip(), problem
        # Safe to print: no terminal escapes, line breaks or bidi marks.
        for text in (
            problem.line,
            problem.column,
            problem.message,
            problem.fix,
        ):
            assert not isinstance(text, str) or text.isprintable(), problem
        if problem.line is None:
            assert WHOLE_FILE.search(problem.message), (
                f"a problem without a line that is not about the whole "
                f"file: {problem}"
            )
        elif isinstance(problem.line, int):
            assert problem.line >= 1, problem
        else:
            assert reader.suffix == ".json", problem
            assert problem.line, problem
        str(problem)  # renders


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="buddymatch-fuzz-") as name:
        yield Path(name)


def _write(folder: Path, reader: Reader, data: bytes) -> Path:
    # The same name each time: examples overwrite one another's file.
    path = folder / f"{reader.name}{reader.suffix}"
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------
# Strategies: arbitrary bytes and text, and mutations of the seed
# ---------------------------------------------------------------------------

#: Characters that mean something to CSV, TOML, JSON or the readers.
_SPECIAL = [
    *",;:\"'\n\r\t =+-@#.[]{}0123456789eE\\_",
    "\x00",
    "\ufeff",
    "\u2028",
    "\x1c",
    "\xa0",
    "é",
    "中",
    "\U0001f600",
    "none",
    "nan",
    "inf",
    "-0",
    "1e999",
    "true",
    "null",
    "[[",
    '"""',
    "9" * 30,
    "pinned",
    "veto",
    "ongoing",
    "ended",
    "programme",
]
_pieces = st.one_of(
    st.sampled_from(_SPECIAL),
    st.text(max_size=4),
)


@st.composite
def mutated(draw: st.DrawFn, seed: str) -> str:
    """Draw *seed* with a few insertions, deletions, replacements and
    duplications."""
    text = seed
    for _ in range(draw(st.integers(1, 5))):
        start = draw(st.integers(0, len(text)))
        end = min(len(text), start + draw(st.integers(0, 12)))
        operation = draw(
            st.sampled_from(("insert", "delete", "replace", "duplicate"))
        )
        if operation == "insert":
            text = text[:start] + draw(_pieces) + text[start:]
        elif operation == "delete":
            text = text[:start] + text[end:]
        elif operation == "replace":
            text = text[:start] + draw(_pieces) + text[end:]
        else:
            text = text[:end] + text[start:end] + text[end:]
    return text


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------------------
# The fuzz tests
# ---------------------------------------------------------------------------

_NAMES = [reader.name for reader in READERS]


@pytest.mark.parametrize("name", _NAMES)
def test_seed_files_are_accepted(name: str, folder: Path) -> None:
    reader = BY_NAME[name]
    path = _write(folder, reader, reader.seed.encode("utf-8"))
    assert not isinstance(check_outcome(reader, path), InputError)


#: Inputs on which ``tools/fuzz_readers.py`` found the contract broken,
#: as it wrote them (each fixed; see docs/safety.md).
FOUND_BY_FUZZING = [
    ("problem_json", b'{"": []}'),
    ("policy", b'"".seekers_can_buddy = "yes"\n'),
    (
        "policy",
        b'min_expertise = 5\nmax_t = """" = """"#""t$"""ravel_minutes = '
        b'"culture_none"\nmax_partne3s = 2\n',
    ),
    ("policy", b'"{r[tiers.eg\\t\\t\\t"=0'),
    (
        "result_json",
        b'{\n  "status": "optimal", "infeasrkload": 2,\n        "": 5.0,\n'
        b'    "keep_ongoing":5000}',
    ),
]


@pytest.mark.parametrize(("name", "data"), FOUND_BY_FUZZING)
def test_inputs_found_by_fuzzing(name: str, data: bytes, folder: Path) -> None:
    reader = BY_NAME[name]
    outcome = check_outcome(reader, _write(folder, reader, data))
    assert isinstance(outcome, InputError)


@pytest.mark.parametrize("name", _NAMES)
@_FUZZ
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes(name: str, data: bytes, folder: Path) -> None:
    reader = BY_NAME[name]
    check_outcome(reader, _write(folder, reader, data))


@pytest.mark.parametrize("name", _NAMES)
@_FUZZ
@given(text=st.text(max_size=300))
def test_arbitrary_text(name: str, text: str, folder: Path) -> None:
    reader = BY_NAME[name]
    check_outcome(reader, _write(folder, reader, _encode(text)))


@pytest.mark.parametrize("name", _NAMES)
@_FUZZ
@given(data=st.data())
def test_near_valid_text(name: str, data: st.DataObject, folder: Path) -> None:
    reader = BY_NAME[name]
    text = data.draw(mutated(reader.seed), label="text")
    check_outcome(reader, _write(folder, reader, _encode(text)))
