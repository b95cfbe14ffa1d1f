"""Safe with hostile or careless input (``docs/safety.md``).

* every CSV buddymatch writes is safe to open in a spreadsheet, and every
  Markdown, SVG and HTML output shows user text as text;
* files named after trusts stay in their folder and never collide;
* no input is parsed by anything that could run it;
* every input limit is enforced early, with an error naming it;
* regressions of the faults found by fuzzing (``tools/fuzz_readers.py``);
* no silent loss: every row of an accepted file is in the problem, and a
  rejected file names every bad row.

The fuzz tests of every reader are in ``test_fuzz_readers.py``; the limits
of ``test_io.py`` (file size, rows, field length, needs per cell) are not
repeated here.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import json
import random
import re
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import buddymatch as bm
from buddymatch import io as bio
from buddymatch import mapping
from buddymatch.errors import BuddymatchError, InputError, InputProblem
from buddymatch.rematch import Arrangement, write_rematch
from buddymatch.result import TrustRef
from buddymatch.terms import terms_file_names, write_terms
from buddymatch.travel import TravelMatrix
from conftest import at, make_trust, solve_verified
from strategies import problems, texts

DATA = Path(__file__).parent / "data"
TRUSTS = DATA / "trusts.csv"
SOURCE = Path(bm.__file__).parent

#: Names that would run, link or mark up if written as they are.
HOSTILE = (
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "<script>alert(1)</script>",
    "[link](javascript:alert(1)) *bold* | pipe <b>",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def errors_of(
    call: Callable[..., object], *args: object, **kwargs: object
) -> list[InputProblem]:
    """Return the problems of the InputError that *call* must raise."""
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    return info.value.problems


def assert_spreadsheet_safe(path: Path) -> list[dict[str, str]]:
    """Check every cell of the CSV at *path*; return its rows.

    A cell may start with a formula character only if it is a number
    (``-3.5``), which a spreadsheet reads as a number, never as a formula.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for column, cell in row.items():
            if cell.startswith(_FORMULA_STARTS):
                assert _NUMBER.fullmatch(cell), (column, cell)
    return rows


# ---------------------------------------------------------------------------
# Hostile names through every output
# ---------------------------------------------------------------------------


def _named(trust: bm.Trust, name: str) -> bm.Trust:
    return bm.Trust(**{**trust.model_dump(), "name": name, "region": name})


@pytest.fixture(scope="module")
def hostile_problem() -> bm.Problem:
    """Four seekers and four buddies, all with hostile names; one need
    that nobody can serve, so outputs carry an unmet reason too."""
    # Seekers always show in the outputs: they carry the markup.
    seeker_names = (HOSTILE[0], HOSTILE[6], HOSTILE[2], HOSTILE[7])
    buddy_names = (HOSTILE[1], HOSTILE[3], HOSTILE[4], HOSTILE[5])
    seekers = [
        _named(make_trust(f"S{i}", *at(i, east=True)), seeker_names[i])
        for i in range(4)
    ]
    buddies = [
        _named(
            make_trust(
                f"B{i}",
                *at(60 + 5 * i),
                capacity=3,
                expertise={"finance": 4},
            ),
            buddy_names[i],
        )
        for i in range(4)
    ]
    needs = [bm.Need(seeker=f"S{i}", area="finance") for i in range(4)]
    needs.append(bm.Need(seeker="S0", area="maternity"))
    relations = [
        bm.Relation(a="B0", b="B1", kind="prior", note=HOSTILE[0]),
    ]
    return bm.Problem(
        trusts=(*seekers, *buddies),
        needs=tuple(needs),
        relations=tuple(relations),
    )


@pytest.fixture(scope="module")
def hostile_result(hostile_problem: bm.Problem) -> bm.Result:
    return solve_verified(hostile_problem, deterministic=True, seed=1)


def test_pairings_csv_is_spreadsheet_safe(
    hostile_result: bm.Result, tmp_path: Path
) -> None:
    assert hostile_result.unmet  # the reason column is exercised too
    path = tmp_path / "pairings.csv"
    bm.write_pairings_csv(hostile_result, path)
    rows = assert_spreadsheet_safe(path)
    names = {row["seeker_name"] for row in rows}
    # Neutralised, not dropped: the apostrophe is all that was added.
    assert "'" + HOSTILE[0] in names
    numbers = [row["score"] for row in rows if row["buddy"]]
    assert numbers and all(_NUMBER.fullmatch(n) for n in numbers)


def test_rematch_csv_is_spreadsheet_safe(
    hostile_problem: bm.Problem, hostile_result: bm.Result, tmp_path: Path
) -> None:
    first = hostile_result.assignments[0]
    arrangements = [
        Arrangement(
            seeker=first.seeker,
            area=first.area,
            buddy=first.buddy,
            status="ongoing",
            start=dt.date(2024, 1, 1),
        )
    ]
    rematched = bm.rematch(
        hostile_problem, None, arrangements, deterministic=True, seed=1
    )
    path = tmp_path / "changes.csv"
    write_rematch(rematched, path)
    rows = assert_spreadsheet_safe(path)
    assert any(row["seeker_name"].startswith("'") for row in rows)
    markdown = tmp_path / "changes.md"
    write_rematch(rematched, markdown)
    assert "<script" not in markdown.read_text(encoding="utf-8")


