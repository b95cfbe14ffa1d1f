"""Explanations as Markdown or HTML: a section per partnership.

Both forms are written from one neutral outline
([`buddymatch.render.outline`][buddymatch.render.outline]), so they always say
the same thing;
all text is escaped there, when it is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from buddymatch.render.outline import Outline
from buddymatch.wording import area_words, fmt_minutes, plural

if TYPE_CHECKING:
    from buddymatch.explanation import (
        Alternative,
        AssignmentExplanation,
        BuddyExplanation,
        Infeasibility,
        PairExplanation,
        ResultExplanation,
        ResultSummary,
        Term,
        UnmetExplanation,
    )

__all__ = [
    "render_buddy_html",
    "render_buddy_markdown",
    "render_explanations_html",
    "render_explanations_markdown",
    "render_pair_html",
    "render_pair_markdown",
    "render_summary_markdown",
]


def _term_value(term: Term) -> str:
    if term.value is None:
        return ""
    if term.name == "expertise":
        return f"{term.value:g} of 5"
    if term.name == "culture":
        return f"{term.value:.2f}"
    if term.name == "travel":
        return f"{fmt_minutes(term.value)} min"
    if term.name in ("preferred", "prior"):
        return "yes" if term.value else "no"
    return f"{term.value:g}"


def _terms_table(doc: Outline, terms: tuple[Term, ...]) -> None:
    doc.table(
        ("term", "value", "points", "meaning"),
        [(t.name, _term_value(t), f"{t.points:+.3f}", t.words) for t in terms],
        {2},
    )


def _alternatives_table(
    doc: Outline, alternatives: tuple[Alternative, ...], name: _Names
) -> None:
    if not alternatives:
        doc.para("No other buddy passes the hard rules for this need.")
        return
    doc.table(
        ("alternative", "score", "vs chosen", "why not chosen"),
        [
            (
                name(a.buddy),
                f"{a.score:.3f}",
                f"{a.difference:+.3f}",
                a.words,
            )
            for a in alternatives
        ],
        {1, 2},
    )


class _Names:
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def __call__(self, trust_id: str) -> str:
        name = self.names.get(trust_id)
        return (
            f"{name} ({trust_id})" if name and name != trust_id else (trust_id)
        )


def _assignment(
    doc: Outline, a: AssignmentExplanation, name: _Names, level: int
) -> None:
    pinned = ", pinned" if a.pinned else ""
    doc.heading(level, f"{area_words(a.area)} ({a.tier} tier{pinned})")
    doc.para(a.words + ".")
    _terms_table(doc, a.terms)
    _alternatives_table(doc, a.alternatives, name)


def _unmet(doc: Outline, u: UnmetExplanation, name: _Names) -> None:
    doc.heading(
        3,
        f"{name(u.seeker)}: {area_words(u.area)} "
        f"({u.tier} tier, priority {u.priority})",
    )
    doc.para(u.words)
    doc.table(
        ("step", "buddies left", "removed", "for example"),
        [
            (s.step, str(s.remaining), str(s.removed), "; ".join(s.examples))
            for s in u.funnel
        ],
        {1, 2},
    )
    doc.bullets([f"Policy change: {r.words}" for r in u.relaxations])
    if u.tried:
        doc.para("Tried without covering it: " + ", ".join(u.tried) + ".")


def _infeasibility(doc: Outline, why: Infeasibility, level: int) -> None:
    doc.heading(level, "Why the pins cannot all hold")
    doc.para(why.words)
    doc.bullets([m.words for m in why.members])
    if why.context:
        doc.para("Always true, and part of the conflict:")
        doc.bullets(list(why.context))
    if why.also:
        doc.para("Other pins that cannot hold either:")
        doc.bullets(list(why.also))


def _result_outline(e: ResultExplanation, title: str) -> Outline:
    name = _Names(e.names)
    doc = Outline()
    doc.heading(1, title)
    quality = (
        f"; quality {e.objective:g} points" if e.objective is not None else ""
    )
    doc.para(f"Status: {e.status}{quality}.")
    for note in e.notes:
        doc.para(note)
    if e.infeasibility is not None:
        _infeasibility(doc, e.infeasibility, 2)
    if e.assignments:
        doc.heading(2, "Partnerships")
        for (seeker, buddy), items in e.partnerships():
            doc.heading(3, f"{name(seeker)} with buddy {name(buddy)}")
            areas = ", ".join(
                f"{area_words(a.area)} ({a.tier})" for a in items
            )
            doc.para(f"Areas: {areas}.")
            for a in items:
                _assignment(doc, a, name, 4)
    if e.unmet:
        doc.heading(2, "Unmet needs")
        for u in e.unmet:
            _unmet(doc, u, name)
    return doc


def render_explanations_markdown(
    explanation: ResultExplanation, title: str = "Why these buddies"
) -> str:
    """Return the explanations as Markdown, a section per partnership.

    Parameters
    ----------
    explanation
        From [`explain_result`][buddymatch.explain.explain_result].
    title
        The document title.

    Returns
    -------
    str
        Markdown text: partnerships (each area's score by term and its
        alternatives), unmet needs (funnel and policy changes), and the
        conflict of an infeasible result.
    """
    return _result_outline(explanation, title).markdown()


def render_explanations_html(
    explanation: ResultExplanation, title: str = "Why these buddies"
) -> str:
    """Return the explanations as a standalone HTML page.

    Parameters
    ----------
    explanation
        From [`explain_result`][buddymatch.explain.explain_result].
    title
        The page title.

    Returns
    -------
    str
        HTML with the same sections as
        [`render_explanations_markdown`][buddymatch.render.explanation.render_explanations_markdown].
    """
    return _result_outline(explanation, title).html(title)


def _pair_outline(
    pair: PairExplanation, names: dict[str, str] | None, title: str | None
) -> tuple[Outline, str]:
    name = _Names(names or {})
    heading = title or (
        f"{pair.buddy} for {pair.seeker}'s {area_words(pair.area)} need"
    )
    doc = Outline()
    doc.heading(1, heading)
    doc.para(pair.words)
    if pair.assignment is not None:
        _terms_table(doc, pair.assignment.terms)
        _alternatives_table(doc, pair.assignment.alternatives, name)
    moves = [
        (f"+ {m.buddy}", m.seeker, area_words(m.area)) for m in pair.added
    ] + [(f"- {m.buddy}", m.seeker, area_words(m.area)) for m in pair.removed]
    if moves:
        doc.heading(2, "What would move")
        doc.table(("buddy", "seeker", "area"), moves, set())
    if pair.infeasibility is not None:
        _infeasibility(doc, pair.infeasibility, 2)
    return doc, heading


def render_pair_markdown(
    pair: PairExplanation,
    names: dict[str, str] | None = None,
    title: str | None = None,
) -> str:
    """Return a pair explanation as Markdown.

    Parameters
    ----------
    pair
        From [`explain_pair`][buddymatch.explain.explain_pair].
    names
        Trust id -> display name (optional).
    title
        The document title (default: the pair).

    Returns
    -------
    str
        Markdown text.
    """
    doc, _ = _pair_outline(pair, names, title)
    return doc.markdown()


def render_pair_html(
    pair: PairExplanation,
    names: dict[str, str] | None = None,
    title: str | None = None,
) -> str:
    """Return a pair explanation as a standalone HTML page.

    Parameters
    ----------
    pair
        From [`explain_pair`][buddymatch.explain.explain_pair].
    names
        Trust id -> display name (optional).
    title
        The page title (default: the pair).

    Returns
    -------
    str
        HTML text.
    """
    doc, heading = _pair_outline(pair, names, title)
    return doc.html(heading)


def _summary_outline(summary: ResultSummary, title: str) -> Outline:
    name = _Names(summary.names)
    doc = Outline()
    doc.heading(1, title)
    quality = ""
    if summary.objective is not None:
        bound = f"{summary.bound:.3f}" if summary.bound is not None else "n/a"
        gap = f"{summary.gap:.2%}" if summary.gap is not None else "n/a"
        quality = (
            f"; quality {summary.objective:.3f} points (bound {bound}, gap "
            f"{gap})"
        )
    doc.para(f"Status: {summary.status}{quality}.")
    for note in summary.notes:
        doc.para(note)
    doc.bullets(list(summary.infeasibility))
    if summary.coverage:
        doc.table(
            ("priority", "needs met", "of", "at most possible"),
            [
                (
                    str(c.priority),
                    str(c.covered),
                    str(c.total),
                    "unknown" if c.bound is None else str(c.bound),
                )
                for c in summary.coverage
            ],
            {0, 1, 2, 3},
        )
    if summary.assignments or summary.status in ("optimal", "feasible"):
        pinned = f", {summary.pinned} pinned" if summary.pinned else ""
        budget = (
            f" of a budget of {summary.budget:,.0f}"
            if summary.budget is not None
            else ""
        )
        doc.para(
            f"{summary.met} of {summary.needs} needs met; "
            f"{summary.seekers_all_met} of {summary.seekers} seekers have "
            "every need met. "
            f"{plural(summary.assignments, 'assignment')} in "
            f"{plural(summary.partnerships, 'partnership')}{pinned}; "
            f"{plural(summary.buddies, 'buddy', 'buddies')} used, "
            f"{summary.buddies_full} of them with no capacity left; fees "
            f"{summary.total_fee:,.0f}{budget}."
        )
    if summary.unmet:
        doc.heading(2, f"Unmet needs ({len(summary.unmet)})")
        doc.bullets(
            [
                f"{name(u.seeker)}: {u.area} ({u.tier} tier, priority "
                f"{u.priority}): {u.detail}"
                for u in summary.unmet
            ]
        )
    return doc


def render_summary_markdown(
    summary: ResultSummary, title: str = "The proposal in brief"
) -> str:
    """Return a proposal's summary as Markdown, a screenful at most.

    Parameters
    ----------
    summary
        From [explain_summary][buddymatch.explain.explain_summary].
    title
        The document title.

    Returns
    -------
    str
        Markdown text: status and quality, cover per priority with its
        bound, counts, and each unmet need in one line with its reason.
    """
    return _summary_outline(summary, title).markdown()


def _buddy_outline(
    b: BuddyExplanation, title: str | None
) -> tuple[Outline, str]:
    name = _Names(b.names)
    heading = title or f"{name(b.buddy)} as a buddy"
    doc = Outline()
    doc.heading(1, heading)
    doc.para(b.words + ".")
    doc.table(
        ("capacity", "used", "left", "partners", "partner limit"),
        [
            (
                str(b.capacity),
                str(b.used),
                str(b.left),
                str(len(b.partners)),
                "none" if b.partner_limit is None else str(b.partner_limit),
            )
        ],
        {0, 1, 2, 3, 4},
    )
    if b.serves:
        doc.heading(2, "The needs it serves")
        for a in b.serves:
            pinned = ", pinned" if a.pinned else ""
            doc.heading(
                3, f"{name(a.seeker)}: {a.area} ({a.tier} tier{pinned})"
            )
            doc.para(a.words + ".")
            _terms_table(doc, a.terms)
            _alternatives_table(doc, a.alternatives, name)
    if b.openings:
        doc.heading(2, "Unmet needs it passes the hard rules for")
        doc.bullets(
            [
                f"{name(o.seeker)}: {o.area} (priority {o.priority}): "
                f"{o.words}"
                for o in b.openings
            ]
        )
    if b.excluded:
        doc.heading(2, "The needs it cannot serve")
        doc.table(
            ("first hard rule excluding it", "needs"),
            [(rule, str(count)) for rule, count in b.excluded.items()],
            {1},
        )
    return doc, heading


def render_buddy_markdown(
    buddy: BuddyExplanation, title: str | None = None
) -> str:
    """Return what a buddy does, and its room left, as Markdown.

    Parameters
    ----------
    buddy
        From [explain_buddy][buddymatch.explain.explain_buddy].
    title
        The document title (default: the buddy).

    Returns
    -------
    str
        Markdown text.
    """
    doc, _ = _buddy_outline(buddy, title)
    return doc.markdown()


def render_buddy_html(
    buddy: BuddyExplanation, title: str | None = None
) -> str:
    """Return what a buddy does, and its room left, as an HTML page.

    Parameters
    ----------
    buddy
        From [explain_buddy][buddymatch.explain.explain_buddy].
    title
        The page title (default: the buddy).

    Returns
    -------
    str
        HTML with the same sections as the Markdown form.
    """
    doc, heading = _buddy_outline(buddy, title)
    return doc.html(heading)
