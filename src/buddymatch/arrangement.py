"""Arrangements in place: the data a re-match starts from.

An [`Arrangement`][buddymatch.arrangement.Arrangement] is one buddy serving one
need, ongoing or ended
(``arrangements.csv``: ``seeker, area, buddy, status[, start]``).  It is
data, on the floor of the model beside [`buddymatch.model`][buddymatch.model],
so that the
readers ([`buddymatch.io`][buddymatch.io]) and the re-matching
([`buddymatch.rematch`][buddymatch.rematch])
can both use it without importing each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from buddymatch.model import Id, Issue, Problem

__all__ = [
    "ARRANGEMENT_COLUMNS",
    "Arrangement",
    "ArrangementStatus",
    "Frozen",
    "arrangement_issues",
]

ArrangementStatus = Literal["ongoing", "ended"]

#: Columns of ``arrangements.csv``, in the written order.
ARRANGEMENT_COLUMNS: tuple[str, ...] = (
    "seeker",
    "area",
    "buddy",
    "status",
    "start",
)


class Frozen(BaseModel):
    """Base of the re-matching models: frozen, strict about extra keys."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=True,
        validate_default=True,
    )


class Arrangement(Frozen):
    """One buddying arrangement in place: a buddy serving one need.

    Parameters
    ----------
    seeker
        Id of the trust receiving support.
    area
        The need's area.  For an ongoing arrangement the need must be one
        of the seeker's needs (so its tier is known); an ended one needs
        only a known area.
    buddy
        Id of the supporting trust.
    status
        ``ongoing`` (kept when re-matching) or ``ended`` (the seeker-buddy
        pair is not proposed again, in any area).
    start
        When it started, if known (kept in its terms of reference).
    """

    seeker: Id
    area: Id
    buddy: Id
    status: ArrangementStatus
    start: dt.date | None = None


def arrangement_issues(
    problem: Problem, arrangements: Sequence[Arrangement]
) -> list[Issue]:
    """Return every problem of *arrangements* against *problem*.

    Checks: seeker and buddy are trusts of the problem, and different; the
    area has expertise data; an ongoing arrangement's need is a need of
    the seeker; no (seeker, area, buddy) is listed twice; no pair is both
    ongoing (in some area) and ended (in another), since an ended pair is
    banned in every area; no ended pair is pinned by a relation.

    Parameters
    ----------
    problem
        The problem being re-matched.
    arrangements
        The arrangements in place.

    Returns
    -------
    list of Issue
        Each located by ``("arrangements", index, field)``, in row order.
    """
    issues: list[Issue] = []
    known = set(problem.trust_ids)
    areas = set(problem.areas)
    needs = {(n.seeker, n.area) for n in problem.needs}
    pinned = {(r.a, r.b): r for r in problem.relations if r.kind == "pinned"}
    ongoing_pairs: dict[tuple[str, str], str] = {}
    ended_pairs: dict[tuple[str, str], str] = {}
    for item in arrangements:
        pair = (item.seeker, item.buddy)
        book = ongoing_pairs if item.status == "ongoing" else ended_pairs
        book.setdefault(pair, item.area)
    seen: set[tuple[str, str, str]] = set()
    for i, item in enumerate(arrangements):
        where: tuple[str | int, ...] = ("arrangements", i)
        for end in ("seeker", "buddy"):
            tid = getattr(item, end)
            if tid not in known:
                issues.append(
                    Issue(
                        (*where, end),
                        f"arrangement names {end} {tid!r}, which is not a "
                        "trust",
                        "use the id of a trust in the trusts file",
                    )
                )
        if item.seeker == item.buddy:
            issues.append(
                Issue(
                    (*where, "buddy"),
                    f"arrangement pairs {item.seeker!r} with itself",
                    "name two different trusts",
                )
            )
        if item.area not in areas:
            issues.append(
                Issue(
                    (*where, "area"),
                    f"area {item.area!r} has no expertise data",
                    "use an area of the trusts file's expertise_<area> "
                    "columns, or correct the area's name",
                )
            )
        elif (
            item.status == "ongoing"
            and item.seeker in known
            and (item.seeker, item.area) not in needs
        ):
            issues.append(
                Issue(
                    (*where, "area"),
                    f"ongoing arrangement {item.seeker}/{item.area} with "
                    f"{item.buddy} is for a need {item.seeker!r} does not "
                    "list",
                    f"add {item.area!r} to {item.seeker}'s needs in the "
                    "trusts file (its tier sets the workload and fee), or "
                    "mark the arrangement ended",
                )
            )
        key = (item.seeker, item.area, item.buddy)
        if key in seen:
            issues.append(
                Issue(
                    (*where, "buddy"),
                    f"arrangement {item.seeker}/{item.area} with "
                    f"{item.buddy} is listed more than once",
                    "keep one row per seeker, area and buddy",
                )
            )
        seen.add(key)
        pair = (item.seeker, item.buddy)
        if item.status == "ended" and pair in ongoing_pairs:
            issues.append(
                Issue(
                    (*where, "status"),
                    f"{item.seeker} with {item.buddy} is ended here but "
                    f"ongoing in {ongoing_pairs[pair]}; an ended "
                    "partnership is banned in every area",
                    "mark every area of the pair ended, or, if only this "
                    "area's work is finished, delete this row",
                )
            )
        if item.status == "ended" and pair in pinned:
            issues.append(
                Issue(
                    (*where, "status"),
                    f"{item.seeker} with {item.buddy} has ended, but the "
                    "relations pin the pair",
                    "remove the pin, or mark the arrangement ongoing",
                )
            )
    return issues
