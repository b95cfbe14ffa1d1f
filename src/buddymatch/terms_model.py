"""Terms of reference for each partnership, and what the proposal costs.

The review recommends "clear terms of reference and timescales for
achieving outputs ... including shared understanding of the expectations
between both parties", fees "on a sliding scale ... dependent on the amount
of commitment", and that buddying be "at least cost neutral for those
trusts in special measures".  For every partnership of a
[`Result`][buddymatch.result.Result] this module drafts terms of reference:
the parties, the areas with their tier, workload and duration, start,
review and end dates, the estimated fees, who coordinates and how either
side may end it ([`terms_for`][buddymatch.terms_model.terms_for]).
[`seeker_costs`][buddymatch.terms_model.seeker_costs] totals the fees
per seeker against the policy's cost-neutral allowance.  Writing them, as
Markdown or JSON with one file per partnership, is
[`buddymatch.render.terms`][buddymatch.render.terms]; `buddymatch.terms` offers
both.

Dates: an area's work runs from its start for its tier's months and ends
the day before the same date that many months later; reviews fall every
`REVIEW_EVERY_MONTHS` months from the partnership's start, with a
final review on its last day.  The review schedule, the notice period and
the coordination wording are template defaults (``docs/terms.md``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from buddymatch.model import Policy
from buddymatch.result import Partnership, Result

__all__ = [
    "NOTICE_MONTHS",
    "PROJECT_MANAGER_WORKLOAD",
    "REVIEW_EVERY_MONTHS",
    "AreaTerms",
    "Party",
    "Review",
    "SeekerCost",
    "Terms",
    "add_months",
    "seeker_costs",
    "term_length",
    "terms_for",
]

#: Months between reviews (template default).
REVIEW_EVERY_MONTHS = 3
#: Months of written notice either side gives to end it (template default).
NOTICE_MONTHS = 1
#: From this workload (the programme tier's default) each trust names a
#: project manager: the review found one "a logical progression" where the
#: work programme is extensive.
PROJECT_MANAGER_WORKLOAD = 3


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Party(_Frozen):
    """One side of a partnership."""

    id: str
    name: str
    role: Literal["seeker", "buddy"]


class AreaTerms(_Frozen):
    """One area of a partnership: its tier and what that commits."""

    area: str
    tier: str
    workload: int
    months: int
    start: dt.date
    end: dt.date
    fee: float


class Review(_Frozen):
    """A review date; the final one closes the partnership's term."""

    date: dt.date
    final: bool = False


class Terms(_Frozen):
    """Draft terms of reference for one seeker-buddy partnership.

    Attributes
    ----------
    seeker, buddy
        The parties.
    areas
        Each area with its tier, workload units, duration, dates and fee.
    workload, fee
        Totals over the areas.
    months, days
        Length of the term from ``start`` to ``end`` (both included): whole
        months, then the days beyond them (see
        [`term_length`][buddymatch.terms_model.term_length]).  Not
        the longest tier: after a re-match the areas start on different
        days, and the term spans them all.
    start, end
        First and last day of the term.
    reviews
        Joint reviews, the last one final (on ``end``).
    coordination
        Who does what, one sentence each.
    termination
        How either side may end it.
    seeker_fees
        Fees of *all* the seeker's partnerships in the result.
    allowance
        The policy's cost-neutral allowance per seeker, if set.
    within_allowance
        Whether ``seeker_fees`` is within it (``None`` without one).
    """

    seeker: Party
    buddy: Party
    areas: tuple[AreaTerms, ...]
    workload: int
    fee: float
    months: int
    days: int = 0
    start: dt.date
    end: dt.date
    reviews: tuple[Review, ...]
    coordination: tuple[str, ...]
    termination: str
    seeker_fees: float
    allowance: float | None = None
    within_allowance: bool | None = None

    def to_json(self, indent: int | None = 2) -> str:
        """Return the terms as JSON (dates as YYYY-MM-DD)."""
        return self.model_dump_json(indent=indent)


