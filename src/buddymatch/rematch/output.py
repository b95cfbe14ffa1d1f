"""Output of a re-matching: the renderers are in
[`buddymatch.render`][buddymatch.render].

The diff's CSV rows and Markdown live in `buddymatch.render.rematch`
and a file is written by
[`buddymatch.render.write_output`][buddymatch.render.write_output], which
picks the format from the file's extension as for every other output;
this module keeps the names re-matching has always offered.
"""

from __future__ import annotations

import os
from pathlib import Path

from buddymatch.rematch_result import RematchResult
from buddymatch.render import write_output
from buddymatch.render.rematch import (
    CHANGE_COLUMNS,
    change_rows,
    render_rematch_markdown,
)

__all__ = [
    "CHANGE_COLUMNS",
    "change_rows",
    "render_rematch_markdown",
    "write_rematch",
]


def write_rematch(
    rematched: RematchResult, path: str | os.PathLike[str]
) -> Path:
    """Write the diff in the format named by *path*'s extension.

    The same as ``write_output(rematched, path)``: ``.csv``
    ([`change_rows`][buddymatch.rematch.output.change_rows], text cells made
    spreadsheet-safe), ``.json``
    ([`RematchResult.to_json`][buddymatch.rematch.RematchResult.to_json]) or
    ``.md``
    ([`render_rematch_markdown`][buddymatch.rematch.output.render_rematch_markdown]);
    written atomically.

    Parameters
    ----------
    rematched
        The re-match.
    path
        The file to write.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InputError
        For another extension (nothing is written).
    OutputError
        If the file cannot be written.
    """
    return write_output(rematched, path)