def test_markdown_outputs_show_user_text_as_text(
    hostile_result: bm.Result, tmp_path: Path
) -> None:
    texts_written = [bm.render_markdown(hostile_result)]
    files = write_terms(hostile_result, tmp_path / "terms")
    texts_written.extend(p.read_text(encoding="utf-8") for p in files)
    assert len(texts_written) > 1
    for text in texts_written:
        assert "<script" not in text
        assert "<b>" not in text
        # No live link: every "](" that could open one is escaped.
        assert not re.search(r"(?<!\\)\]\(javascript:", text)
    assert "&lt;script&gt;" in texts_written[0]


@pytest.mark.parametrize("suffix", [".svg", ".html"])
def test_map_shows_user_text_as_text(
    hostile_result: bm.Result, tmp_path: Path, suffix: str
) -> None:
    path = bm.write_map(
        hostile_result, tmp_path / f"map{suffix}", title=HOSTILE[6]
    )
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;" in text


_names = texts(40)


@settings(max_examples=150, deadline=None)
@given(seeker_name=_names, buddy_name=_names, detail=_names)
def test_any_name_gives_a_spreadsheet_safe_pairings_file(
    seeker_name: str, buddy_name: str, detail: str
) -> None:
    # A result made by hand: names and the unmet detail are arbitrary
    # text, written through the real writer.
    assignment = bm.Assignment(
        seeker="S",
        area="finance",
        tier="light",
        buddy="B",
        travel_minutes=61.5,
        culture_fit=0.9,
        expertise=4,
        workload=1,
        fee=5000.0,
        score=-2.5,
        terms={"override": -2.5},
    )
    unmet = bm.UnmetNeed(
        seeker="S",
        area="maternity",
        tier="light",
        priority=2,
        buddies=1,
        candidates=0,
        reason="no_candidate",
        detail=detail,
    )
    result = bm.Result(
        status="feasible",
        assignments=(assignment,),
        unmet=(unmet,),
        trusts=(
            TrustRef(
                id="S", name=seeker_name, kind="acute", lat=52.0, lon=-1.0
            ),
            TrustRef(
                id="B", name=buddy_name, kind="acute", lat=53.0, lon=-1.0
            ),
        ),
    )
    rows = written_pairings_rows(result)
    for row in rows:
        for cell in row:
            if cell.startswith(_FORMULA_STARTS):
                assert _NUMBER.fullmatch(cell), cell
    # Nothing but the apostrophe is added: the name reads back.
    name = result.trust_name("S")
    assert rows[0][1] in (name, "'" + name)


def written_pairings_rows(result: bm.Result) -> list[list[str]]:
    """The data rows of the pairings CSV, written and read back."""
    # No tmp_path: Hypothesis runs many examples per test function.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pairings.csv"
        bm.write_pairings_csv(result, path)
        text = path.read_bytes().decode("utf-8")  # line ends as written
    return list(csv.reader(io.StringIO(text, newline="")))[1:]


@given(value=st.text())
def test_spreadsheet_safe_adds_only_an_apostrophe(value: str) -> None:
    safe = bio.spreadsheet_safe(value)
    assert not safe.startswith(_FORMULA_STARTS)
    assert safe in (value, "'" + value)


# ---------------------------------------------------------------------------
# File names from trust ids
# ---------------------------------------------------------------------------


def _partnership(seeker: str, buddy: str) -> bm.Partnership:
    # Built without validation, as a result file edited by hand could
    # give it: ids unchecked.
    return bm.Partnership.model_construct(
        seeker=seeker,
        buddy=buddy,
        areas=("finance",),
        tiers={"finance": "light"},
        workload=1,
        fee=5000.0,
        months=6,
    )


def _forged(*partnerships: bm.Partnership) -> bm.Result:
    return bm.Result.model_construct(
        status="optimal", partnerships=partnerships
    )


@pytest.mark.parametrize(
    "seeker",
    [
        "../evil",
        "..",
        ".",
        "a/b",
        "/etc/passwd",
        "a\\b",
        "C:x",
        "a\x00b",
        "x" * 65,
        "x" * 300,
        "",
        " S",
        "S\n",
        "S--~2",
    ],
)
def test_an_id_that_cannot_name_a_file_is_refused(
    seeker: str, tmp_path: Path
) -> None:
    folder = tmp_path / "terms"
    with pytest.raises(BuddymatchError, match="not a valid trust id"):
        write_terms(_forged(_partnership(seeker, "B")), folder)
    assert not folder.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("seeker", "stem"),
    [
        ("CON", "CON--B"),  # a device name only when nothing follows
        ("NUL.1", "_NUL.1--B"),
        ("aux.x", "_aux.x--B"),
        ("com7.2", "_com7.2--B"),
        ("LPT0.a", "_LPT0.a--B"),
        ("console.1", "console.1--B"),
        ("x" * 64, "x" * 64 + "--B"),
    ],
)
def test_names_windows_keeps_for_devices_are_avoided(
    seeker: str, stem: str
) -> None:
    result = _forged(_partnership(seeker, "B"))
    assert terms_file_names(result) == {(seeker, "B"): stem}