class SeekerCost(_Frozen):
    """What one seeker's arrangements cost, against the allowance."""

    seeker: str
    name: str
    partnerships: int
    assignments: int
    fee: float
    allowance: float | None = None
    within_allowance: bool | None = None


def add_months(day: dt.date, months: int) -> dt.date:
    """Return *day* moved by whole *months*, kept within the month.

    The 31 January plus one month is the 28 (or 29) February.

    Parameters
    ----------
    day
        The date.
    months
        Months to add (may be negative).

    Returns
    -------
    datetime.date
        The same day of the month, or the month's last day if shorter.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def term_length(start: dt.date, end: dt.date) -> tuple[int, int]:
    """Return the length of a term from *start* to *end*, both included.

    A term of *m* whole months ends the day before *start* plus *m*
    months ([`add_months`][buddymatch.terms_model.add_months]), so 1 June 2025
    to 30 September 2026 is 16
    months; what runs past the last whole month is counted in days.

    Parameters
    ----------
    start, end
        First and last day; *end* not before *start*.

    Returns
    -------
    tuple of int
        ``(months, days)``: the most whole months that fit, then the days
        left over (0 when the term is whole months).
    """
    day = dt.timedelta(days=1)
    # An upper estimate from the calendar months touched, then down until
    # the whole months end on or before *end* (at most two steps).
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    while months > 0 and add_months(start, months) - day > end:
        months -= 1
    days = (end - (add_months(start, months) - day)).days
    return months, days


def _within(fees: float, allowance: float | None) -> bool | None:
    if allowance is None:
        return None
    # Money is compared to the penny, as the engine does.
    return fees <= allowance + 0.005


def terms_for(
    result: Result,
    partnership: Partnership,
    policy: Policy | None = None,
    *,
    start: dt.date | None = None,
    area_starts: Mapping[str, dt.date] | None = None,
    review_every_months: int = REVIEW_EVERY_MONTHS,
    notice_months: int = NOTICE_MONTHS,
) -> Terms:
    """Draft the terms of reference of one partnership of *result*.

    Parameters
    ----------
    result
        The proposal the partnership belongs to.
    partnership
        One of ``result.partnerships``.
    policy
        Tiers (months), allowance and start date; default
        ``result.policy``.
    start
        Start of every area without its own; default the policy's
        ``start_date``, else today.
    area_starts
        Area -> start, for areas already running (e.g. kept when
        re-matching).
    review_every_months
        Months between joint reviews.
    notice_months
        Months of written notice to end the arrangement.

    Returns
    -------
    Terms
        The draft terms.

    Raises
    ------
    ValueError
        If the partnership has no assignments in *result*, or a month
        count is not positive.
    """
    if review_every_months < 1 or notice_months < 1:
        raise ValueError("review and notice periods must be at least 1 month")
    policy = policy or result.policy
    begin = start or policy.effective_start()
    own_starts = area_starts or {}
    mine = sorted(
        (
            a
            for a in result.assignments
            if a.seeker == partnership.seeker and a.buddy == partnership.buddy
        ),
        key=lambda a: a.area,
    )
    if not mine:
        raise ValueError(
            f"partnership {partnership.seeker}-{partnership.buddy} has no "
            "assignments in the result"
        )
    areas: list[AreaTerms] = []
    for a in mine:
        tier = policy.tiers.get(a.tier)
        months = tier.months if tier is not None else partnership.months
        area_start = own_starts.get(a.area, begin)
        areas.append(
            AreaTerms(
                area=a.area,
                tier=a.tier,
                workload=a.workload,
                months=months,
                start=area_start,
                end=add_months(area_start, months) - dt.timedelta(days=1),
                fee=a.fee,
            )
        )
    first = min(x.start for x in areas)
    last = max(x.end for x in areas)
    reviews: list[Review] = []
    step = 1
    while (when := add_months(first, step * review_every_months)) < last:
        reviews.append(Review(date=when))
        step += 1
    reviews.append(Review(date=last, final=True))
    seeker = Party(
        id=partnership.seeker,
        name=result.trust_name(partnership.seeker),
        role="seeker",
    )
    buddy = Party(
        id=partnership.buddy,
        name=result.trust_name(partnership.buddy),
        role="buddy",
    )
    workload = sum(x.workload for x in areas)
    seeker_fees = sum(
        (a.fee for a in result.assignments if a.seeker == seeker.id), 0.0
    )
    allowance = policy.cost_neutral_allowance
    months, days = term_length(first, last)
    return Terms(
        seeker=seeker,
        buddy=buddy,
        areas=tuple(areas),
        workload=workload,
        fee=sum((x.fee for x in areas), 0.0),
        months=months,
        days=days,
        start=first,
        end=last,
        reviews=tuple(reviews),
        coordination=_coordination(seeker, buddy, workload),
        termination=_termination(notice_months),
        seeker_fees=seeker_fees,
        allowance=allowance,
        within_allowance=_within(seeker_fees, allowance),
    )


def _coordination(
    seeker: Party, buddy: Party, workload: int
) -> tuple[str, ...]:
    """Who coordinates, after what the review found worked."""
    lines = [
        f"{seeker.name} ({seeker.id}) stays responsible for its own "
        "improvement: its board remains accountable, and its chief "
        "executive, or an executive the board names, leads the "
        "arrangement on its side.",
        f"{buddy.name} ({buddy.id}) names a lead for the arrangement (in "
        "the review, chief executives, chairs and trust secretaries "
        "coordinated most schemes) and keeps the agreed workload of "
        f"{workload} unit{'' if workload == 1 else 's'} within its "
        "capacity.",
        "The two boards meet face to face at the start to agree the work "
        "programme and what it can realistically achieve; within these "
        "terms the trusts shape the work themselves (local discretion).",
    ]
    if workload >= PROJECT_MANAGER_WORKLOAD:
        lines.append(
            "Each trust names a project manager for the work programme, "
            "which the review found 'a logical progression' where the "
            "work programme is extensive."
        )
    lines.append(
        "The regulators are kept informed of the reviews but do not "
        "coordinate the arrangement."
    )
    return tuple(lines)


def _termination(notice_months: int) -> str:
    period = (
        "one month's" if notice_months == 1 else f"{notice_months} months'"
    )
    return (
        f"Either trust may end this arrangement by {period} written notice "
        "to the other, after a joint review of whether it is working: the "
        "review found that all parties should have the discretion to "
        "terminate arrangements that turn out to be a poor fit or are "
        "proving unproductive. An ended arrangement is recorded as ended "
        "in the arrangements file, and the pair is not proposed again. "
        "(The notice period is a template default.)"
    )


def seeker_costs(
    result: Result,
    policy: Policy | None = None,
    *,
    extra: Mapping[str, float] | None = None,
) -> list[SeekerCost]:
    """Return each seeker's fees, against the cost-neutral allowance.

    Parameters
    ----------
    result
        The proposal.
    policy
        For ``cost_neutral_allowance``; default ``result.policy``.
    extra
        Seeker -> further fees to count (e.g. arrangements kept outside
        the model when re-matching).

    Returns
    -------
    list of SeekerCost
        One per seeker named by the result (assigned, unmet or in
        *extra*), sorted by id.
    """
    policy = policy or result.policy
    more = extra or {}
    allowance = policy.cost_neutral_allowance
    seekers: Sequence[str] = sorted(
        {a.seeker for a in result.assignments}
        | {u.seeker for u in result.unmet}
        | set(more)
    )
    out: list[SeekerCost] = []
    for seeker in seekers:
        mine = [a for a in result.assignments if a.seeker == seeker]
        fee = sum((a.fee for a in mine), 0.0) + more.get(seeker, 0.0)
        out.append(
            SeekerCost(
                seeker=seeker,
                name=result.trust_name(seeker),
                partnerships=len({a.buddy for a in mine}),
                assignments=len(mine),
                fee=fee,
                allowance=allowance,
                within_allowance=_within(fee, allowance),
            )
        )
    return out
