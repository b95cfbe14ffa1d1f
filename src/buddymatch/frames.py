"""Tables for notebooks: a result as pandas DataFrames, and HTML summaries.

:func:`result_frames` (also :meth:`Result.to_pandas
<buddymatch.result.Result.to_pandas>`) gives one DataFrame per part of a
proposal: assignments, partnerships, unmet needs and buddy utilisation,
each with the trusts' names beside their ids.  :func:`result_html` and
:func:`problem_html` are the compact summaries Jupyter shows for a
:class:`~buddymatch.result.Result` or :class:`~buddymatch.model.Problem`.

pandas is imported only when a frame is asked for (it comes with OR-Tools,
so it is always installed; importing it costs about half a second).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from buddymatch.model import Problem
from buddymatch.render.escape import html_escape as _e
from buddymatch.result import Assignment, Result
from buddymatch.scoring import TERMS
from buddymatch.wording import plural

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "PARTNERSHIP_COLUMNS",
    "UNMET_COLUMNS",
    "UTILISATION_COLUMNS",
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

#: Column -> dtype of each frame (``str`` is pandas' text dtype; ``Int64``
#: an integer that may be missing).  Assignments also get one
#: ``term_<name>`` column per score term; see :func:`assignments_frame`.
ASSIGNMENT_COLUMNS: dict[str, Any] = {
    "seeker": str,
    "seeker_name": str,
    "area": str,
    "tier": str,
    "buddy": str,
    "buddy_name": str,
    "travel_minutes": "float64",
    "culture_fit": "float64",
    "expertise": "int64",
    "workload": "int64",
    "fee": "float64",
    "score": "float64",
    "pinned": "bool",
}
PARTNERSHIP_COLUMNS: dict[str, Any] = {
    "seeker": str,
    "seeker_name": str,
    "buddy": str,
    "buddy_name": str,
    "areas": str,
    "tiers": str,
    "workload": "int64",
    "fee": "float64",
    "months": "int64",
}
UNMET_COLUMNS: dict[str, Any] = {
    "seeker": str,
    "seeker_name": str,
    "area": str,
    "tier": str,
    "priority": "int64",
    "buddies": "int64",
    "candidates": "int64",
    "reason": str,
    "detail": str,
}
UTILISATION_COLUMNS: dict[str, Any] = {
    "buddy": str,
    "buddy_name": str,
    "capacity": "int64",
    "workload": "int64",
    "share": "float64",
    "partners": "int64",
    "max_partners": "Int64",
}

#: The term of a user-supplied pair score (it replaces the computed ones).
OVERRIDE_TERM = "override"


class ResultFrames(NamedTuple):
    """A result as four DataFrames (see :func:`result_frames`)."""

    assignments: pd.DataFrame
    partnerships: pd.DataFrame
    unmet: pd.DataFrame
    utilisation: pd.DataFrame


def _pandas() -> Any:
    import pandas

    return pandas


def _frame(
    rows: Sequence[Mapping[str, object]], columns: dict[str, Any]
) -> pd.DataFrame:
    """Build a frame with exactly *columns*, typed even when empty."""
    pandas = _pandas()
    return pandas.DataFrame(
        {
            name: pandas.Series(
                [row[name] for row in rows], dtype=dtype, name=name
            )
            for name, dtype in columns.items()
        }
    )


def term_names(assignments: Sequence[Assignment]) -> list[str]:
    """Return the score terms of *assignments*: the computed terms, the
    override, then any other term found, by name."""
    seen = {name for a in assignments for name in a.terms}
    known = [*TERMS, OVERRIDE_TERM]
    return known + sorted(seen.difference(known))


def assignments_frame(result: Result) -> pd.DataFrame:
    """Return one row per assignment, in the result's order.

    Parameters
    ----------
    result
        The proposal.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`ASSIGNMENT_COLUMNS`, then ``term_<name>`` for
        each of :func:`term_names`: a term that does not apply to the
        assignment (the computed terms of a pair whose score the user
        gave, or ``term_override`` of any other) is NaN, so the terms of a
        row sum to its ``score`` (``sum`` skips NaN).
    """
    names = term_names(result.assignments)
    columns = dict(ASSIGNMENT_COLUMNS)
    columns.update({f"term_{name}": "float64" for name in names})
    nan = float("nan")
    rows = []
    for a in result.assignments:
        row: dict[str, object] = {
            "seeker": a.seeker,
            "seeker_name": result.trust_name(a.seeker),
            "area": a.area,
            "tier": a.tier,
            "buddy": a.buddy,
            "buddy_name": result.trust_name(a.buddy),
            "travel_minutes": a.travel_minutes,
            "culture_fit": a.culture_fit,
            "expertise": a.expertise,
            "workload": a.workload,
            "fee": a.fee,
            "score": a.score,
            "pinned": a.pinned,
        }
        for name in names:
            row[f"term_{name}"] = a.terms.get(name, nan)
        rows.append(row)
    return _frame(rows, columns)


def partnerships_frame(result: Result) -> pd.DataFrame:
    """Return one row per seeker-buddy partnership, in the result's order.

    ``areas`` lists the areas the buddy supports, ``;``-separated (as in
    the trusts CSV's needs), and ``tiers`` the tier of each as
    ``area:tier``.
    """
    rows = [
        {
            "seeker": p.seeker,
            "seeker_name": result.trust_name(p.seeker),
            "buddy": p.buddy,
            "buddy_name": result.trust_name(p.buddy),
            "areas": ";".join(p.areas),
            "tiers": ";".join(
                f"{area}:{p.tiers[area]}"
                for area in p.areas
                if area in p.tiers
            ),
            "workload": p.workload,
            "fee": p.fee,
            "months": p.months,
        }
        for p in result.partnerships
    ]
    return _frame(rows, PARTNERSHIP_COLUMNS)


def unmet_frame(result: Result) -> pd.DataFrame:
    """Return one row per unmet need, with its reason code and words."""
    rows = [
        {
            "seeker": u.seeker,
            "seeker_name": result.trust_name(u.seeker),
            "area": u.area,
            "tier": u.tier,
            "priority": u.priority,
            "buddies": u.buddies,
            "candidates": u.candidates,
            "reason": u.reason,
            "detail": u.detail,
        }
        for u in result.unmet
    ]
    return _frame(rows, UNMET_COLUMNS)


def utilisation_frame(result: Result) -> pd.DataFrame:
    """Return one row per buddy: capacity, workload given, and partners.

    ``share`` is workload ÷ capacity (NaN for a capacity of 0);
    ``max_partners`` is the buddy's partner limit (missing when none
    applies).
    """
    rows = [
        {
            "buddy": b.buddy,
            "buddy_name": result.trust_name(b.buddy),
            "capacity": b.capacity,
            "workload": b.workload,
            "share": b.workload / b.capacity if b.capacity else float("nan"),
            "partners": b.partners,
            "max_partners": b.max_partners,
        }
        for b in result.utilisation
    ]
    return _frame(rows, UTILISATION_COLUMNS)


def result_frames(result: Result) -> ResultFrames:
    """Return *result* as DataFrames: assignments, partnerships, unmet
    needs and utilisation.

    Parameters
    ----------
    result
        The proposal.

    Returns
    -------
    ResultFrames
        A named tuple of four DataFrames (see :func:`assignments_frame`,
        :func:`partnerships_frame`, :func:`unmet_frame` and
        :func:`utilisation_frame`); every column is present, and typed,
        even when a part is empty.
    """
    return ResultFrames(
        assignments_frame(result),
        partnerships_frame(result),
        unmet_frame(result),
        utilisation_frame(result),
    )


# ---------------------------------------------------------------------------
# HTML summaries (Jupyter's _repr_html_)
# ---------------------------------------------------------------------------

#: Rows shown per table before "... and N more".
HTML_ROWS = 10


def _facts(rows: Sequence[tuple[str, str]]) -> str:
    """A two-column table of name: value (both escaped here)."""
    body = "".join(
        f"<tr><th style=\"text-align:left\">{_e(name)}</th>"
        f"<td style=\"text-align:left\">{_e(value)}</td></tr>"
        for name, value in rows
    )
    return f"<table>{body}</table>"


def _table(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    more: Callable[[int], str],
    max_rows: int,
) -> str:
    """A titled table of at most *max_rows* rows (text escaped here)."""
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


def result_html(result: Result, *, max_rows: int = HTML_ROWS) -> str:
    """Return a compact HTML summary of *result* (what Jupyter shows).

    Parameters
    ----------
    result
        The proposal.
    max_rows
        Rows shown of the unmet needs and of the assignments.

    Returns
    -------
    str
        The status, cover, quality and counts, then the unmet needs and the
        first assignments; all text escaped.
    """
    facts: list[tuple[str, str]] = [("status", result.status)]
    if result.coverage:
        facts.append(
            (
                "needs covered",
                ", ".join(
                    f"priority {c.priority}: {c.covered}/{c.total}"
                    for c in result.coverage
                ),
            )
        )
    if result.objective is not None:
        bound = f"{result.bound:.3f}" if result.bound is not None else "n/a"
        gap = f"{result.gap:.2%}" if result.gap is not None else "n/a"
        facts.append(
            (
                "quality",
                f"{result.objective:.3f} points (bound {bound}, gap {gap})",
            )
        )
    facts.append(
        (
            "proposal",
            f"{plural(len(result.assignments), 'assignment')} in "
            f"{plural(len(result.partnerships), 'partnership')}; "
            f"{plural(len(result.unmet), 'unmet need')}",
        )
    )
    facts.append(("total fees", f"{result.total_fee:,.0f}"))
    if result.runtime is not None:
        facts.append(("runtime", f"{result.runtime:.2f} s"))
    facts.extend(("infeasible", why) for why in result.infeasibility)
    parts = [
        '<div class="buddymatch-result">',
        "<p><strong>buddymatch result</strong></p>",
        _facts(facts),
    ]
    if result.unmet:
        parts.append(
            _table(
                "Unmet needs",
                ("seeker", "area", "tier", "priority", "reason"),
                [
                    (
                        result.trust_name(u.seeker),
                        u.area,
                        u.tier,
                        u.priority,
                        f"{u.reason}: {u.detail}",
                    )
                    for u in result.unmet
                ],
                lambda n: f"... and {plural(n, 'more unmet need')}",
                max_rows,
            )
        )
    if result.assignments:
        parts.append(
            _table(
                "Assignments",
                ("seeker", "area", "tier", "buddy", "minutes", "fit",
                 "expertise", "score"),
                [
                    (
                        result.trust_name(a.seeker),
                        a.area,
                        a.tier,
                        result.trust_name(a.buddy),
                        f"{a.travel_minutes:.0f}",
                        f"{a.culture_fit:.2f}",
                        a.expertise,
                        f"{a.score:.2f}",
                    )
                    for a in result.assignments
                ],
                lambda n: (
                    f"... and {plural(n, 'more assignment')}: see "
                    "result.to_pandas().assignments"
                ),
                max_rows,
            )
        )
    parts.append("</div>")
    return "".join(parts)


def problem_html(problem: Problem, *, max_rows: int = HTML_ROWS) -> str:
    """Return a compact HTML summary of *problem* (what Jupyter shows).

    Parameters
    ----------
    problem
        The problem.
    max_rows
        Areas shown in the needs table.

    Returns
    -------
    str
        Counts of trusts, seekers, needs, buddies and relations, then the
        needs by area; all text escaped.
    """
    seekers = set(problem.seeker_ids)
    with_capacity = [t for t in problem.trusts if t.capacity > 0]
    by_priority = Counter(n.priority for n in problem.needs)
    relations = Counter(r.kind for r in problem.relations)
    facts: list[tuple[str, str]] = [
        ("trusts", str(len(problem.trusts))),
        (
            "needs",
            f"{len(problem.needs)} of {plural(len(seekers), 'seeker')} ("
            + ", ".join(
                f"priority {p}: {by_priority[p]}" for p in (3, 2, 1)
            )
            + ")",
        ),
        (
            "capacity",
            f"{plural(len(with_capacity), 'trust')} able to buddy, "
            f"{sum(t.capacity for t in with_capacity)} workload units in all",
        ),
        ("areas", ", ".join(problem.areas) or "none"),
        (
            "culture dimensions",
            ", ".join(problem.culture_dimensions) or "none (fit counts as 1)",
        ),
        (
            "relations",
            ", ".join(f"{kind}: {n}" for kind, n in sorted(relations.items()))
            or "none",
        ),
    ]
    if problem.overrides:
        facts.append(("pair overrides", str(len(problem.overrides))))
    facts.append(
        (
            "travel",
            "straight line"
            if problem.travel is None
            else "matrix of "
            + plural(len(problem.travel), "entry", "entries"),
        )
    )
    per_area: dict[str, list[int]] = {}
    for need in problem.needs:
        counts = per_area.setdefault(need.area, [0, 0, 0])
        counts[0] += 1
        counts[1] += need.buddies
        counts[2] += need.priority == 3
    areas = sorted(per_area, key=lambda a: (-per_area[a][0], a))
    parts = [
        '<div class="buddymatch-problem">',
        "<p><strong>buddymatch problem</strong></p>",
        _facts(facts),
    ]
    if areas:
        parts.append(
            _table(
                "Needs by area",
                ("area", "needs", "buddies wanted", "priority 3"),
                [(area, *per_area[area]) for area in areas],
                lambda n: f"... and {plural(n, 'more area')}",
                max_rows,
            )
        )
    parts.append("</div>")
    return "".join(parts)
