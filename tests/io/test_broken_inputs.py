"""Every file of tests/data/broken/ fails with the right file, line, column
and words, and nothing else (each holds one fault unless it says so).

Files are read by the reader their name starts with: ``trusts_*`` as the
trusts file; ``relations_*``, ``pairs_*`` and ``travel_*`` next to the valid
``tests/data/trusts.csv``; ``policy_*`` as a policy; ``problem_*`` as JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from buddymatch import io as bio
from buddymatch.errors import InputError, InputProblem

DATA = Path(__file__).parents[1] / "data"
BROKEN = DATA / "broken"
TRUSTS = DATA / "trusts.csv"


class Case(NamedTuple):
    name: str
    line: int | str | None
    column: str | None
    words: str


CASES = [
    # -- the file as a whole --------------------------------------------------
    Case("trusts_empty.csv", None, None, "the file is empty"),
    Case("trusts_blank_lines.csv", None, None, "the file is empty"),
    Case("trusts_header_only.csv", None, None, "no trust rows"),
    Case("trusts_binary.csv", 1, None, "not UTF-8 text (byte 0x89"),
    Case("trusts_nul.csv", 3, None, "not UTF-8 text: it holds NUL"),
    Case("trusts_latin1.csv", 3, None, "not UTF-8 text (byte 0xF4"),
    Case("trusts_utf16.csv", 1, None, "not UTF-8 text"),
    # -- the header -----------------------------------------------------------
    Case("trusts_missing_lat.csv", 1, "lat", "the header has no 'lat' column"),
    Case("trusts_duplicate_column.csv", 1, "lon", "appears more than once"),
    Case("trusts_unknown_column.csv", 1, "beds", "unknown column 'beds'"),
    Case(
        "trusts_bad_area_column.csv",
        1,
        "expertise_a&e",
        "'a&e' is not a valid area name",
    ),
    # Spreadsheet exports with another separator (pandas' to_csv, as a
    # decimal-comma locale writes them): one problem, not one per column.
    Case(
        "trusts_semicolons.csv",
        1,
        None,
        "seems to be separated by semicolons; buddymatch reads "
        "comma-separated CSV",
    ),
    Case("trusts_tabs.csv", 1, None, "seems to be separated by tabs"),
    Case("relations_semicolons.csv", 1, None, "separated by semicolons"),
    Case(
        "trusts_empty_header_cell.csv",
        1,
        None,
        "column 2 of the header has no name",
    ),
    # -- rows: shape ----------------------------------------------------------
    Case(
        "trusts_too_many_cells.csv",
        3,
        None,
        "this row has 10 cells, but the header has 9 columns",
    ),
    Case(
        "trusts_too_few_cells.csv",
        3,
        None,
        "this row has 8 cells, but the header has 9 columns",
    ),
    Case("trusts_unclosed_quote.csv", 3, None, "this row has 2 cells"),
    Case(
        "trusts_multiline_then_fault.csv",
        4,
        "lat",
        "91 is not a latitude",
    ),
    # -- rows: values ---------------------------------------------------------
    Case(
        "trusts_lat_not_a_number.csv",
        2,
        "lat",
        "'north' is not a number; expected a number from -90 to 90",
    ),
    Case(
        "trusts_latitude_95.csv",
        3,
        "lat",
        "95.2 is not a latitude; expected a number from -90 to 90",
    ),
    Case(
        "trusts_longitude_200.csv",
        3,
        "lon",
        "200 is not a longitude; expected a number from -180 to 180",
    ),
    Case(
        "trusts_culture_11.csv",
        2,
        "culture_openness",
        "11 is not a culture score; expected a number from 0 to 10",
    ),
    Case(
        "trusts_culture_empty.csv",
        3,
        "culture_openness",
        "the culture score is empty",
    ),
    Case(
        "trusts_expertise_7.csv",
        3,
        "expertise_finance",
        "7 is not an expertise level; expected a whole number from 0 to 5",
    ),
    Case(
        "trusts_expertise_fraction.csv",
        3,
        "expertise_finance",
        "2.5 is not a whole number",
    ),
    Case("trusts_bad_id.csv", 2, "id", "'R X' is not a valid trust id"),
    Case("trusts_empty_id.csv", 3, "id", "the id cell is empty"),
    Case(
        "trusts_unknown_kind.csv",
        3,
        "kind",
        "'hospital' is not a trust kind; expected acute,",
    ),
    Case(
        "trusts_negative_capacity.csv",
        3,
        "capacity",
        "-1 is not a capacity; expected a whole number of 0 or more",
    ),
    # -- the needs cell -------------------------------------------------------
    Case(
        "trusts_bad_needs_cell.csv",
        2,
        "needs",
        "need 'finance:light:x': 'x' is not a number",
    ),
    Case(
        "trusts_unknown_tier.csv",
        2,
        "needs",
        "need 'finance:heavy': 'heavy' is not a tier; expected light, "
        "programme or intensive",
    ),
    Case(
        "trusts_need_too_many_parts.csv",
        2,
        "needs",
        "need 'finance:light:1:2:3': has 5 parts",
    ),
    Case(
        "trusts_need_priority_4.csv",
        2,
        "needs",
        "need 'finance:::4': 4 is not a priority",
    ),
    Case("trusts_need_no_area.csv", 2, "needs", "names no area"),
    # -- the trusts as a whole ------------------------------------------------
    Case("trusts_duplicate_id.csv", 4, "id", "'S1' is used more than once"),
    Case(
        "trusts_need_missing_area.csv",
        2,
        "needs",
        "need area 'paediatrics' has no expertise data",
    ),
    Case(
        "trusts_duplicate_need.csv",
        2,
        "needs",
        "lists area 'finance' more than once",
    ),
    # -- relations ------------------------------------------------------------
    Case(
        "relations_unknown_kind.csv",
        3,
        "kind",
        "'rival' is not a relation kind",
    ),
    Case(
        "relations_dangling_id.csv",
        2,
        "b",
        "names 'ZZ9', which is not a trust",
    ),
    Case(
        "relations_pin_vs_veto.csv",
        3,
        "kind",
        "'S1' with 'B2' is both pinned and vetoed",
    ),
    Case("relations_self_pair.csv", 2, "b", "pairs 'B1' with itself"),
    Case(
        "relations_area_on_competitor.csv",
        2,
        "area",
        "only a pinned relation may name an area",
    ),
    Case(
        "relations_pin_not_a_seeker.csv",
        2,
        "a",
        "pin names 'B1' as seeker, but it has no needs",
    ),
    Case(
        "relations_missing_kind_column.csv",
        1,
        "kind",
        "the header has no 'kind' column",
    ),
    Case("relations_empty.csv", None, None, "the file is empty"),
    # -- pairs ----------------------------------------------------------------
    Case(
        "pairs_dangling_buddy.csv",
        2,
        "buddy",
        "buddy 'B9', which is not a trust",
    ),
    Case("pairs_bad_score.csv", 2, "score", "'high' is not a number"),
    Case(
        "pairs_negative_workload.csv",
        2,
        "workload",
        "-2 is not a workload",
    ),
    Case(
        "pairs_not_a_need.csv",
        2,
        "area",
        "need S1/maternity, which is not a need",
    ),
    Case(
        "pairs_duplicate.csv",
        3,
        "buddy",
        "S1/finance/B1 is overridden more than once",
    ),
    # -- travel matrix --------------------------------------------------------
    Case(
        "travel_dangling_id.csv",
        3,
        "destination",
        "names 'NOWHERE', which is not a trust",
    ),
    Case(
        "travel_negative_minutes.csv",
        2,
        "minutes",
        "-5 is not a travel time",
    ),
    Case(
        "travel_conflicting_rows.csv",
        3,
        "minutes",
        "S1->B1 is given twice (150 and 90 minutes)",
    ),
    Case(
        "travel_minutes_missing.csv",
        2,
        "minutes",
        "the minutes cell is empty",
    ),
    # -- policy ---------------------------------------------------------------
    Case("policy_bad_syntax.toml", 3, None, "not valid TOML"),
    Case(
        "policy_unknown_key.toml",
        2,
        "max_travel_minute",
        "unknown key 'max_travel_minute'",
    ),
    Case(
        "policy_wrong_type.toml",
        3,
        "min_expertise",
        "'high' is not a number; expected a whole number from 0 to 5",
    ),
    Case(
        "policy_bool_type.toml",
        1,
        "seekers_can_buddy",
        "'yes' is not true or false",
    ),
    Case(
        "policy_out_of_range.toml",
        2,
        "min_culture_fit",
        "1.5 is not a valid min_culture_fit; expected a number from 0 to 1",
    ),
    Case(
        "policy_travel_window.toml",
        2,
        "max_travel_minutes",
        "max_travel_minutes (45) is below min_travel_minutes (60)",
    ),
    Case(
        "policy_unknown_tier_key.toml",
        3,
        "tiers.light.hours",
        "unknown tier key 'hours'",
    ),
    Case(
        "policy_new_tier_incomplete.toml",
        3,
        "tiers.mentoring",
        "missing: workload, months",
    ),
    Case(
        "policy_keep_ongoing.toml",
        1,
        "keep_ongoing",
        "'maybe' is not a keep_ongoing setting; expected pinned or soft",
    ),
    # -- JSON (line = field path) ---------------------------------------------
    Case("problem_bad_syntax.json", 3, None, "not valid JSON"),
    Case(
        "problem_latitude.json",
        "trusts.1.lat",
        "lat",
        "95 is not a latitude",
    ),
    Case(
        "problem_unknown_field.json",
        "trusts.0.beds",
        "beds",
        "unknown field 'beds'",
    ),
    Case(
        "problem_dangling_seeker.json",
        "needs.0.seeker",
        "seeker",
        "need names seeker 'Z', which is not a trust",
    ),
    Case(
        "problem_duplicate_key.json",
        "trusts.0.lat",
        "lat",
        "'lat' is given more than once",
    ),
]

#: Files holding several faults on purpose, tested on their own below.
SEVERAL = {"trusts_several_faults.csv"}


def read(path: Path) -> list[InputProblem]:
    """Read *path* with the reader its name calls for; return the problems."""
    name = path.name
    with pytest.raises(InputError) as info:
        if name.startswith("trusts_"):
            bio.read_problem(str(path))
        elif name.startswith("relations_"):
            bio.read_problem(TRUSTS, relations=str(path))
        elif name.startswith("pairs_"):
            bio.read_problem(TRUSTS, pairs=str(path))
        elif name.startswith("travel_"):
            bio.read_problem(TRUSTS, travel_matrix=str(path))
        elif name.startswith("policy_"):
            bio.read_policy(str(path))
        elif name.startswith("problem_"):
            bio.read_problem_json(str(path))
        else:  # pragma: no cover - a corpus file with an unknown prefix
            raise AssertionError(f"no reader for {name}")
    return info.value.problems


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_file_reports_its_fault(case: Case) -> None:
    path = BROKEN / case.name
    found = read(path)
    assert len(found) == 1, "\n".join(map(str, found))
    [problem] = found
    assert problem.file == str(path)
    assert (problem.line, problem.column) == (case.line, case.column)
    assert case.words in problem.message
    assert problem.fix  # every problem says what to do


def test_every_corpus_file_has_a_case() -> None:
    on_disk = {p.name for p in BROKEN.iterdir()}
    listed = {c.name for c in CASES} | SEVERAL
    assert on_disk == listed
    assert len(on_disk) >= 30


def test_a_file_with_several_faults_reports_all_of_them() -> None:
    path = BROKEN / "trusts_several_faults.csv"
    found = [(p.line, p.column, p.message) for p in read(path)]
    expected = [
        (2, "needs", "'urgent' is not a tier"),
        (3, "kind", "'hospital' is not a trust kind"),
        (3, "lat", "95.2 is not a latitude"),
        (3, "culture_openness", "11 is not a culture score"),
        (3, "expertise_finance", "7 is not an expertise level"),
        (4, None, "this row has 8 cells, but the header has 9 columns"),
        (5, "id", "'S1' is used more than once"),
        (5, "needs", "need area 'maternity' has no expertise data"),
    ]
    assert len(found) == len(expected), "\n".join(map(str, found))
    for (line, column, message), (e_line, e_column, words) in zip(
        found, expected, strict=True
    ):
        assert (line, column) == (e_line, e_column)
        assert words in message


def test_problems_of_all_files_come_in_one_error() -> None:
    with pytest.raises(InputError) as info:
        bio.read_problem(
            BROKEN / "trusts_latitude_95.csv",
            relations=BROKEN / "relations_unknown_kind.csv",
            pairs=BROKEN / "pairs_bad_score.csv",
            travel_matrix=BROKEN / "travel_negative_minutes.csv",
        )
    files = [Path(p.file).name for p in info.value.problems]
    assert files == [
        "trusts_latitude_95.csv",
        "relations_unknown_kind.csv",
        "pairs_bad_score.csv",
        "travel_negative_minutes.csv",
    ]


def test_a_broken_trust_row_does_not_echo_through_other_files(
    tmp_path: Path,
) -> None:
    # B1's row has too few cells, so it cannot be read at all; relations
    # naming B1 must not add "B1 is not a trust" on top.
    relations = tmp_path / "relations.csv"
    relations.write_text("a,b,kind\nS1,B1,preferred\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        bio.read_problem(
            BROKEN / "trusts_too_few_cells.csv", relations=relations
        )
    [problem] = info.value.problems
    assert "this row has 8 cells" in problem.message


def test_a_faulty_trust_row_still_takes_part_in_whole_checks(
    tmp_path: Path,
) -> None:
    # S1's latitude is wrong, but its id is sound: a pin naming S1 and a
    # duplicate of S1 are still checked in the same read.
    trusts = tmp_path / "trusts.csv"
    trusts.write_text(
        "id,kind,lat,lon,needs,expertise_finance\n"
        "S1,acute,99,-1,finance,1\n"
        "B1,acute,51,-1,,5\n"
        "S1,acute,52,-1,,1\n",
        encoding="utf-8",
    )
    relations = tmp_path / "relations.csv"
    relations.write_text(
        "a,b,kind,area\nS1,B1,pinned,finance\nS1,B1,veto,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        bio.read_problem(trusts, relations=relations)
    found = [
        (Path(p.file).name, p.line, p.column) for p in info.value.problems
    ]
    assert found == [
        ("trusts.csv", 2, "lat"),
        ("trusts.csv", 4, "id"),
        ("relations.csv", 2, "kind"),
    ]


def test_a_semicolon_export_is_told_about_its_decimal_commas() -> None:
    [problem] = read(BROKEN / "trusts_semicolons.csv")
    assert "'CSV UTF-8 (Comma delimited)'" in problem.fix
    assert "decimal commas ('50,82')" in problem.fix
    assert "decimal point ('50.82')" in problem.fix
    [tabs] = read(BROKEN / "trusts_tabs.csv")
    assert "decimal" not in tabs.fix  # a tab export wrote decimal points


def test_a_comma_file_missing_a_column_is_not_taken_for_semicolons(
    tmp_path: Path,
) -> None:
    """The separator is named only when it explains the whole header."""
    path = tmp_path / "trusts_half.csv"
    path.write_text("id;kind,lat,lon\nA;acute,52,-1\n", encoding="utf-8")
    messages = [p.message for p in read(path)]
    assert not any("separated by" in m for m in messages)
    assert "the header has no 'id' column" in messages