# Valid ids, with what makes stems collide (case, "-") and the letters of
# device names (CON, NUL, AUX, LPT1 ...).
_ids = st.builds(
    str.__add__,
    st.sampled_from("AaCcNnLl01"),
    st.text(st.sampled_from("OoNnUuLlXxPpTt1-._"), max_size=6),
)


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(_ids, _ids), min_size=1, max_size=12))
def test_file_names_never_collide_and_stay_plain(
    pairs: list[tuple[str, str]],
) -> None:
    names = terms_file_names(
        _forged(*(_partnership(s, b) for s, b in dict.fromkeys(pairs)))
    )
    stems = list(names.values())
    # Distinct even where case does not count (Windows, macOS).
    assert len({stem.casefold() for stem in stems}) == len(stems)
    for stem in stems:
        assert Path(f"{stem}.json").name == f"{stem}.json"
        assert len(f"{stem}.json") < 255
        device = stem.split(".", 1)[0]
        assert not re.fullmatch(r"(?i)con|prn|aux|nul|com\d|lpt\d", device)


def test_terms_replace_a_planted_link_instead_of_following_it(
    hostile_result: bm.Result, tmp_path: Path
) -> None:
    # A link planted under a terms file's name must not make buddymatch
    # write through it to a file outside the folder.
    outside = tmp_path / "outside.txt"
    outside.write_text("keep", encoding="utf-8")
    folder = tmp_path / "terms"
    folder.mkdir()
    stem = next(iter(terms_file_names(hostile_result).values()))
    (folder / f"{stem}.md").symlink_to(outside)
    written = write_terms(hostile_result, folder)
    assert outside.read_text(encoding="utf-8") == "keep"
    assert all(path.parent == folder for path in written)
    assert not (folder / f"{stem}.md").is_symlink()


# ---------------------------------------------------------------------------
# Safe parsing
# ---------------------------------------------------------------------------

_UNSAFE_MODULES = {"pickle", "marshal", "shelve", "dill", "yaml"}
_UNSAFE_CALLS = {"eval", "exec", "compile", "__import__"}


def test_no_input_is_parsed_by_code_that_could_run_it() -> None:
    found: list[str] = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(SOURCE)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                modules = []
            found.extend(
                f"{where} imports {module}"
                for module in modules
                if module.split(".")[0] in _UNSAFE_MODULES
            )
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in _UNSAFE_CALLS
            ):
                found.append(f"{where} calls {node.func.id}")
            if isinstance(node, ast.keyword) and node.arg == "shell":
                found.append(f"{where} passes shell=")
    assert found == []
    # The parsers that are used: tomllib for TOML, json + Pydantic for JSON.
    io_source = "".join(
        path.read_text(encoding="utf-8")
        for path in sorted((SOURCE / "io").glob("*.py"))
    )
    assert "tomllib.loads(" in io_source
    assert "json.loads(" in io_source


def test_toml_that_other_loaders_would_run_is_plain_text(
    tmp_path: Path,
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        "min_expertise = \"!!python/object/apply:os.system ['id']\"\n"
        "start_date = \"__import__('os')\"\n",
        encoding="utf-8",
    )
    found = errors_of(bio.read_policy, path)
    assert [(p.line, p.column) for p in found] == [
        (1, "min_expertise"),
        (2, "start_date"),
    ]


_ESCAPE = "\x1b]0;owned\x07\x1b[2J\u202e"


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".csv", f"id,kind,lat,lon,{_ESCAPE}\nA,acute,52,-1,x\n"),
        (".json", json.dumps({"trusts": [], _ESCAPE: 1})),
        # TOML strings hold control characters only as escapes.
        (
            ".toml",
            '"\\u001b]0;owned\\u0007" = 1\n'
            '[tiers."\\u001b]0;owned"]\nfee = 1\n',
        ),
    ],
)
def test_problems_never_carry_terminal_escapes(
    suffix: str, text: str, tmp_path: Path
) -> None:
    # Was: a header cell or key holding an escape sequence came back raw
    # as the problem's column (and JSON field path), and the CLI printed
    # it to the terminal.
    path = tmp_path / f"input{suffix}"
    path.write_text(text, encoding="utf-8")
    readers: dict[str, Callable[[Path], object]] = {
        ".csv": bio.read_problem,
        ".json": bio.read_problem_json,
        ".toml": bio.read_policy,
    }
    reader = readers[suffix]
    found = errors_of(reader, path)
    for problem in found:
        assert str(problem).isprintable()
    assert any("\\x1b]0;owned" in str(p) for p in found)


