"""Reading valid input, writing, round trips and limits (buddymatch.io)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import buddymatch as bm
from buddymatch import io as bio
from buddymatch.errors import InputError
from buddymatch.result import PAIRINGS_COLUMNS
from strategies import policies, problems

DATA = Path(__file__).parents[1] / "data"
TRUSTS = DATA / "trusts.csv"
RELATIONS = DATA / "relations.csv"
PAIRS = DATA / "pairs.csv"
TRAVEL = DATA / "travel.csv"
POLICY = DATA / "policy.toml"

# Writing files under Hypothesis: the tmp_path fixture is shared between
# examples, which is fine as every example overwrites the same files.
_FILES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def read_all() -> bm.Problem:
    return bio.read_problem(
        TRUSTS, relations=RELATIONS, pairs=PAIRS, travel_matrix=TRAVEL
    )


def errors_of(
    call: Callable[..., object], *args: object, **kwargs: object
) -> list[bm.InputProblem]:
    """Return the problems of the InputError that *call* must raise."""
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    return info.value.problems


# ---------------------------------------------------------------------------
# Reading valid input
# ---------------------------------------------------------------------------


def test_reads_the_fixture_files() -> None:
    problem = read_all()
    assert problem.trust_ids == ("S1", "S2", "B1", "B2", "B3")
    s2 = problem.trust("S2")
    assert s2.name == "Northern Care, Mental Health"
    assert s2.kind == "mental_health"
    assert (s2.lat, s2.lon) == (53.8, -1.55)
    assert s2.culture == {"openness": 5.0, "learning": 4.8}
    assert s2.expertise == {"finance": 3, "maternity": 1, "governance": 2}
    assert problem.trust("B2").name == 'The "Royal" Infirmary'
    assert problem.trust("B2").max_partners is None  # empty: policy default
    assert problem.trust("B1").max_partners == 3
    assert problem.needs == (
        bm.Need(seeker="S1", area="finance", tier="programme", priority=3),
        bm.Need(seeker="S1", area="governance"),
        bm.Need(seeker="S2", area="maternity", buddies=2),
    )
    assert problem.relations[0].note == "worked together on finance, 2019"
    assert problem.relations[2] == bm.Relation(
        a="S1",
        b="B2",
        kind="pinned",
        area="finance",
        note="agreed by both boards",
    )
    assert problem.relations[3].note is None
    assert problem.overrides == (
        bm.PairOverride(seeker="S1", area="finance", buddy="B1", score=42.5),
        bm.PairOverride(seeker="S2", area="maternity", buddy="B2", workload=2),
    )
    assert problem.travel is not None
    assert [(e.origin, e.destination, e.minutes) for e in problem.travel] == [
        ("S1", "B1", 150.0),
        ("S1", "B2", 120.5),
        ("S2", "B1", 95.0),
    ]


def test_paths_may_be_str_or_pathlike() -> None:
    assert bio.read_problem(str(TRUSTS)) == bio.read_problem(TRUSTS)


def test_bom_and_crlf_read_the_same(tmp_path: Path) -> None:
    text = TRUSTS.read_text(encoding="utf-8")
    variant = tmp_path / "trusts.csv"
    variant.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert bio.read_problem(variant) == bio.read_problem(TRUSTS)


def test_column_order_is_free(tmp_path: Path) -> None:
    with TRUSTS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    order = list(reversed(range(len(rows[0]))))
    shuffled = tmp_path / "trusts.csv"
    with shuffled.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([[r[i] for i in order] for r in rows])
    assert bio.read_problem(shuffled) == bio.read_problem(TRUSTS)


def test_header_case_and_kind_case_do_not_matter(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "ID,Kind,LAT,Lon,Expertise_finance\nA,Acute,52,-1,3\n", "utf-8"
    )
    trust = bio.read_problem(path).trusts[0]
    assert (trust.kind, trust.expertise) == ("acute", {"finance": 3})


def test_quoted_cells_with_line_breaks_keep_physical_lines(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "id,name,kind,lat,lon\n"
        'A,"Alpha, ""the first""\nsecond line",acute,52,-1\n'
        "B,Beta,acute,95,-1\n",
        encoding="utf-8",
    )
    [problem] = errors_of(bio.read_problem, path)
    assert (problem.line, problem.column) == (4, "lat")
    path.write_text(
        path.read_text("utf-8").replace("95", "51"), encoding="utf-8"
    )
    assert bio.read_problem(path).trusts[0].name == (
        'Alpha, "the first"\nsecond line'
    )


def test_empty_cells_take_their_defaults(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "id,name,kind,lat,lon,region,capacity,max_partners,needs,"
        "expertise_finance\n"
        "A,,acute,52,-1,,,,,\n",
        encoding="utf-8",
    )
    trust = bio.read_problem(path).trusts[0]
    assert trust == bm.Trust(
        id="A", kind="acute", lat=52, lon=-1, expertise={"finance": 0}
    )
    assert (trust.name, trust.region, trust.capacity) == ("", None, 0)


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "id,kind,lat,lon\n\nA,acute,52,-1\n,,,\n\nB,acute,52,-200\n",
        encoding="utf-8",
    )
    [problem] = errors_of(bio.read_problem, path)
    assert (problem.line, problem.column) == (6, "lon")


def test_needs_cell_positions_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "id,kind,lat,lon,needs,expertise_a,expertise_b,expertise_c\n"
        "S,acute,52,-1, a::2 ; b:intensive:1:1;;c:::3; ,0,0,0\n",
        encoding="utf-8",
    )
    assert bio.read_problem(path).needs == (
        bm.Need(seeker="S", area="a", buddies=2),
        bm.Need(seeker="S", area="b", tier="intensive", priority=1),
        bm.Need(seeker="S", area="c", priority=3),
    )


def test_need_tiers_come_from_the_policy(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "id,kind,lat,lon,needs,expertise_a\nS,acute,52,-1,a:mentoring,0\n",
        encoding="utf-8",
    )
    [problem] = errors_of(bio.read_problem, path)
    assert "'mentoring' is not a tier" in problem.message
    policy = bio.read_policy(POLICY)
    assert bio.read_problem(path, policy=policy).needs[0].tier == "mentoring"


def test_relations_area_and_note_are_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("b,kind,a\nB1,competitor,S1\n", encoding="utf-8")
    problem = bio.read_problem(TRUSTS, relations=path)
    assert problem.relations == (
        bm.Relation(a="S1", b="B1", kind="competitor"),
    )


def test_header_only_optional_files_are_empty(tmp_path: Path) -> None:
    relations = tmp_path / "r.csv"
    relations.write_text("a,b,kind\n", encoding="utf-8")
    travel = tmp_path / "m.csv"
    travel.write_text("origin,destination,minutes\n", encoding="utf-8")
    problem = bio.read_problem(
        TRUSTS, relations=relations, travel_matrix=travel
    )
    assert problem.relations == ()
    assert problem.travel == ()


def test_every_file_is_checked_in_one_read(tmp_path: Path) -> None:
    relations = tmp_path / "r.csv"
    relations.write_text("a,b,kind\nS1,B1,rival\n", encoding="utf-8")
    pairs = tmp_path / "p.csv"
    pairs.write_text("seeker,area,buddy,score\nS1,finance,B1,x\n", "utf-8")
    found = errors_of(
        bio.read_problem,
        DATA / "broken" / "trusts_latitude_95.csv",
        relations=relations,
        pairs=pairs,
    )
    assert [(Path(p.file).name, p.line, p.column) for p in found] == [
        ("trusts_latitude_95.csv", 3, "lat"),
        ("r.csv", 2, "kind"),
        ("p.csv", 2, "score"),
    ]


def test_error_quotes_the_file_as_given() -> None:
    given_path = str(DATA / "broken" / ".." / "broken" / "trusts_bad_id.csv")
    [problem] = errors_of(bio.read_problem, given_path)
    assert problem.file == given_path
    assert str(problem).startswith(f"{given_path}, line 2, column id: ")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    [missing] = errors_of(bio.read_problem, tmp_path / "nope.csv")
    assert "not found" in missing.message
    [folder] = errors_of(bio.read_problem, tmp_path)
    assert "folder" in folder.message


# ---------------------------------------------------------------------------
# Policy TOML
# ---------------------------------------------------------------------------


def test_reads_the_policy_fixture() -> None:
    policy = bio.read_policy(POLICY)
    assert policy.max_travel_minutes is None  # "none" switches it off
    assert policy.max_partners == 2
    assert policy.keep_ongoing == "soft"
    assert policy.start_date == dt.date(2025, 4, 1)
    # Tiers merge over the defaults, field by field.
    assert policy.tiers["programme"] == bm.Tier(
        workload=3, months=12, fee=25_000.0
    )
    assert policy.tiers["mentoring"] == bm.Tier(workload=1, months=3, fee=2000)
    assert policy.tiers["light"] == bm.Policy().tiers["light"]


def test_policy_dotted_keys_and_quoted_dates(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        'start_date = "2026-01-31"\ntiers.light.fee = 100\n'
        "tiers.light.hours = 1\n",
        encoding="utf-8",
    )
    [problem] = errors_of(bio.read_policy, path)
    assert (problem.line, problem.column) == (3, "tiers.light.hours")
    path.write_text(
        path.read_text("utf-8").replace("tiers.light.hours = 1\n", ""),
        encoding="utf-8",
    )
    policy = bio.read_policy(path)
    assert policy.start_date == dt.date(2026, 1, 31)
    assert policy.tiers["light"].fee == 100.0


def test_policy_key_in_an_inline_table_is_placed_at_its_table(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        "min_expertise = 2\ntiers = { light = { hours = 1 } }\n",
        encoding="utf-8",
    )
    [problem] = errors_of(bio.read_policy, path)
    assert (problem.line, problem.column) == (2, "tiers.light.hours")


def test_policy_reports_every_bad_key(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        "min_expertise = 9\nspeed = 50\nbudget = -1\n"
        'seekers_can_buddy = "no"\n',
        encoding="utf-8",
    )
    found = errors_of(bio.read_policy, path)
    assert [(p.line, p.column) for p in found] == [
        (1, "min_expertise"),
        (2, "speed"),
        (3, "budget"),
        (4, "seekers_can_buddy"),
    ]
    assert "did you mean 'speed_kmh'" in found[1].fix


def test_policy_file_must_be_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_bytes("# caf\u00e9\nmin_expertise = 3\n".encode("latin-1"))
    [problem] = errors_of(bio.read_policy, path)
    assert (problem.line, problem.column) == (1, None)
    assert "not UTF-8" in problem.message


@pytest.mark.parametrize(
    "policy",
    [
        bm.Policy(),
        bio.read_policy(POLICY),
        bm.Policy(
            max_partners=None,
            budget=1e6,
            tiers={"a.b": bm.Tier(workload=2, months=4, fee=0.1)},
        ),
    ],
    ids=["defaults", "fixture", "switched-off-and-dotted-tier"],
)
def test_policy_round_trip(policy: bm.Policy, tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    bio.write_policy_toml(policy, path)
    assert bio.read_policy(path) == policy


@_FILES
@given(policy=policies())
def test_any_policy_round_trips(policy: bm.Policy, tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    bio.write_policy_toml(policy, path)
    assert bio.read_policy(path) == policy


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


def test_json_round_trip_of_the_fixture(tmp_path: Path) -> None:
    problem = read_all()
    path = tmp_path / "problem.json"
    bio.write_problem_json(problem, path)
    assert bio.read_problem_json(path) == problem
    assert bio.read_problem_json(path.read_text("utf-8")) == problem


def test_json_text_errors_name_the_field_path() -> None:
    text = (
        '{"trusts": [{"id": "A", "lat": 52, "lon": 1, "kind": "clinic"},'
        ' {"id": "A", "lat": 52, "lon": 1, "culture": {"x y": 3}}],'
        ' "travel": null, "needs": [], "extra": 1}'
    )
    found = errors_of(bio.read_problem_json, text)
    assert [(p.file, p.line, p.column) for p in found] == [
        ("<json>", "extra", "extra"),
        ("<json>", "trusts.0.kind", "kind"),
        ("<json>", "trusts.1.culture.x y", "x y"),
        ("<json>", "trusts.1.id", "id"),
    ]
    assert "used more than once" in found[-1].message


def test_json_type_errors_are_plain_words() -> None:
    text = '{"trusts": [{"id": 7, "lat": "far", "lon": true, "culture": 3}]}'
    found = errors_of(bio.read_problem_json, text)
    assert sorted((p.line, p.message) for p in found) == [
        ("trusts.0.culture", "3 is not an object"),
        ("trusts.0.id", "7 is not a valid trust id"),
        (
            "trusts.0.lat",
            "'far' is not a number; expected a number from -90 to 90",
        ),
        (
            "trusts.0.lon",
            "true is not a number; expected a number from -180 to 180",
        ),
    ]


def test_json_need_tiers_come_from_the_policy() -> None:
    text = (
        '{"trusts": [{"id": "S", "lat": 52, "lon": 1, '
        '"expertise": {"a": 1}}], '
        '"needs": [{"seeker": "S", "area": "a", "tier": "mentoring"}]}'
    )
    [problem] = errors_of(bio.read_problem_json, text)
    assert (problem.line, problem.column) == ("needs.0.tier", "tier")
    policy = bio.read_policy(POLICY)
    needs = bio.read_problem_json(text, policy=policy).needs
    assert needs[0].tier == "mentoring"


def test_json_that_is_not_an_object() -> None:
    [problem] = errors_of(bio.read_problem_json, "[1, 2]")
    assert "not an object" in problem.message


# ---------------------------------------------------------------------------
# CSV writing and round trips
# ---------------------------------------------------------------------------


def test_csv_round_trip_of_the_fixture(tmp_path: Path) -> None:
    problem = read_all()
    written = bio.write_problem_csv(problem, tmp_path / "out")
    assert sorted(written) == ["pairs", "relations", "travel", "trusts"]
    again = bio.read_problem(
        written["trusts"],
        written["relations"],
        written["pairs"],
        written["travel"],
    )
    assert again == problem


def test_csv_writes_only_files_with_content(
    small_problem: bm.Problem, tmp_path: Path
) -> None:
    written = bio.write_problem_csv(small_problem, tmp_path)
    assert list(written) == ["trusts"]
    assert bio.read_problem(written["trusts"]) == small_problem
    empty_matrix = small_problem.replace(travel=())
    written = bio.write_problem_csv(empty_matrix, tmp_path)
    assert written["travel"].read_bytes() == (
        b"origin,destination,minutes\r\n"
    )
    assert (
        bio.read_problem(written["trusts"], travel_matrix=written["travel"])
        == empty_matrix
    )


def test_csv_neutralises_formulas_reversibly(tmp_path: Path) -> None:
    names = ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "'=quoted", "'Twas"]
    problem = bm.Problem(
        trusts=tuple(
            bm.Trust(id=f"T{i}", name=name, lat=0, lon=0, region=name)
            for i, name in enumerate(names)
        )
    )
    path = bio.write_problem_csv(problem, tmp_path)["trusts"]
    with path.open(encoding="utf-8", newline="") as handle:
        cells = [row[1] for row in list(csv.reader(handle))[1:]]
    assert cells == [
        '\'=HYPERLINK("x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "''=quoted",
        "''Twas",
    ]
    assert bio.read_problem(path) == problem


def test_hand_written_apostrophes_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "id,name,kind,lat,lon\nA,'=SUM(1),acute,0,0\nB,'Twas,acute,0,0\n",
        encoding="utf-8",
    )
    names = [t.name for t in bio.read_problem(path).trusts]
    assert names == ["=SUM(1)", "'Twas"]


def test_needs_are_written_compactly(small_problem: bm.Problem) -> None:
    tokens = [bio.problem_csv._need_token(n) for n in small_problem.needs]
    assert tokens == [
        "finance:programme::3",
        "governance",
        "maternity::2",
        "finance:::1",
    ]


@_FILES
@given(problem=problems())
def test_any_problem_round_trips_through_csv_and_json(
    problem: bm.Problem, tmp_path: Path
) -> None:
    # One test for both formats: drawing a problem costs more than both
    # round trips together.
    written = bio.write_problem_csv(problem, tmp_path)
    again = bio.read_problem(
        written["trusts"],
        relations=written.get("relations"),
        pairs=written.get("pairs"),
        travel_matrix=written.get("travel"),
    )
    assert again == problem
    path = tmp_path / "problem.json"
    bio.write_problem_json(problem, path)
    assert bio.read_problem_json(path) == problem


# ---------------------------------------------------------------------------
# Pairings CSV and spreadsheet safety
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("", ""),
        ("a=b", "a=b"),
        (-3.5, -3.5),
        (0, 0),
        (None, None),
    ],
)
def test_spreadsheet_safe(value: object, expected: object) -> None:
    assert bio.spreadsheet_safe(value) == expected


def _result() -> bm.Result:
    from buddymatch.result import TrustRef

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
        score=-3.5,
        terms={"override": -3.5},
    )
    unmet = bm.UnmetNeed(
        seeker="S1",
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
                id="S1",
                name="=cmd|' /C calc'!A0",
                kind="acute",
                lat=52.0,
                lon=-1.0,
            ),
            TrustRef(
                id="B1", name='Buddy, "One"', kind="acute", lat=51.0, lon=-1.0
            ),
        ),
    )


def test_write_pairings_csv(tmp_path: Path) -> None:
    path = tmp_path / "pairings.csv"
    bio.write_pairings_csv(_result(), path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(PAIRINGS_COLUMNS)
    first, second = rows
    assert first["seeker_name"] == "'=cmd|' /C calc'!A0"
    assert first["buddy_name"] == 'Buddy, "One"'
    assert first["score"] == "-3.5"  # a number, not neutralised
    assert first["reason"] == "user score -3.5"
    assert (second["buddy"], second["score"]) == ("", "")
    assert second["reason"].startswith("unmet (no_candidate)")


# ---------------------------------------------------------------------------
# Atomic writes
# ---------------------------------------------------------------------------


def test_atomic_write_replaces_and_leaves_no_temp_files(
    tmp_path: Path,
) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o640)
    bio.write_text_atomic(path, "new\u00e9")
    assert path.read_bytes() == "new\u00e9".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_failed_atomic_write_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        bio.write_bytes_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


# ---------------------------------------------------------------------------
# Limits (big files are made here, never committed)
# ---------------------------------------------------------------------------

HEADER = "id,name,kind,lat,lon\n"


def test_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(HEADER, encoding="utf-8")
    os.truncate(path, bio.MAX_FILE_BYTES + 1)  # sparse: nothing written
    [problem] = errors_of(bio.read_problem, path)
    assert (problem.line, problem.column) == (None, None)
    assert f"{bio.MAX_FILE_BYTES:,} bytes" in problem.message
    assert "MAX_FILE_BYTES" in problem.message


def test_50_mb_file_is_refused_quickly(tmp_path: Path) -> None:
    # A big export saved in Latin-1: refused on its one non-UTF-8 byte,
    # near the end, without parsing a row.
    path = tmp_path / "big.csv"
    row = "T{},{},acute,52.0,-1.0\n"
    filler = "x" * 490
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        handle.writelines(row.format(i, filler) for i in range(99_000))
    with path.open("ab") as handle:
        handle.write("T,H\u00f4pital,acute,52.0,-1.0\n".encode("latin-1"))
    assert path.stat().st_size > 50_000_000
    [problem] = errors_of(bio.read_problem, path)
    assert (problem.line, problem.column) == (99_002, None)
    assert "not UTF-8" in problem.message


def test_file_just_under_the_size_limit_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bio.files, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "A,,acute,52,-1\n", encoding="utf-8")
    os.truncate(path, 1000)  # pads with NULs: read, then refused as binary
    [problem] = errors_of(bio.read_problem, path)
    assert "NUL" in problem.message
    os.truncate(path, 1001)
    [problem] = errors_of(bio.read_problem, path)
    assert "1,000 bytes" in problem.message


def test_row_limit_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bio.files, "MAX_ROWS", 50)
    path = tmp_path / "t.csv"
    rows = [f"T{i},,acute,52,-1\n" for i in range(51)]
    path.write_text(HEADER + "".join(rows[:50]), encoding="utf-8")
    assert len(bio.read_problem(path).trusts) == 50
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    [problem] = errors_of(bio.read_problem, path)
    assert "more than 50 rows" in problem.message


def test_real_row_limit(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("a,b,kind\n")
        handle.writelines("S1,B1,prior\n" for _ in range(bio.MAX_ROWS + 1))
    [problem] = errors_of(bio.read_problem, TRUSTS, relations=path)
    assert Path(problem.file) == path
    assert "more than 100,000 rows" in problem.message


def test_long_cell_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    name = "n" * (bio.MAX_FIELD_CHARS + 1)
    path.write_text(
        HEADER + f"A,{name},acute,52,-1\nB,ok,acute,52,-1\n", "utf-8"
    )
    [problem] = errors_of(bio.read_problem, path)
    assert (problem.line, problem.column) == (2, "name")
    assert "10,001 characters" in problem.message


def test_cell_beyond_the_csv_module_limit(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(HEADER + 'A,"' + "n" * 200_000 + '",acute,52,-1\n')
    [problem] = errors_of(bio.read_problem, path)
    assert problem.line == 2
    assert "MAX_FIELD_CHARS" in problem.message


def test_needs_per_cell_limit(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    needs = ";".join(f"a{i}" for i in range(bio.MAX_NEEDS_PER_CELL + 1))
    path.write_text(f"id,kind,lat,lon,needs\nS,acute,52,-1,{needs}\n", "utf-8")
    [problem] = errors_of(bio.read_problem, path)
    assert (problem.line, problem.column) == (2, "needs")
    assert "MAX_NEEDS_PER_CELL" in problem.message
