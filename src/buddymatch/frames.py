"""Tables for notebooks: a result as pandas DataFrames, and HTML summaries.

The models build these from their own data: :meth:`Result.to_pandas
<buddymatch.result.Result.to_pandas>` gives one part of a proposal as a
DataFrame (the assignments by default), :meth:`Result.to_frames
<buddymatch.result.Result.to_frames>` all four (assignments,
partnerships, unmet needs and buddy utilisation, each with the trusts'
names beside their ids), and Jupyter shows a
:class:`~buddymatch.result.Result` or :class:`~buddymatch.model.Problem`
as a compact HTML summary.  This module gathers the same functions, and
the columns of each frame, in one place; it sits above
:mod:`buddymatch.model` and :mod:`buddymatch.result`, which never import
it.

pandas is imported only when a frame is asked for (it comes with OR-Tools,
so it is always installed; importing it costs about half a second).
"""

from __future__ import annotations

from buddymatch.display import HTML_ROWS
from buddymatch.model import problem_html
from buddymatch.result import (
    ASSIGNMENT_COLUMNS,
    FRAME_KINDS,
    OVERRIDE_TERM,
    PARTNERSHIP_COLUMNS,
    UNMET_COLUMNS,
    UTILISATION_COLUMNS,
    FrameKind,
    ResultFrames,
    assignments_frame,
    partnerships_frame,
    result_frames,
    result_html,
    term_names,
    unmet_frame,
    utilisation_frame,
)

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "FRAME_KINDS",
    "HTML_ROWS",
    "OVERRIDE_TERM",
    "PARTNERSHIP_COLUMNS",
    "UNMET_COLUMNS",
    "UTILISATION_COLUMNS",
    "FrameKind",
    "ResultFrames",
    "assignments_frame",
    "partnerships_frame",
    "problem_html",
    "result_frames",
    "result_html",
    "term_names",
    "unmet_frame",
    "utilisation_frame",
]