def test_the_cli_prints_no_terminal_escapes(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from buddymatch.cli import app

    path = tmp_path / "trusts.csv"
    path.write_text(f"id,kind,lat,lon,{_ESCAPE}\nA,acute,52,-1,x\n")
    outcome = CliRunner().invoke(app, ["validate", str(path)])
    assert outcome.exit_code == 2
    assert "\x1b" not in outcome.output
    assert "\u202e" not in outcome.output
    assert "\\x1b]0;owned" in outcome.output


# ---------------------------------------------------------------------------
# Bounded resources: every limit refused early, with its name
# ---------------------------------------------------------------------------

HEADER = "id,name,kind,lat,lon\n"


def test_a_million_rows_are_refused_without_reading_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After the million rows comes a line too long for any row: had the
    # reader gone on past the row limit, it would report that line too.
    monkeypatch.setattr(bio.files, "MAX_COLUMNS", 5)
    path = tmp_path / "trusts.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        handle.writelines(f"T{i},,acute,52,-1\n" for i in range(1_000_000))
        handle.write("x" * 100_000 + "\n")
    [problem] = errors_of(bio.read_problem, path)
    assert "more than 100,000 rows" in problem.message
    assert "MAX_ROWS" in problem.message


def test_a_needs_cell_of_ten_thousand_needs(tmp_path: Path) -> None:
    path = tmp_path / "trusts.csv"
    needs = ";".join(f"a{i}" for i in range(10_000))
    path.write_text(
        f'id,kind,lat,lon,needs\nS,acute,52,-1,"{needs}"\n', "utf-8"
    )
    [problem] = errors_of(bio.read_problem, path)
    assert (problem.line, problem.column) == (2, "needs")
    assert "MAX_FIELD_CHARS" in problem.message


_MEGABYTE = "n" * 1_000_000


@pytest.mark.parametrize(
    ("reader", "text", "line"),
    [
        (bio.read_problem, f'{HEADER}A,"{_MEGABYTE}",acute,52,-1\n', 2),
        (
            lambda path: bio.read_problem(TRUSTS, relations=path),
            f'a,b,kind,note\nS1,B1,prior,"{_MEGABYTE}"\n',
            2,
        ),
        (
            bio.read_arrangements,
            f'seeker,area,buddy,status\nS1,"{_MEGABYTE}",B1,ended\n',
            2,
        ),
        (
            TravelMatrix.from_csv,
            f'origin,destination,minutes\nA,B,1\nA,C,"{_MEGABYTE}"\n',
            3,
        ),
    ],
    ids=["trusts", "relations", "arrangements", "travel_matrix"],
)
def test_a_one_megabyte_field(
    reader: Callable[[Path], object], text: str, line: int, tmp_path: Path
) -> None:
    path = tmp_path / "big_field.csv"
    path.write_text(text, encoding="utf-8")
    [problem] = errors_of(reader, path)
    assert problem.line == line
    assert f"{bio.MAX_FIELD_CHARS:,}" in problem.message


_NESTED = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "text",
    [
        _NESTED,
        '{"trusts": ' + _NESTED + "}",
        '{"trusts": [{"culture": '
        + '{"a": ' * 100_000
        + "1"
        + "}" * 100_001
        + "]}",
    ],
    ids=["lists", "in_a_section", "objects"],
)
def test_deeply_nested_json(text: str, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(text, encoding="utf-8")
    for reader in (bio.read_problem_json, mapping.read_result):
        [problem] = errors_of(reader, path)
        assert problem.line is None
        assert "cannot read the JSON" in problem.message
        assert "recursion" in problem.message
    # JSON given as text is held to the same rules.
    [problem] = errors_of(bio.read_problem_json, text)
    assert "cannot read the JSON" in problem.message


def test_deeply_nested_toml(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("x = " + "[" * 5_000 + "]" * 5_000 + "\n", "utf-8")
    [problem] = errors_of(bio.read_policy, path)
    # Refused by the nesting scan, at the first bracket too deep, before
    # the parser runs out of recursion.
    assert problem.line == 1
    assert "MAX_POLICY_NESTING" in problem.message
    assert "column 12" in problem.message


_DEEP = ".".join(["a"] * 20_000)


@pytest.mark.parametrize(
    "text",
    [
        f"[{_DEEP}]\nx = 1\n",
        f"[[{_DEEP}]]\n",
        f"{_DEEP} = 1\n",
        "x = " + "{a = " * 5_000 + "1" + "}" * 5_000 + "\n",
        "x = [" + "{a = [" * 3_000 + "]}" * 3_000 + "]\n",
    ],
    ids=["header", "array_of_tables", "dotted_key", "inline", "mixed"],
)
def test_toml_nested_too_deep_is_refused_before_parsing(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Was: a 42 kB header of 21,000 parts cost 450 MB and 6.5 s (each
    # prefix of the key path was joined and looked up for its line), a
    # dotted key of 20,000 parts 1.6 GB; now neither reaches the parser.
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")

    def parse(text: str) -> object:
        raise AssertionError("parsed a policy nested too deep")

    monkeypatch.setattr(tomllib, "loads", parse)
    [problem] = errors_of(bio.read_policy, path)
    assert problem.line == 1
    assert f"deeper than {bio.MAX_POLICY_NESTING} levels" in problem.message
    assert "MAX_POLICY_NESTING" in problem.message


def _nesting(value: object, depth: int = 0) -> int:
    """The depth the nesting scan counts, of parsed TOML: a key one
    deeper than what holds it, an array's items one deeper than it."""
    if isinstance(value, dict):
        return max(
            (_nesting(v, depth + 1) for v in value.values()), default=depth
        )
    if isinstance(value, list):
        return max((_nesting(v, depth + 1) for v in value), default=depth + 1)
    return depth


@pytest.mark.parametrize(
    "text",
    [
        "max_partners = 3\n",
        "[tiers.light]\nworkload = 1\nmonths = 3\nfee = 0\n",
        "a.b.c = 1\n[t.u]\nv.w = 2\n[[x.y]]\nz = {p.q = [1, [2]]}\n",
        "x = [{a = 1}, {b = {c = 2}}]\ny = {}\nz = []\n",
        '"a.b.c.d.e.f.g.h.i.j" = "k.l.m.n.o.p.q.r.s.t"\n',
        "'[a.b.c.d.e.f.g.h.i.j]' = 1 # [a.b.c.d.e.f.g.h.i.j]\n",
        'x = """\n[a.b.c.d.e.f.g.h.i.j]\n"""\n[q]\nr = 1.5\n',
        "x = '''\n[[[[[[[[[[[\n'''\ny = \"\\\"[[[[[[[[[[\"\n",
        'x = """a""""\n[b.c]\nd = 1\n',
        "x = [\n  [1, 2],\n  [3, [4, [5]]],\n]\nw = 1979-05-27\n",
    ],
)
def test_toml_nesting_is_counted_as_parsed(text: str) -> None:
    # Neither more (strings, comments and numbers hold no levels) nor
    # less than the parser builds.
    depth = _nesting(tomllib.loads(text))
    assert bio.policy_toml._toml_too_deep(text, depth) is None
    assert bio.policy_toml._toml_too_deep(text, depth - 1) is not None


def test_toml_nesting_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    limit = bio.MAX_POLICY_NESTING
    for parts, words in ((limit, "unknown key"), (limit + 1, "deeper")):
        path.write_text(".".join(["a"] * parts) + " = 1\n", "utf-8")
        [problem] = errors_of(bio.read_policy, path)
        assert words in problem.message


# -- limits added with this safety work (regressions) -----------------------


def test_a_header_of_millions_of_columns_is_refused(tmp_path: Path) -> None:
    # Was: one "unknown column" problem per cell, 49 s and 1.9 GB for a
    # 4 MB header of two million columns.
    path = tmp_path / "trusts.csv"
    path.write_text("x," * 2_000_000 + "\n", encoding="utf-8")
    [problem] = errors_of(bio.read_problem, path)
    assert (problem.line, problem.column) == (1, None)
    assert "2,000,001 columns" in problem.message
    assert "MAX_COLUMNS" in problem.message


def test_a_line_of_millions_of_commas_is_refused(tmp_path: Path) -> None:
    # Was: parsed into a list of millions of cells first (20 MB of commas
    # took 400 MB).
    path = tmp_path / "trusts.csv"
    path.write_text(HEADER + "," * 20_000_000 + "\n", encoding="utf-8")
    [problem] = errors_of(bio.read_problem, path)
    assert problem.line == 2
    assert "MAX_COLUMNS" in problem.message
    assert "MAX_FIELD_CHARS" in problem.message


def test_cell_limit_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Was: 100,000 rows of 46 bad cells were all checked and reported
    # (4.6 million problems, 175 s, 3.4 GB for an 11 MB file).
    monkeypatch.setattr(bio.files, "MAX_CELLS", 50)
    path = tmp_path / "trusts.csv"
    rows = [f"T{i},,acute,52,-1\n" for i in range(9)]  # 5 + 9 x 5 = 50
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    assert len(bio.read_problem(path).trusts) == 9
    path.write_text(HEADER + "".join(rows) + "T9,,acute,52,-1\n", "utf-8")
    [problem] = errors_of(bio.read_problem, path)
    assert problem.line is None
    assert "more than 50 cells" in problem.message
    assert "MAX_CELLS" in problem.message


def test_real_cell_limit(tmp_path: Path) -> None:
    path = tmp_path / "trusts.csv"
    areas = [f"expertise_a{i}" for i in range(16)]
    level = ",1" * 16
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER.strip() + "," + ",".join(areas) + "\n")
        handle.writelines(
            f"T{i},,acute,52,-1{level}\n" for i in range(100_000)
        )
    [problem] = errors_of(bio.read_problem, path)
    assert "more than 2,000,000 cells" in problem.message


def test_needs_in_all_have_the_row_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Was: up to MAX_NEEDS_PER_CELL needs on each of MAX_ROWS rows, a
    # hundred times more needs than rows.
    monkeypatch.setattr(bio.files, "MAX_ROWS", 5)
    path = tmp_path / "trusts.csv"
    rows = "".join(f"S{i},acute,52,-1,a;b\n" for i in range(3))
    path.write_text(
        f"id,kind,lat,lon,needs,expertise_a,expertise_b\n{rows}".replace(
            ",a;b\n", ",a;b,1,1\n"
        ),
        encoding="utf-8",
    )
    [problem] = errors_of(bio.read_problem, path)
    assert (problem.line, problem.column) == (4, "needs")
    assert "more than 5 needs in all" in problem.message
    monkeypatch.setattr(bio.files, "MAX_ROWS", 6)
    assert len(bio.read_problem(path).needs) == 6


def test_json_with_too_many_values_is_refused_before_decoding(
    tmp_path: Path,
) -> None:
    # Was: 100 MB of empty objects was decoded (35 million dicts) and each
    # checked, until the process was killed for lack of memory.
    path = tmp_path / "problem.json"
    path.write_text(
        '{"trusts": [' + "{}," * (bio.MAX_JSON_VALUES // 2) + "{}]}",
        encoding="utf-8",
    )
    for reader in (bio.read_problem_json, mapping.read_result):
        [problem] = errors_of(reader, path)
        assert problem.line is None
        assert "more than 4,000,000 values" in problem.message
        assert "MAX_JSON_VALUES" in problem.message


def test_json_value_bound_is_an_upper_bound() -> None:
    documents = [
        0,
        "a,b",
        [],
        {},
        [1, [2, 3], {"a": [4]}],
        {"a": {"b": {}}, "c": 1},
        json.loads(
            (
                DATA.parent / "data" / "broken" / "problem_latitude.json"
            ).read_text(encoding="utf-8")
        ),
    ]

    def count(value: object) -> int:
        if isinstance(value, dict):
            return 1 + sum(count(v) for v in value.values())
        if isinstance(value, list):
            return 1 + sum(count(v) for v in value)
        return 1

    for document in documents:
        for text in (json.dumps(document), json.dumps(document, indent=1)):
            assert bio.json_value_bound(text) >= count(document)


@pytest.mark.parametrize("section", ["trusts", "relations"])
def test_a_json_list_over_the_row_limit_is_refused(
    section: str, tmp_path: Path
) -> None:
    path = tmp_path / "problem.json"
    items = ",".join(["{}"] * (bio.MAX_ROWS + 1))
    trusts = '[{"id": "A", "lat": 0, "lon": 0}]'
    body = f'"{section}": [{items}]'
    if section != "trusts":
        body = f'"trusts": {trusts}, ' + body
    path.write_text("{" + body + "}", encoding="utf-8")
    [problem] = errors_of(bio.read_problem_json, path)
    assert (problem.line, problem.column) == (section, section)
    assert "100,001 items" in problem.message
    assert "MAX_ROWS" in problem.message


def test_a_result_list_over_the_row_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    items = ",".join(["{}"] * (bio.MAX_ROWS + 1))
    path.write_text(
        '{"status": "optimal", "assignments": [' + items + "]}", "utf-8"
    )
    [problem] = errors_of(mapping.read_result, path)
    assert problem.line == "assignments"
    assert "MAX_ROWS" in problem.message


def test_a_file_that_is_not_a_result_lists_its_first_problems(
    tmp_path: Path,
) -> None:
    # Was: one problem per missing field of every item (1.1 million for
    # 100,000 empty assignments, 20 s and 1.7 GB).
    path = tmp_path / "result.json"
    path.write_text(
        '{"status": "optimal", "assignments": ['
        + ",".join(["{}"] * 500)
        + "]}",
        encoding="utf-8",
    )
    found = errors_of(mapping.read_result, path)
    assert len(found) == 101
    assert found[0].line == "assignments.0.seeker"
    assert "more problems" in found[-1].message
    assert "this is not a result file" in found[-1].message


def test_a_broken_item_far_down_a_long_result_list_is_placed(
    tmp_path: Path,
) -> None:
    # Long lists are checked a window of items at a time (so a file of
    # empty items cannot make a million errors): positions stay the file's.
    assignment = bm.Assignment(
        seeker="S",
        area="finance",
        tier="light",
        buddy="B",
        travel_minutes=61.5,
        culture_fit=0.9,
        expertise=4,
        workload=1,
        fee=5000.0,
        score=2.5,
        terms={"expertise": 2.5},
    ).model_dump(mode="json")
    items = [assignment] * 2_500
    items[1_234] = {**assignment, "workload": "lots"}
    path = tmp_path / "result.json"
    path.write_text(
        json.dumps({"status": "optimal", "assignments": items}), "utf-8"
    )
    [problem] = errors_of(mapping.read_result, path)
    assert problem.line == "assignments.1234.workload"


def test_policy_size_limit(tmp_path: Path) -> None:
    # Was: every key of a long file checked and reported (2.3 MB of keys
    # took 12 s and 540 MB; 100 MB would not have finished).
    path = tmp_path / "policy.toml"
    line = "# a comment that is long enough to fill the file quickly\n"
    path.write_text(
        line * (bio.MAX_POLICY_BYTES // len(line) + 1), encoding="utf-8"
    )
    [problem] = errors_of(bio.read_policy, path)
    assert problem.line is None
    assert "MAX_POLICY_BYTES" in problem.message
    path.write_text(line * (bio.MAX_POLICY_BYTES // len(line)), "utf-8")
    assert bio.read_policy(path) == bm.Policy()


# ---------------------------------------------------------------------------
# Other regressions found while fuzzing
# ---------------------------------------------------------------------------


def test_travel_matrix_given_a_folder(tmp_path: Path) -> None:
    # Was: IsADirectoryError escaped from TravelMatrix.from_csv.
    [problem] = errors_of(TravelMatrix.from_csv, tmp_path)
    assert problem.line is None
    assert problem.message == "this is a folder, not a file"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"": []}', '""'),
        ('{"": 1, "": 2, "trusts": []}', '""'),
        ('{"trusts": [{"": 1}]}', 'trusts.0.""'),
    ],
)
def test_an_empty_json_key_is_placed(text: str, line: str) -> None:
    # Found by atheris: the empty key vanished from the field path, so a
    # top-level unknown field '' had no line.
    found = errors_of(bio.read_problem_json, text)
    assert all(p.line is not None for p in found)
    assert (found[0].line, found[0].column) == (line, '""')


def test_an_empty_toml_key_is_placed(tmp_path: Path) -> None:
    # Found by atheris: '"".seekers_can_buddy = "yes"' gave an unknown
    # key '' without a line.
    path = tmp_path / "policy.toml"
    path.write_text(
        'min_expertise = 3\n"".seekers_can_buddy = "yes"\n',
        encoding="utf-8",
    )
    [problem] = errors_of(bio.read_policy, path)
    assert (problem.line, problem.column) == (2, '""')


@pytest.mark.parametrize(
    "value",
    [
        '""""   = """"#""t$"""',  # found by atheris
        '"x\\"\\"\\"" # """',
        '[\n  """m\nmax_partners = 1""",\n]',
        '"""a\nb\\\\"""',
        "'''a\nb''''",
    ],
)
def test_keys_after_tricky_strings_are_placed(
    value: str, tmp_path: Path
) -> None:
    # Was: multi-line strings were followed by counting delimiters, which
    # quotes inside strings and comments fooled; the keys after them lost
    # their lines.
    text = f"min_expertise = 5\nnote = {value}\nmax_partne3s = 2\n"
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    found = errors_of(bio.read_policy, path)
    last = text.count("\n")
    assert [(p.line, p.column) for p in found] == [
        (2, "note"),
        (last, "max_partne3s"),
    ]


@pytest.mark.parametrize(
    ("text", "placed"),
    [
        # Found by atheris: '"{r[tiers.eg\\t" = 0' was looked up as the
        # path "{r[tiers" > "eg\t", so the unknown key had no line.
        (
            'min_expertise = 3\n"{r[tiers.eg\\t" = 0\n[tiers."a.b"]\n'
            "fee = 1\n",
            [(2, "{r[tiers.eg\\t"), (3, "tiers.a.b")],
        ),
        # Was: the key's line was looked up undecoded ("\u0041bc", not
        # "Abc"), so its problem had no line.
        (
            'min_expertise = 3\n"\\u0041bc" = 1\n"x\\ty" = 2\n'
            "'lit\\eral' = 3\n",
            [(2, "Abc"), (3, "x\\ty"), (4, "lit\\eral")],
        ),
    ],
    ids=["dots", "escapes"],
)
def test_a_quoted_toml_key_is_placed(
    text: str, placed: list[tuple[int, str]], tmp_path: Path
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    found = errors_of(bio.read_policy, path)
    assert [(p.line, p.column) for p in found] == placed


def test_an_empty_key_in_a_result_is_placed(tmp_path: Path) -> None:
    # Found by atheris: pydantic's location ("",) of an unknown empty key
    # joined to "", which read as no line at all.
    path = tmp_path / "result.json"
    path.write_text('{"status": "optimal", "": 5.0}', encoding="utf-8")
    [problem] = errors_of(mapping.read_result, path)
    assert problem.line == '""'
    # One parser of a result: the map's words are the service's.
    assert problem.message == "unknown key ''"


@pytest.mark.parametrize("minutes", ["1_000", "\u0661\u0660", "\uff15"])
def test_travel_matrix_numbers_are_ascii(minutes: str, tmp_path: Path) -> None:
    # Was: accepted by TravelMatrix.from_csv (Python's float() takes them)
    # but refused by read_problem's travel matrix.
    path = tmp_path / "travel.csv"
    path.write_text(f"origin,destination,minutes\nA,B,{minutes}\n", "utf-8")
    [problem] = errors_of(TravelMatrix.from_csv, path)
    assert (problem.line, problem.column) == (2, "minutes")
    assert "not a number" in problem.message
    found = errors_of(bio.read_problem, TRUSTS, travel_matrix=path)
    assert any(p.column == "minutes" for p in found)


def test_travel_matrix_messages_quote_long_values_shortly(
    tmp_path: Path,
) -> None:
    path = tmp_path / "travel.csv"
    path.write_text(
        "origin,destination,minutes\nA,B," + "9" * 5_000 + "\n", "utf-8"
    )
    [problem] = errors_of(TravelMatrix.from_csv, path)
    assert problem.line == 2
    assert len(problem.message) < 100


def test_travel_matrix_line_of_millions_of_commas(tmp_path: Path) -> None:
    path = tmp_path / "travel.csv"
    path.write_text(
        "origin,destination,minutes\n" + "," * 5_000_000 + "\n", "utf-8"
    )
    [problem] = errors_of(TravelMatrix.from_csv, path)
    assert problem.line == 2
    assert "longer than" in problem.message


# ---------------------------------------------------------------------------
# No silent loss
# ---------------------------------------------------------------------------

_FILES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
_KINDS = ("trusts", "relations", "pairs", "travel")
#: A cell to spoil per file, and what it is spoiled with.
_SPOIL = {
    "trusts": ("lat", "north"),
    "relations": ("kind", "friend"),
    "pairs": ("buddy", "not an id"),
    "travel": ("minutes", "soon"),
}


def _records(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return the header and each data record with its physical line."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        records = []
        line = reader.line_num + 1
        for cells in reader:
            records.append((line, cells))
            line = reader.line_num + 1
    return header, records


def _rewrite(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    blank_after: set[int],
) -> None:
    """Write *rows* back, with a blank line and an empty row after each
    row whose index is in *blank_after*."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for index, row in enumerate(rows):
            writer.writerow(row)
            if index in blank_after:
                handle.write("\r\n")
                writer.writerow([""] * len(header))


def _read(written: dict[str, Path]) -> bm.Problem:
    return bio.read_problem(
        written["trusts"],
        relations=written.get("relations"),
        pairs=written.get("pairs"),
        travel_matrix=written.get("travel"),
    )


@_FILES
@given(problem=problems(), data=st.data())
def test_every_row_of_an_accepted_file_is_in_the_problem(
    problem: bm.Problem, data: st.DataObject, tmp_path: Path
) -> None:
    # Blank lines, empty rows and shuffled columns change nothing: each
    # data row is one trust, relation, override or travel time, and each
    # need token one need.
    written = bio.write_problem_csv(problem, tmp_path)
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    for path in written.values():
        header, records = _records(path)
        order = list(range(len(header)))
        rng.shuffle(order)
        rows = [[cells[i] for i in order] for _, cells in records]
        blank_after = {i for i in range(len(rows)) if rng.random() < 0.3}
        _rewrite(path, [header[i] for i in order], rows, blank_after)
    again = _read(written)
    assert again == problem
    counts = {kind: len(_records(path)[1]) for kind, path in written.items()}
    blank = [
        sum(1 for _, cells in _records(path)[1] if not "".join(cells))
        for path in written.values()
    ]
    assert sum(counts.values()) - sum(blank) == (
        len(again.trusts)
        + len(again.relations)
        + len(again.overrides)
        + len(again.travel or ())
    )


@_FILES
@given(problem=problems(), data=st.data())
def test_a_rejected_file_names_every_bad_row(
    problem: bm.Problem, data: st.DataObject, tmp_path: Path
) -> None:
    written = bio.write_problem_csv(problem, tmp_path)
    rng = random.Random(data.draw(st.integers(0, 2**32), label="seed"))
    spoiled: set[tuple[str, int]] = set()
    for kind, path in written.items():
        column, bad = _SPOIL[kind]
        header, records = _records(path)
        rows = [cells for _, cells in records]
        chosen = {i for i in range(len(rows)) if rng.random() < 0.4}
        for i in chosen:
            rows[i][header.index(column)] = bad
        _rewrite(path, header, rows, set())
        lines = [line for line, _ in _records(path)[1]]
        spoiled.update((str(path), lines[i]) for i in chosen)
    if not spoiled:
        assert _read(written) == problem
        return
    with pytest.raises(InputError) as info:
        _read(written)
    named = {(p.file, p.line) for p in info.value.problems}
    assert spoiled <= named
    assert all(
        isinstance(p.line, int) or p.line is None for p in info.value.problems
    )


def test_limits_are_documented() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "safety.md").read_text(
        encoding="utf-8"
    )
    for name in (
        "MAX_FILE_BYTES",
        "MAX_ROWS",
        "MAX_COLUMNS",
        "MAX_CELLS",
        "MAX_JSON_VALUES",
        "MAX_FIELD_CHARS",
        "MAX_NEEDS_PER_CELL",
        "MAX_POLICY_BYTES",
    ):
        value = getattr(bio, name)
        assert name in doc
        assert f"{value:,}" in doc, name
    assert "tools/fuzz_readers.py" in doc
