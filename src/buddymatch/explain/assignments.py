"""Why this buddy: an assignment's score by term, and its alternatives.

For each assignment: its score broken down by term in a person's units
(expertise 0-5, culture fit 0-1, travel minutes, relations, the
partnership cost it adds), and the best other candidates for the same
need with why each was not chosen.  The checks, in order: it serves this
need already; its capacity goes to other needs (named); it would exceed
its partner limit, or the seeker's buddy limit; a pin holds the chosen
buddy; its score is lower (by how much, and which terms differ).

Alternatives are compared as if they took the chosen buddy's place: the
partnership cost counts for a buddy that does not partner the seeker yet,
and is saved by the chosen buddy when this is its partnership's only area.
"""

from __future__ import annotations

import numpy as np

from buddymatch.explain.proposal import (
    POINT_TOLERANCE,
    ProposalView,
    fmt_minutes,
)
from buddymatch.explanation import (
    Alternative,
    AlternativeReason,
    AssignmentExplanation,
    Term,
)
from buddymatch.scoring import TERMS
from buddymatch.wording import area_words, plural

#: Alternatives listed per assignment by default.
DEFAULT_ALTERNATIVES = 3


def pair_terms(view: ProposalView, position: int) -> tuple[Term, ...]:
    """Return the score terms of one candidate pair in a person's units.

    Parameters
    ----------
    view
        The proposal.
    position
        The candidate pair.

    Returns
    -------
    tuple of Term
        ``override`` alone for a user-scored pair, else the five computed
        terms in `TERMS` order.
    """
    cands = view.cands
    if cands.overridden[position]:
        score = float(cands.score[position])
        return (
            Term(
                name="override",
                points=score,
                value=score,
                words=f"user-supplied score {score:g}",
            ),
        )
    need = view.need(int(cands.need[position]))
    row = view.row_of(int(cands.need[position]))
    buddy = int(cands.buddy[position])
    level = int(cands.expertise[position])
    fit = float(cands.fit[row, buddy])
    minutes = float(cands.minutes[row, buddy])
    points = {name: float(cands.terms[name][position]) for name in TERMS}
    fit_words = (
        f"culture fit {fit:.2f}"
        if view.problem.culture_dimensions
        else "no culture data (fit counts as 1)"
    )
    return (
        Term(
            name="expertise",
            points=points["expertise"],
            value=level,
            words=f"expertise {level}/5 in {area_words(need.area)}",
        ),
        Term(
            name="culture",
            points=points["culture"],
            value=fit,
            words=fit_words,
        ),
        Term(
            name="travel",
            points=points["travel"],
            value=minutes,
            words=f"{fmt_minutes(minutes)} minutes' travel",
        ),
        Term(
            name="preferred",
            points=points["preferred"],
            value=float(points["preferred"] != 0),
            words="preferred by the seeker"
            if points["preferred"]
            else "not a preferred pair",
        ),
        Term(
            name="prior",
            points=points["prior"],
            value=float(points["prior"] != 0),
            words="prior relationship"
            if points["prior"]
            else "no prior relationship",
        ),
    )


def _partnership_term(view: ProposalView, position: int, adds: bool) -> Term:
    need = view.need(int(view.cands.need[position]))
    buddy = view.trust_id(int(view.cands.buddy[position]))
    cost = view.policy.partnership_cost
    if adds:
        return Term(
            name="partnership",
            points=-cost + 0.0,
            value=None,
            words=f"starts the partnership {need.seeker}–{buddy} "
            f"(-{cost:g} points)",
        )
    return Term(
        name="partnership",
        points=0.0,
        value=None,
        words=f"shares the partnership {need.seeker}–{buddy} with "
        "other areas: no extra cost",
    )


