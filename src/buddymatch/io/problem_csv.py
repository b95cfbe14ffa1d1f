"""The problem's CSV files: trusts (with their needs), relations, pair
overrides and the travel matrix;
[`read_problem`][buddymatch.io.problem_csv.read_problem] and
[`write_problem_csv`][buddymatch.io.problem_csv.write_problem_csv].

Each file is read as a table (`buddymatch.io.csv_tables`), each row
built by the item builders shared with the JSON reader
(`buddymatch.io.items`), and the problem assembled and checked as a
whole, every issue traced back to its file, line and column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel

from buddymatch.io import files
from buddymatch.io.csv_tables import CsvKind, read_csv, row_values
from buddymatch.io.files import StrPath
from buddymatch.io.items import (
    TRUST_PLAN,
    Loaded,
    allowed_tiers,
    assemble,
    build_need,
    build_override,
    build_relation,
    build_travel,
    build_trust,
)
from buddymatch.io.problems import CsvSite, Item, Problems
from buddymatch.io.values import bound_text, trim
from buddymatch.io.write import (
    csv_text,
    escape_text,
    output_error,
    write_text_atomic,
)
from buddymatch.model import CULTURE_MAX, Need, Policy, Problem

_TRUSTS_COLUMNS = (
    "id",
    "name",
    "kind",
    "lat",
    "lon",
    "region",
    "capacity",
    "max_partners",
    "needs",
)
_TRUSTS_CSV = CsvKind(
    "trusts",
    _TRUSTS_COLUMNS,
    required=("id", "kind", "lat", "lon"),
    prefixes={"culture_": "<dimension>", "expertise_": "<area>"},
)
_RELATIONS_CSV = CsvKind(
    "relations",
    ("a", "b", "kind", "area", "note"),
    required=("a", "b", "kind"),
)
_PAIRS_CSV = CsvKind(
    "pairs",
    ("seeker", "area", "buddy", "score", "workload"),
    required=("seeker", "area", "buddy"),
)
_TRAVEL_CSV = CsvKind(
    "travel matrix",
    ("origin", "destination", "minutes"),
    required=("origin", "destination", "minutes"),
)


# -- trusts.csv -------------------------------------------------------------


def _load_trusts_csv(
    path: StrPath,
    loaded: Loaded,
    problems: Problems,
    tiers: Sequence[str],
) -> None:
    table = read_csv(path, _TRUSTS_CSV, problems)
    if table is None:
        loaded.complete = False
        return
    file = table.file
    loaded.section_sites["trusts"] = CsvSite(file)
    loaded.section_sites["needs"] = CsvSite(file, default_column="needs")
    if "id" in table.missing:
        loaded.complete = False
    dims = table.names("culture_")
    areas = table.names("expertise_")
    columns: dict[str, str] = {
        name: name for name in table.columns if name in _TRUSTS_COLUMNS
    }
    columns.update({f"culture.{d}": f"culture_{d}" for d in dims})
    columns.update({f"expertise.{a}": f"expertise_{a}" for a in areas})
    for line, cells in table.rows:
        site = CsvSite(file, line, columns)
        item = Item(site, problems)
        values = row_values(
            item, table, cells, TRUST_PLAN, text_fields=("name", "region")
        )
        culture: dict[str, object] = {}
        for dim in dims:
            cell = trim(cells[f"culture_{dim}"])
            if cell:
                culture[dim] = cell
            else:
                item.report(
                    f"culture.{dim}",
                    "the culture score is empty; every trust needs a score "
                    "for each culture dimension",
                    f"give a score from 0 to {bound_text(CULTURE_MAX)}, or "
                    "delete the column for every trust",
                )
                culture[dim] = 0.0  # keeps the dimension in a stand-in
        # An empty expertise cell means the trust does not run the service
        # (or there is no data): level 0, which never qualifies a buddy.
        expertise: dict[str, object] = {
            area: trim(cells[f"expertise_{area}"]) or 0 for area in areas
        }
        built = build_trust(item, values, culture, expertise)
        loaded.add("trusts", built, site)
        if built[0] is None:
            loaded.trusts_reported = True
        trust = built[0] if built[0] is not None else built[1]
        needs = trim(cells.get("needs", ""))
        if needs:
            seeker = trust.id if trust is not None else None
            _load_needs_cell(
                file, line, needs, seeker, tiers, loaded, problems
            )
    id_index = table.columns.get("id")
    for raw in table.broken:
        loaded.trusts_reported = True
        if id_index is not None and id_index < len(raw):
            loaded.unsure_ids.add(trim(raw[id_index]))
    if not table.rows and not table.broken and not table.missing:
        problems.add(
            file,
            None,
            None,
            "the file has a header but no trust rows",
            "add one row per trust; a file with no trust rows is an error",
        )
        loaded.trusts_reported = True


_NEED_PARTS = ("area", "tier", "buddies", "priority")


def _load_needs_cell(
    file: str,
    line: int,
    text: str,
    seeker: str | None,
    tiers: Sequence[str],
    loaded: Loaded,
    problems: Problems,
) -> None:
    """Read a ``needs`` cell: ``area[:tier[:buddies[:priority]]]`` by ``;``."""
    site = CsvSite(file, line, default_column="needs")
    # Empty tokens ("finance;" or ";;") name nothing, so they are skipped.
    tokens = [token for token in map(trim, text.split(";")) if token]
    if len(tokens) > files.MAX_NEEDS_PER_CELL:
        problems.add(
            file,
            line,
            "needs",
            f"the cell lists {len(tokens):,} needs; the limit is "
            f"{files.MAX_NEEDS_PER_CELL} per trust (MAX_NEEDS_PER_CELL)",
            "list fewer needs; each need is one area of the trust",
        )
        return
    if loaded.needs_refused:
        return
    if len(loaded.items["needs"]) + len(tokens) > files.MAX_ROWS:
        # Needs are the rows of a table kept in one column, so they have
        # the row limit (as the needs list of a JSON problem has): up to
        # MAX_NEEDS_PER_CELL per row, they could be a hundred times more.
        problems.add(
            file,
            line,
            "needs",
            f"the file lists more than {files.MAX_ROWS:,} needs in all, the "
            "limit (MAX_ROWS), from this row on",
            "split the input, or leave out needs the matching does not use",
        )
        loaded.needs_refused = True
        loaded.complete = False
        return
    for token in tokens:
        item = Item(site, problems, prefix=f"need {token!r}: ")
        parts = token.split(":")
        if len(parts) > len(_NEED_PARTS):
            item.report(
                "",
                f"has {len(parts)} parts; expected "
                "area[:tier[:buddies[:priority]]]",
                "separate needs with ';' and the parts of one need with "
                "':', e.g. finance:programme:1:3",
            )
            continue
        values: dict[str, object] = {
            name: trim(part)
            for name, part in zip(_NEED_PARTS, parts, strict=False)
            if trim(part)
        }
        if "area" not in values:
            item.report(
                "area",
                "names no area",
                "start each need with its area, e.g. finance:programme",
            )
        if seeker is None:
            item.bad.add("seeker")  # the trust's id is reported already
        else:
            values["seeker"] = seeker
        loaded.add("needs", build_need(item, values, tiers), site)


# -- relations.csv, pairs.csv, travel matrix --------------------------------


def _load_leaf_csv(
    path: StrPath,
    kind: CsvKind,
    section: str,
    build: Callable[
        [Item, Mapping[str, object]],
        tuple[BaseModel | None, BaseModel | None],
    ],
    loaded: Loaded,
    problems: Problems,
    text_fields: Iterable[str] = (),
) -> None:
    """Read a file whose rows no other file refers to (all but trusts)."""
    table = read_csv(path, kind, problems)
    if table is None:
        return
    loaded.section_sites[section] = CsvSite(table.file)
    if section == "travel":
        loaded.has_travel = True
    columns = {name: name for name in table.columns}
    for line, cells in table.rows:
        site = CsvSite(table.file, line, columns)
        item = Item(site, problems)
        values = row_values(item, table, cells, kind.names, text_fields)
        loaded.add(section, build(item, values), site)


def read_problem(
    trusts: StrPath,
    relations: StrPath | None = None,
    pairs: StrPath | None = None,
    travel_matrix: StrPath | None = None,
    *,
    policy: Policy | None = None,
) -> Problem:
    """Read a problem from the trusts CSV and the optional other files.

    Parameters
    ----------
    trusts
        The wide trusts file: ``id, name, kind, lat, lon, region,
        capacity, max_partners, needs, culture_<dimension>...,
        expertise_<area>...`` (column order free; ``id``, ``kind``,
        ``lat`` and ``lon`` required).
    relations
        Optional relations file: ``a, b, kind[, area][, note]``.
    pairs
        Optional pair overrides: ``seeker, area, buddy[, score][,
        workload]``.
    travel_matrix
        Optional travel times: ``origin, destination, minutes``; it becomes
        `Problem.travel`.
    policy
        When given, need tiers must be among ``policy.tiers``; otherwise
        among ``light``, ``programme`` and ``intensive``.

    Returns
    -------
    Problem
        The validated problem.

    Raises
    ------
    InputError
        Listing every problem of every file (file, physical line, column,
        message and fix); see ``docs/formats.md``.
    """
    problems = Problems()
    loaded = Loaded()
    _load_trusts_csv(trusts, loaded, problems, allowed_tiers(policy))
    if relations is not None:
        _load_leaf_csv(
            relations,
            _RELATIONS_CSV,
            "relations",
            build_relation,
            loaded,
            problems,
            text_fields=("note",),
        )
    if pairs is not None:
        _load_leaf_csv(
            pairs, _PAIRS_CSV, "overrides", build_override, loaded, problems
        )
    if travel_matrix is not None:
        _load_leaf_csv(
            travel_matrix,
            _TRAVEL_CSV,
            "travel",
            build_travel,
            loaded,
            problems,
        )
    return assemble(loaded, problems)


def _need_token(need: Need) -> str:
    parts = [
        need.area,
        *(
            ""
            if getattr(need, name) == Need.model_fields[name].default
            else str(getattr(need, name))
            for name in _NEED_PARTS[1:]
        ),
    ]
    while parts[-1] == "":
        parts.pop()
    return ":".join(parts)


def write_problem_csv(problem: Problem, directory: StrPath) -> dict[str, Path]:
    """Write *problem* as the CSV files
    [`read_problem`][buddymatch.io.problem_csv.read_problem] reads.

    ``trusts.csv`` is always written; ``relations.csv``, ``pairs.csv`` and
    ``travel.csv`` only when the problem has relations, overrides or a
    travel matrix.  Numbers are written exactly (``repr``), and names,
    regions and notes that a spreadsheet could run as formulas get a
    leading apostrophe, which
    [`read_problem`][buddymatch.io.problem_csv.read_problem] removes again, so
    ``read_problem`` gives back an equal problem (needs are written with
    their seeker's row, so they come back grouped in trust order).

    Parameters
    ----------
    problem
        The problem to write.
    directory
        The folder to write into (created if missing).

    Returns
    -------
    dict of str to Path
        The files written, by kind: ``trusts``, ``relations``, ``pairs``,
        ``travel``.
    """
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(directory, exc) from exc
    dims = problem.culture_dimensions
    areas = problem.areas
    needs: dict[str, list[str]] = {}
    for need in problem.needs:
        needs.setdefault(need.seeker, []).append(_need_token(need))
    header = [
        *_TRUSTS_COLUMNS,
        *(f"culture_{d}" for d in dims),
        *(f"expertise_{a}" for a in areas),
    ]
    rows = [
        [
            t.id,
            escape_text(t.name),
            t.kind,
            t.lat,
            t.lon,
            "" if t.region is None else escape_text(t.region),
            t.capacity,
            t.max_partners,
            ";".join(needs.get(t.id, [])),
            *(t.culture[d] for d in dims),
            *(t.expertise[a] for a in areas),
        ]
        for t in problem.trusts
    ]
    written = {"trusts": folder / "trusts.csv"}
    write_text_atomic(written["trusts"], csv_text(header, rows))
    if problem.relations:
        written["relations"] = folder / "relations.csv"
        write_text_atomic(
            written["relations"],
            csv_text(
                _RELATIONS_CSV.names,
                (
                    [
                        r.a,
                        r.b,
                        r.kind,
                        r.area,
                        None if r.note is None else escape_text(r.note),
                    ]
                    for r in problem.relations
                ),
            ),
        )
    if problem.overrides:
        written["pairs"] = folder / "pairs.csv"
        write_text_atomic(
            written["pairs"],
            csv_text(
                _PAIRS_CSV.names,
                (
                    [o.seeker, o.area, o.buddy, o.score, o.workload]
                    for o in problem.overrides
                ),
            ),
        )
    if problem.travel is not None:
        # Written even when empty: an empty matrix is not the same as none.
        written["travel"] = folder / "travel.csv"
        write_text_atomic(
            written["travel"],
            csv_text(
                _TRAVEL_CSV.names,
                ([e.origin, e.destination, e.minutes] for e in problem.travel),
            ),
        )
    return written
