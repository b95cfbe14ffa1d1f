"""Building blocks of what notebooks show: HTML tables and typed frames.

It imports nothing from buddymatch but the escaping floor, so the models
([`Problem`][buddymatch.model.Problem], [`Result`][buddymatch.result.Result])
can build their notebook summaries and DataFrames from their own data,
and [`buddymatch.frames`][buddymatch.frames] sits above them.

pandas is imported only when a frame is built (it comes with OR-Tools, so
it is always installed; importing it costs about half a second).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from buddymatch.escape import html_escape

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

__all__ = ["HTML_ROWS", "html_facts", "html_table", "typed_frame"]

#: Rows shown per table before "... and N more".
HTML_ROWS = 10


_e = html_escape


def html_facts(rows: Sequence[tuple[str, str]]) -> str:
    """Return a two-column table of name: value (both escaped here)."""
    body = "".join(
        f'<tr><th style="text-align:left">{_e(name)}</th>'
        f'<td style="text-align:left">{_e(value)}</td></tr>'
        for name, value in rows
    )
    return f"<table>{body}</table>"


def html_table(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    more: Callable[[int], str],
    max_rows: int,
) -> str:
    """Return a titled table of at most *max_rows* rows (text escaped).

    Parameters
    ----------
    title
        Shown in bold above the table.
    header
        The column headings.
    rows
        Every row; only the first *max_rows* are shown.
    more
        Words for the rows left out, given their number.
    max_rows
        Rows shown.

    Returns
    -------
    str
        The HTML.
    """
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>"
        for row in rows[:max_rows]
    )
    extra = len(rows) - max_rows
    tail = f"<p>{_e(more(extra))}</p>" if extra > 0 else ""
    return (
        f"<p><strong>{_e(title)}</strong></p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
        f"</table>{tail}"
    )


def typed_frame(
    rows: Sequence[Mapping[str, object]], columns: Mapping[str, Any]
) -> pd.DataFrame:
    """Return a DataFrame with exactly *columns*, typed even when empty.

    Parameters
    ----------
    rows
        One mapping per row, holding every column.
    columns
        Column name -> pandas dtype, in order.

    Returns
    -------
    pandas.DataFrame
        The frame.
    """
    import pandas

    return pandas.DataFrame(
        {
            name: pandas.Series(
                [row[name] for row in rows], dtype=dtype, name=name
            )
            for name, dtype in columns.items()
        }
    )