def _score_phrases(
    view: ProposalView,
    alt: int,
    chosen: int,
    alt_cost: float,
    chosen_cost: float,
) -> list[str]:
    """Say which terms make *alt* score differently from *chosen*,
    largest effect first."""
    cands = view.cands
    effects: list[tuple[float, str]] = []
    if cands.overridden[alt] or cands.overridden[chosen]:
        a, c = float(cands.score[alt]), float(cands.score[chosen])
        effects.append((abs(a - c), f"score {a:g} vs {c:g} (user-supplied)"))
    else:
        row = view.row_of(int(cands.need[alt]))
        b_alt, b_ch = int(cands.buddy[alt]), int(cands.buddy[chosen])

        def delta(name: str) -> float:
            return abs(
                float(cands.terms[name][alt] - cands.terms[name][chosen])
            )

        minutes = float(cands.minutes[row, b_alt] - cands.minutes[row, b_ch])
        if abs(minutes) >= 0.05:
            side = "further" if minutes > 0 else "closer"
            effects.append(
                (
                    delta("travel"),
                    f"{fmt_minutes(abs(minutes))} minutes {side}",
                )
            )
        fit_a, fit_c = cands.fit[row, b_alt], cands.fit[row, b_ch]
        if fit_a != fit_c:
            digits = 2 if f"{fit_a:.2f}" != f"{fit_c:.2f}" else 4
            effects.append(
                (
                    delta("culture"),
                    f"culture fit {fit_a:.{digits}f} vs {fit_c:.{digits}f}",
                )
            )
        lvl_a, lvl_c = int(cands.expertise[alt]), int(cands.expertise[chosen])
        if lvl_a != lvl_c:
            effects.append(
                (delta("expertise"), f"expertise {lvl_a} vs {lvl_c}")
            )
        for name, having, lacking in (
            (
                "preferred",
                "preferred by the seeker",
                "not preferred (the chosen buddy is)",
            ),
            (
                "prior",
                "a prior relationship",
                "no prior relationship (the chosen buddy has one)",
            ),
        ):
            if delta(name):
                effects.append(
                    (
                        delta(name),
                        having if cands.terms[name][alt] else lacking,
                    )
                )
    if alt_cost != chosen_cost:
        seeker = view.need(int(cands.need[alt])).seeker
        if alt_cost > chosen_cost:
            words = (
                f"would add a partnership (-{alt_cost:g} points) where the "
                f"chosen buddy already partners {seeker}"
            )
        else:
            words = (
                f"already partners {seeker} (saves the {chosen_cost:g}-point "
                "partnership cost)"
            )
        effects.append((abs(alt_cost - chosen_cost), words))
    effects.sort(key=lambda e: -e[0])
    return [words for _, words in effects]


def _alternative(
    view: ProposalView,
    alt: int,
    chosen: int,
    chosen_net: float,
    chosen_cost: float,
    held_by: str | None,
) -> Alternative:
    cands = view.cands
    need_index = int(cands.need[alt])
    row = view.row_of(need_index)
    buddy = int(cands.buddy[alt])
    cost = (
        0.0
        if buddy in view.buddies_of.get(row, [])
        else view.policy.partnership_cost
    )
    score = float(cands.score[alt])
    net = round(score - cost, 3)
    difference = round(net - chosen_net, 3)
    reason: AlternativeReason
    if view.chosen[alt]:
        count = view.need(need_index).buddies
        reason, words = (
            "also_assigned",
            (f"also serves this need (it takes {plural(count, 'buddy')})"),
        )
    elif blocked := view.room(
        need_index, buddy, int(cands.workload[alt]), replacing=chosen
    ):
        code, words = blocked
        reason = code  # type: ignore[assignment]
        if difference > POINT_TOLERANCE:
            words += f"; it would score {difference:g} higher"
    elif difference > POINT_TOLERANCE:
        phrases = _score_phrases(view, alt, chosen, cost, chosen_cost)
        better = f"higher score by {difference:g} ({', '.join(phrases)})"
        if held_by is not None:
            reason, words = "pinned", f"{better}, but the {held_by} holds "
            words += "the chosen buddy"
        else:
            reason = "not_found"
            words = (
                f"{better} and has room: the search stopped before finding "
                f"it (result {view.result.status}, gap "
                f"{view.result.gap if view.result.gap is not None else '?'})"
            )
    elif difference < -POINT_TOLERANCE:
        phrases = _score_phrases(view, alt, chosen, cost, chosen_cost)
        reason = "lower_score"
        words = f"lower score by {-difference:g}"
        if phrases:
            words += ": " + ", ".join(phrases)
    else:
        reason = "equal_score"
        words = "equal score; the tie went to the chosen buddy"
    return Alternative(
        buddy=view.trust_id(buddy),
        score=score,
        net=net,
        difference=difference,
        reason=reason,
        words=words,
        terms=pair_terms(view, alt),
    )


