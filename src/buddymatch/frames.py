"""Tables for notebooks: a result as pandas DataFrames, and HTML summaries.

[`Result.to_pandas`][buddymatch.result.Result.to_pandas] gives one
part of a proposal as a DataFrame (the assignments by default),
[`Result.to_frames`][buddymatch.result.Result.to_frames] all four
(assignments, partnerships, unmet needs and buddy utilisation, each with
the trusts' names beside their ids), and Jupyter shows a
[`Result`][buddymatch.result.Result] or [`Problem`][buddymatch.model.Problem]
as
a compact HTML summary.  This module builds them; the models' methods call it.

It is a view of the data, so it sits *below*
[`buddymatch.model`][buddymatch.model] and
[`buddymatch.result`][buddymatch.result] in the import graph: it reads their
objects by
attribute and imports their classes for type checking only, so the arrows
go one way (model, result -> frames -> display).

pandas is imported only when a frame is asked for (it comes with OR-Tools,
so it is always installed; importing it costs about half a second).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from buddymatch.display import HTML_ROWS, html_facts, html_table, typed_frame
from buddymatch.rules import SCORE_TERMS
from buddymatch.wording import plural

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
    "result_frame",
    "result_frames",
    "result_html",
    "term_names",
    "unmet_frame",
    "utilisation_frame",
]

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

    from buddymatch.model import Problem
    from buddymatch.result import Assignment, Result

# ---------------------------------------------------------------------------
# Tables: DataFrames and the HTML summary (what notebooks show)
# ---------------------------------------------------------------------------

#: The parts of a result
#: [`Result.to_pandas`][buddymatch.result.Result.to_pandas] gives as a
#: DataFrame.
FrameKind = Literal["assignments", "partnerships", "unmet", "utilisation"]
FRAME_KINDS: tuple[str, ...] = FrameKind.__args__  # type: ignore[attr-defined]

#: Column -> dtype of each frame (``str`` is pandas' text dtype; ``Int64``
#: an integer that may be missing).  Assignments also get one
#: ``term_<name>`` column per score term; see `assignments_frame`.
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
    """A result as four DataFrames (see
    [`Result.to_frames`][buddymatch.result.Result.to_frames])."""

    assignments: pd.DataFrame
    partnerships: pd.DataFrame
    unmet: pd.DataFrame
    utilisation: pd.DataFrame


def term_names(assignments: Iterable[Assignment]) -> list[str]:
    """Return the score terms of *assignments*: the computed terms, the
    override, then any other term found, by name."""
    seen = {name for a in assignments for name in a.terms}
    known = [*SCORE_TERMS, OVERRIDE_TERM]
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
        The columns of `ASSIGNMENT_COLUMNS`, then ``term_<name>`` for
        each of `term_names`: a term that does not apply to the
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
    return typed_frame(rows, columns)


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
    return typed_frame(rows, PARTNERSHIP_COLUMNS)


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
    return typed_frame(rows, UNMET_COLUMNS)


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
    return typed_frame(rows, UTILISATION_COLUMNS)


#: Frame kind -> the function that builds it, in ResultFrames' order.
_FRAMES: dict[str, Callable[[Result], pd.DataFrame]] = {
    "assignments": assignments_frame,
    "partnerships": partnerships_frame,
    "unmet": unmet_frame,
    "utilisation": utilisation_frame,
}


def result_frame(result: Result, kind: str) -> pd.DataFrame:
    """Return the part *kind* of *result* as a DataFrame.

    Parameters
    ----------
    result
        The result.
    kind
        One of `FRAME_KINDS`.

    Returns
    -------
    pandas.DataFrame
        Every column present, and typed, even when the part is empty.

    Raises
    ------
    ValueError
        If *kind* is none of `FRAME_KINDS`.
    """
    build = _FRAMES.get(kind)
    if build is None:
        raise ValueError(
            f"no frame kind {kind!r}; the kinds are " + ", ".join(FRAME_KINDS)
        )
    return build(result)


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
        A named tuple of four DataFrames (see `assignments_frame`,
        `partnerships_frame`, `unmet_frame` and
        `utilisation_frame`); every column is present, and typed,
        even when a part is empty.
    """
    return ResultFrames(*(build(result) for build in _FRAMES.values()))


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
        html_facts(facts),
    ]
    if result.unmet:
        parts.append(
            html_table(
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
            html_table(
                "Assignments",
                (
                    "seeker",
                    "area",
                    "tier",
                    "buddy",
                    "minutes",
                    "fit",
                    "expertise",
                    "score",
                ),
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
                    "result.to_pandas()"
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
            + ", ".join(f"priority {p}: {by_priority[p]}" for p in (3, 2, 1))
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
        html_facts(facts),
    ]
    if areas:
        parts.append(
            html_table(
                "Needs by area",
                ("area", "needs", "buddies wanted", "priority 3"),
                [(area, *per_area[area]) for area in areas],
                lambda n: f"... and {plural(n, 'more area')}",
                max_rows,
            )
        )
    parts.append("</div>")
    return "".join(parts)
