"""``arrangements.csv``, the arrangements a re-match starts from:
[`read_arrangements`][buddymatch.io.arrangements.read_arrangements] and
[`write_arrangements`][buddymatch.io.arrangements.write_arrangements].
"""

from __future__ import annotations

from collections.abc import Iterable

from buddymatch.arrangement import (
    ARRANGEMENT_COLUMNS,
    Arrangement,
    arrangement_issues,
)
from buddymatch.io.csv_tables import CsvKind, read_csv, row_values
from buddymatch.io.files import StrPath
from buddymatch.io.items import FieldPlan, build_item
from buddymatch.io.problems import CsvSite, Item, Problems, Site
from buddymatch.io.values import AREA, TRUST_ID, iso_date, one_of
from buddymatch.io.write import csv_text, write_text_atomic
from buddymatch.model import Problem

_ARRANGEMENTS_CSV = CsvKind(
    "arrangements",
    ARRANGEMENT_COLUMNS,
    required=("seeker", "area", "buddy", "status"),
)
_ARRANGEMENT_PLAN: FieldPlan = {
    "seeker": (TRUST_ID, True),
    "area": (AREA, True),
    "buddy": (TRUST_ID, True),
    "status": (one_of(("ongoing", "ended"), "a status"), True),
    "start": (iso_date, False),
}


def read_arrangements(
    path: StrPath, problem: Problem | None = None
) -> list[Arrangement]:
    """Read ``arrangements.csv``: the buddying arrangements in place.

    Columns ``seeker, area, buddy, status[, start]``: ``status`` is
    ``ongoing`` or ``ended`` (any case); ``start`` an optional date
    (YYYY-MM-DD).  A file with a header and no rows means no arrangements.

    Parameters
    ----------
    path
        The file.
    problem
        When given, every row is also checked against it (known trusts
        and areas, an ongoing arrangement's need listed, no contradictions;
        see
        [`buddymatch.rematch.arrangement_issues`][buddymatch.rematch.arrangement_issues]),
        with the line
        and column of the row.

    Returns
    -------
    list of Arrangement
        In file order.

    Raises
    ------
    InputError
        Listing every problem of the file, each with its line, column and
        a fix.
    """

    problems = Problems()
    table = read_csv(path, _ARRANGEMENTS_CSV, problems)
    items: list[Arrangement] = []
    sites: list[Site] = []
    if table is not None:
        columns = {name: name for name in table.columns}
        for line, cells in table.rows:
            site = CsvSite(table.file, line, columns)
            item = Item(site, problems)
            values = row_values(item, table, cells, _ARRANGEMENTS_CSV.names)
            good, stand_in = build_item(
                item,
                Arrangement,
                values,
                _ARRANGEMENT_PLAN,
                keys=("seeker", "area", "buddy", "status"),
            )
            built = good if good is not None else stand_in
            if built is not None:
                items.append(built)
                sites.append(site)
        if problem is not None and not table.missing:
            for issue in arrangement_issues(problem, items):
                where = sites[int(issue.path[1])]
                at, column = where.at(".".join(map(str, issue.path[2:])))
                problems.add(where.file, at, column, issue.message, issue.fix)
    if problems:
        raise problems.error()
    return items


def write_arrangements(
    arrangements: Iterable[Arrangement], path: StrPath
) -> None:
    """Write ``arrangements.csv`` as
    [`read_arrangements`][buddymatch.io.arrangements.read_arrangements] reads
    it.

    Parameters
    ----------
    arrangements
        The arrangements, written in the order given (an unknown start as
        an empty cell).
    path
        The file to write.
    """
    rows = (
        [
            a.seeker,
            a.area,
            a.buddy,
            a.status,
            "" if a.start is None else a.start.isoformat(),
        ]
        for a in arrangements
    )
    write_text_atomic(path, csv_text(_ARRANGEMENTS_CSV.names, rows))