def explain_assignment(
    view: ProposalView, position: int, k: int = DEFAULT_ALTERNATIVES
) -> AssignmentExplanation:
    """Explain one chosen pair: its terms and its top *k* alternatives.

    Parameters
    ----------
    view
        The proposal.
    position
        A chosen candidate pair.
    k
        How many alternatives to list (best net score first).

    Returns
    -------
    AssignmentExplanation
        The explanation.
    """
    cands = view.cands
    need_index = int(cands.need[position])
    need = view.need(need_index)
    buddy = view.trust_id(int(cands.buddy[position]))
    adds = not view.shares_partnership(position)
    cost = view.policy.partnership_cost if adds else 0.0
    score = float(cands.score[position])
    net = round(score - cost, 3)
    terms = (
        *pair_terms(view, position),
        _partnership_term(view, position, adds),
    )
    held_by = view.held_by_pin(position)
    others = [int(q) for q in cands.pairs_of_need(need_index) if q != position]
    alternatives = [
        _alternative(view, q, position, net, cost, held_by) for q in others
    ]
    # Best first, as the objective sees them; ties by trust id.
    alternatives.sort(key=lambda a: (-a.net, a.buddy))
    shown = tuple(alternatives[: max(k, 0)])
    # Relation terms are named only when they count.
    parts = [
        f"{t.words} ({t.points:+g})"
        for t in terms[:-1]
        if t.points or t.name not in ("preferred", "prior")
    ]
    words = (
        f"{buddy} serves {need.seeker}'s {area_words(need.area)} need "
        f"({need.tier}): "
        f"score {score:g} = " + ", ".join(parts)
    )
    if adds:
        words += f"; {terms[-1].words}"
    if held_by is not None:
        words += f"; held by the {held_by}"
    if shown:
        best = shown[0]
        words += f". Next best: {best.buddy} ({best.difference:+g}): "
        words += best.words
    elif alternatives:
        # None asked for (k = 0): say how many there are, never "none".
        count = len(alternatives)
        verb = "passes" if count == 1 else "pass"
        words += (
            f". {plural(count, 'other buddy', 'other buddies')} also "
            f"{verb} the hard rules (none listed)"
        )
    else:
        words += ". No other buddy passes the hard rules for this need"
    return AssignmentExplanation(
        seeker=need.seeker,
        area=need.area,
        tier=need.tier,
        buddy=buddy,
        score=score,
        net=net,
        terms=terms,
        pinned=held_by is not None,
        candidates=len(others) + 1,
        alternatives=shown,
        words=words,
    )


def explain_assignments(
    view: ProposalView, k: int = DEFAULT_ALTERNATIVES
) -> tuple[AssignmentExplanation, ...]:
    """Explain every chosen pair of the proposal.

    Parameters
    ----------
    view
        The proposal.
    k
        Alternatives per assignment.

    Returns
    -------
    tuple of AssignmentExplanation
        By seeker, area and buddy.
    """
    explained = [
        explain_assignment(view, int(p), k)
        for p in np.flatnonzero(view.chosen)
    ]
    explained.sort(key=lambda a: (a.seeker, a.area, a.buddy))
    return tuple(explained)
