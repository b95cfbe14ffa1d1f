"""CSV tables: records, header and rows of any CSV file buddymatch reads.

A file is read whole (`buddymatch.io.files`), split into records with
their physical lines, and its header matched against the columns of its
kind (`CsvKind`, case-insensitive, in any order); the rows then
reach the readers of each kind as cell dictionaries.  Reading stops at the
first limit crossed (rows, columns, cells, or a line no record within the
limits could fill), so a huge file costs no more than the part read.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from buddymatch.io import files
from buddymatch.io.files import StrPath
from buddymatch.io.problems import Item, Problems
from buddymatch.io.values import AREA, DIMENSION, Bad, did_you_mean, trim
from buddymatch.io.write import unescape_text


@dataclass(frozen=True)
class CsvKind:
    """The columns one kind of CSV file may have."""

    what: str
    names: tuple[str, ...]  # every fixed column, in the written order
    required: tuple[str, ...]
    prefixes: Mapping[str, str] = field(default_factory=dict)

    def listing(self) -> str:
        """The columns in words, e.g. ``a, b, kind, area, note``."""
        shown = [*self.names, *(p + w for p, w in self.prefixes.items())]
        return ", ".join(shown)


_PREFIX_NOUNS = {"culture_": DIMENSION, "expertise_": AREA}


class _Record(NamedTuple):
    line: int  # physical line the record starts on
    end: int  # physical line it ends on
    cells: list[str]


@dataclass
class Table:
    """A CSV file read into records, with its header understood."""

    file: str
    kind: CsvKind
    header: list[str]
    columns: dict[str, int]  # canonical column name -> cell index
    missing: tuple[str, ...]  # required columns the header lacks
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    broken: list[list[str]] = field(default_factory=list)

    def names(self, prefix: str) -> list[str]:
        """Return the names after *prefix* in the header, in order."""
        return [
            name.removeprefix(prefix)
            for name in self.columns
            if name.startswith(prefix)
        ]


# A physical line with its line end: CR, LF or CRLF, as ``newline=""``
# splits them (so the reader's line_num counts physical lines).
_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


class LineTooLong(Exception):
    """A physical line longer than any record within the limits."""

    def __init__(self, line: int, length: int) -> None:
        super().__init__(line, length)
        self.line = line
        self.length = length


def physical_lines(text: str, longest: int) -> Iterator[str]:
    """Yield the lines of *text*; raise `LineTooLong` on a long one.

    A generator over *text* itself, not an ``io.StringIO`` copy (four
    bytes a character), so reading stops early at no cost for the rest,
    and one line of millions of commas never reaches the CSV parser.
    """
    for number, match in enumerate(_PHYSICAL_LINE.finditer(text), start=1):
        if match.end() - match.start() > longest:
            raise LineTooLong(number, match.end() - match.start())
        yield match.group()


def _csv_records(
    file: str, text: str, problems: Problems
) -> list[_Record] | None:
    """Split *text* into non-blank records, each with its physical line.

    Stops at the first limit crossed (rows, columns, cells, or a line no
    record within the limits could fill), so a huge file costs no more
    than the part read.
    """
    # No record within the limits is longer: MAX_COLUMNS quoted cells of
    # MAX_FIELD_CHARS characters, with their commas.
    longest = files.MAX_COLUMNS * (files.MAX_FIELD_CHARS + 3)
    reader = csv.reader(physical_lines(text, longest))
    records: list[_Record] = []
    limit = files.MAX_ROWS + 1  # the header and MAX_ROWS data rows
    cells_read = 0
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except LineTooLong as exc:
            problems.add(
                file,
                exc.line,
                None,
                f"the line is {exc.length:,} characters long, more than a "
                f"row can be within the limits of {files.MAX_COLUMNS:,} "
                f"columns (MAX_COLUMNS) of {files.MAX_FIELD_CHARS:,} "
                "characters (MAX_FIELD_CHARS)",
                "check that the file is a CSV file with one row a line",
            )
            return None
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                message = (
                    f"a cell is longer than the limit of "
                    f"{files.MAX_FIELD_CHARS:,} characters (MAX_FIELD_CHARS)"
                )
                fix = (
                    'shorten the cell; check for a quote (") that is '
                    "never closed"
                )
            else:
                message = f"cannot read this row as CSV ({exc})"
                fix = "check the quotes and separators of this row"
            problems.add(file, line, None, message, fix)
            return None
        # Blank lines and rows of empty cells (which spreadsheets write
        # after the data) carry nothing, so skipping them drops nothing;
        # their cells still count towards the limit, as reading them
        # costs the same.
        blank = not trim("".join(cells))
        if not blank and not records and len(cells) > files.MAX_COLUMNS:
            problems.add(
                file,
                line,
                None,
                f"the header has {len(cells):,} columns; the limit is "
                f"{files.MAX_COLUMNS:,} (MAX_COLUMNS)",
                "delete the columns the matching does not use",
            )
            return None
        cells_read += len(cells)
        if cells_read > files.MAX_CELLS:
            problems.add(
                file,
                None,
                None,
                f"the file has more than {files.MAX_CELLS:,} cells (rows "
                "times columns), the limit (MAX_CELLS)",
                "split the input, or leave out data the matching does not use",
            )
            return None
        if blank:
            continue
        records.append(_Record(line, reader.line_num, cells))
        if len(records) > limit:
            problems.add(
                file,
                None,
                None,
                f"the file has more than {files.MAX_ROWS:,} rows, the limit "
                "(MAX_ROWS)",
                "split the input, or leave out rows the matching does not use",
            )
            return None
    return records


def _canonical_column(
    name: str, kind: CsvKind
) -> tuple[str | None, Bad | None]:
    """Return the canonical name of header cell *name* (case-insensitive)."""
    lowered = name.lower()
    if lowered in kind.names:
        return lowered, None
    for prefix in kind.prefixes:
        if lowered.startswith(prefix):
            suffix = name[len(prefix) :]
            try:
                return prefix + _PREFIX_NOUNS[prefix](suffix), None
            except Bad as bad:
                return None, Bad(f"column {name!r}: {bad.message}", bad.fix)
    return None, None


def read_csv(path: StrPath, kind: CsvKind, problems: Problems) -> Table | None:
    """Read a CSV file of *kind*; report problems of the file and header."""
    file = files.source_name(path)
    text = problems.take(files.read_text(path))
    if text is None:
        return None
    records = _csv_records(file, text, problems)
    if records is None:
        return None
    if not records:
        problems.add(
            file,
            None,
            None,
            "the file is empty",
            f"start the file with a header row naming its columns: "
            f"{kind.listing()}",
        )
        return None
    header_line, _, header = records[0]
    named = {_canonical_column(trim(cell), kind)[0] for cell in header}
    if not set(kind.required) <= named:
        separator = _other_separator(text, kind)
        if separator is not None:
            # Every column and every row would be wrong for this one
            # reason: say it once, not once per column and per row.
            problems.add(file, header_line, None, *separator)
            return None
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = trim(raw)
        if not name:
            problems.add(
                file,
                header_line,
                None,
                f"column {index + 1} of the header has no name",
                "name the column, or delete it if it is empty",
            )
            continue
        canonical, bad = _canonical_column(name, kind)
        if bad is not None:
            problems.add(file, header_line, name, bad.message, bad.fix)
        elif canonical is None:
            hint = did_you_mean(name.lower(), [*kind.names, *kind.prefixes])
            problems.add(
                file,
                header_line,
                name,
                f"unknown column {name!r}",
                f"rename or delete it{hint}; the {kind.what} columns are "
                f"{kind.listing()}",
            )
        elif canonical in columns:
            problems.add(
                file,
                header_line,
                canonical,
                f"column {canonical!r} appears more than once",
                "keep one column of each name",
            )
        else:
            columns[canonical] = index
    problems.columns[file] = columns
    missing = tuple(c for c in kind.required if c not in columns)
    for name in missing:
        problems.add(
            file,
            header_line,
            name,
            f"the header has no {name!r} column",
            f"add a {name!r} column; the {kind.what} file needs "
            f"{', '.join(kind.required)}",
        )
    table = Table(file, kind, [trim(h) for h in header], columns, missing)
    for record in records[1:]:
        _table_row(table, record, problems)
    return table


#: Separators spreadsheets write instead of commas, with their names: a
#: semicolon where the decimal mark is a comma (Excel's "CSV" in much of
#: Europe), a tab in "Text (Tab delimited)" files and pasted cells.
_OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs"}
#: How to save a file of each separator with commas instead.  Excel
#: separates the cells of its "CSV" files with Windows' list separator,
#: which is a semicolon wherever the decimal mark is a comma.
_SAVE_WITH_COMMAS = {
    ";": (
        "save it with commas: in LibreOffice Calc, Save As 'Text CSV' "
        "with the field delimiter ','; Excel writes Windows' list "
        "separator, so set that to ',' (Region settings > Additional "
        "settings) and save as 'CSV UTF-8 (Comma delimited)'"
    ),
    "\t": (
        "save it as comma-separated CSV: in Excel, File > Save As > "
        "'CSV UTF-8 (Comma delimited)'; in LibreOffice Calc, Save As "
        "'Text CSV' with the field delimiter ','"
    ),
}
#: A number written with a decimal comma, as those spreadsheets write it.
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


def _other_separator(text: str, kind: CsvKind) -> tuple[str, str] | None:
    """Return the problem of a file separated by semicolons or tabs.

    The header, split on commas, lacks a required column; if split on
    another separator it names every required column, the file was
    written with that separator.  Such files are refused, not read: where
    a spreadsheet writes semicolons it also writes decimal commas
    (``50,82``), and the ``needs`` cell uses semicolons of its own, so
    guessing would turn a clear refusal into numbers misread.

    Returns
    -------
    tuple of str or None
        ``(message, fix)``, or ``None`` when no other separator explains
        the header.
    """
    longest = files.MAX_COLUMNS * (files.MAX_FIELD_CHARS + 3)
    for separator, name in _OTHER_SEPARATORS.items():
        records: list[list[str]] = []
        try:
            reader = csv.reader(
                physical_lines(text, longest), delimiter=separator
            )
            for cells in reader:
                if trim("".join(cells)):
                    records.append(cells)
                if len(records) == 2:  # the header and a row suffice
                    break
        except (csv.Error, LineTooLong):
            continue
        if not records:
            continue
        names = {_canonical_column(trim(c), kind)[0] for c in records[0]}
        if not set(kind.required) <= names:
            continue
        fix = _SAVE_WITH_COMMAS[separator]
        decimal = next(
            (
                trim(c)
                for row in records[1:]
                for c in row
                if _DECIMAL_COMMA.fullmatch(trim(c))
            ),
            None,
        )
        if decimal is not None:
            fix += (
                f"; its numbers have decimal commas ({decimal!r}): write "
                f"them with a decimal point ({decimal.replace(',', '.')!r})"
            )
        return (
            f"the file seems to be separated by {name}; buddymatch reads "
            "comma-separated CSV",
            fix,
        )
    return None


def _table_row(table: Table, record: _Record, problems: Problems) -> None:
    """Add *record* to the table's rows, or report it and keep it aside."""
    line, end, cells = record
    if len(cells) != len(table.header):
        fix = (
            "give every row one cell per header column; put a cell that "
            "holds a comma in double quotes"
        )
        if end > line:
            fix += (
                f"; the quoted cell starting here runs to line {end}: "
                'check for a quote (") that is never closed'
            )
        problems.add(
            table.file,
            line,
            None,
            f"this row has {len(cells)} cells, but the header has "
            f"{len(table.header)} columns",
            fix,
        )
        table.broken.append(cells)
        return
    too_long = False
    for index, cell in enumerate(cells):
        if len(cell) > files.MAX_FIELD_CHARS:
            problems.add(
                table.file,
                line,
                table.header[index] or None,
                f"the cell is {len(cell):,} characters long; the limit is "
                f"{files.MAX_FIELD_CHARS:,} (MAX_FIELD_CHARS)",
                "shorten the cell",
            )
            too_long = True
    if too_long:
        table.broken.append(cells)
        return
    table.rows.append(
        (line, {name: cells[i] for name, i in table.columns.items()})
    )


def row_values(
    item: Item,
    table: Table,
    cells: Mapping[str, str],
    names: Iterable[str],
    text_fields: Iterable[str] = (),
) -> dict[str, object]:
    """Return the non-empty cells of *names*; an empty cell takes the default.

    An empty cell of a required column is reported here; a required column
    the header lacks is already reported, so its fields are only marked bad.
    """
    texts = set(text_fields)
    values: dict[str, object] = {}
    for name in table.missing:
        item.bad.add(name)
    for name in names:
        if name not in cells:
            continue
        cell = trim(cells[name])
        if not cell:
            if name not in table.kind.required:
                continue
            item.report(name, f"the {name} cell is empty", f"give the {name}")
            continue
        values[name] = unescape_text(cell) if name in texts else cell
    return values
