"""The explanations, as plain data (Pydantic, frozen, JSON-serialisable).

Every explanation carries both the numbers (for services) and ``words``
(for people).  Re-solved proposals behind an explanation (a pinned pair, a
relaxed policy) are kept on the Python object for checking, but are left
out of the JSON form, which stays small.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from buddymatch.result import (
    Coverage,
    Result,
    Status,
    UnmetNeed,
    UnmetReason,
)
from buddymatch.rules import LimitName, RoomLimitName


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json(self, indent: int | None = 2) -> str:
        """Return the explanation as JSON text."""
        return self.model_dump_json(indent=indent)

    def to_dict(self) -> dict[str, Any]:
        """Return the explanation as plain JSON-compatible data."""
        data: dict[str, Any] = json.loads(self.to_json(indent=None))
        return data


TermName = Literal[
    "expertise",
    "culture",
    "travel",
    "preferred",
    "prior",
    "override",
    "partnership",
]


class Term(_Frozen):
    """One term of a score, in points and in a person's units.

    Attributes
    ----------
    name
        ``expertise``, ``culture``, ``travel``, ``preferred``, ``prior``,
        ``override`` (a user-supplied score replacing the five before) or
        ``partnership`` (the partnership cost this assignment adds).
    points
        What the term adds to the objective.
    value
        The term in its own units: expertise level 0-5, culture fit 0-1,
        travel minutes, 1/0 for a relation, the user score; ``None`` for
        the partnership term.
    words
        The term in plain English.
    """

    name: TermName
    points: float
    value: float | None
    words: str


AlternativeReason = Literal[
    "also_assigned",
    RoomLimitName,
    "pinned",
    "lower_score",
    "equal_score",
    "not_found",
]


class Alternative(_Frozen):
    """Another buddy that could serve the same need, and why it does not.

    Attributes
    ----------
    buddy
        The alternative buddy's id.
    score
        Its pair score for the need.
    net
        Its score less the partnership cost it would add, if it took the
        chosen buddy's place.
    difference
        ``net`` minus the chosen buddy's net (negative: worse).
    reason
        Why it was not chosen, checked in this order: ``also_assigned``
        (it serves this need already), ``capacity`` (its capacity goes to
        other needs), ``max_partners`` (it would exceed its partner limit),
        ``max_buddies_per_seeker`` (the seeker would exceed its buddy
        limit), ``pinned`` (a pin holds the chosen buddy), ``lower_score``,
        ``equal_score`` (a tie), ``not_found`` (better and free, but the
        search stopped before finding it: the result is not proven
        optimal).
    words
        The reason in plain English, with the data.
    terms
        Its score terms.
    """

    buddy: str
    score: float
    net: float
    difference: float
    reason: AlternativeReason
    words: str
    terms: tuple[Term, ...]


class AssignmentExplanation(_Frozen):
    """Why this buddy serves this need.

    Attributes
    ----------
    seeker, area, tier, buddy
        The assignment.
    score
        Its pair score.
    net
        Score less the partnership cost this assignment adds (the cost
        when it is the partnership's only area, else 0).
    terms
        The score by term, the partnership term last.
    pinned
        A pin holds this assignment in place.
    candidates
        How many buddies pass the hard rules for the need.
    alternatives
        The best other candidates, best first.
    words
        One sentence for people.
    """

    seeker: str
    area: str
    tier: str
    buddy: str
    score: float
    net: float
    terms: tuple[Term, ...]
    pinned: bool
    candidates: int
    alternatives: tuple[Alternative, ...]
    words: str


class Move(_Frozen):
    """An assignment (seeker, area, buddy) that appears or disappears."""

    seeker: str
    area: str
    buddy: str


class NeedRef(_Frozen):
    """A need, by seeker and area, with its priority."""

    seeker: str
    area: str
    priority: int


MemberKind = Literal["pin", "hard_rule", LimitName]


class CoreMember(_Frozen):
    """One rule of a conflict.

    Attributes
    ----------
    kind
        ``pin``; ``hard_rule`` (a hard pair rule that rules out a pinned
        pair, ``rule`` giving its code); ``capacity``, ``max_partners``
        (a buddy's limits); ``max_buddies_per_seeker``; ``budget``.
    seeker, area, buddy
        Who the rule is about, where it is about someone.
    limit
        The limit (units, partners, buddies, pounds), where there is one.
    rule
        For ``hard_rule``: the rule's code (``too_close``, ``veto`` …).
    words
        The rule in plain English.
    """

    kind: MemberKind
    seeker: str | None = None
    area: str | None = None
    buddy: str | None = None
    limit: float | None = None
    rule: str | None = None
    words: str


class Infeasibility(_Frozen):
    """Why the pins and forced rules cannot all hold.

    Attributes
    ----------
    status
        ``infeasible`` (``members`` name a conflict) or ``unknown`` (no
        conflict was isolated within the time limit).
    members
        A set of rules that cannot hold together.
    minimal
        Without any one member, the others can hold.
    context
        Rules that always hold and take part in the conflict (a need is
        met by exactly its number of buddies, each with the tier's
        workload and fee).
    also
        Further conflicts found on the way (other pins that cannot hold).
    words
        A summary for people.
    """

    status: Literal["infeasible", "unknown"]
    members: tuple[CoreMember, ...] = ()
    minimal: bool = False
    context: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    words: str


PairStatus = Literal["assigned", "excluded", "cannot_cover", "allowed"]


class PairExplanation(_Frozen):
    """Why a buddy does (or does not) serve a need, and what it would cost.

    Attributes
    ----------
    seeker, area, buddy
        The pair asked about.
    status
        ``assigned`` (the proposal has it), ``excluded`` (a hard pair rule
        rules it out: ``rule``), ``cannot_cover`` (it passes the pair rules
        but the need has fewer candidates than the buddies it needs) or
        ``allowed`` (it could be chosen: see the re-solve with it pinned).
    rule
        The first hard rule excluding the pair (a code of
        `buddymatch.candidates.REASONS`).
    words
        The answer in plain English, with the data.
    assignment
        For an assigned pair: why this buddy.
    pinned_status
        For an allowed pair: the status of the re-solve with it pinned.
    objective_before, objective_after, objective_change
        Quality points without and with the pin, and the change.
    added, removed
        Assignments the pin brings in and pushes out (the pair itself
        among the added).
    newly_met, newly_unmet
        Needs whose cover the pin changes.
    infeasibility
        When the pinned re-solve is infeasible: the conflict.
    pinned_result
        The re-solved proposal (not serialised).
    """

    seeker: str
    area: str
    buddy: str
    status: PairStatus
    rule: str | None = None
    words: str
    assignment: AssignmentExplanation | None = None
    pinned_status: Status | None = None
    objective_before: float | None = None
    objective_after: float | None = None
    objective_change: float | None = None
    added: tuple[Move, ...] = ()
    removed: tuple[Move, ...] = ()
    newly_met: tuple[NeedRef, ...] = ()
    newly_unmet: tuple[NeedRef, ...] = ()
    infeasibility: Infeasibility | None = None
    pinned_result: Result | None = Field(default=None, exclude=True)


FunnelStepName = Literal[
    "trusts",
    "expertise",
    "service",
    "travel",
    "conflicts",
    "culture",
    "workload",
    "capacity",
    "budget",
]


class FunnelStep(_Frozen):
    """How many buddies are left for a need after one rule.

    Attributes
    ----------
    step
        ``trusts`` (every other trust), ``expertise``, ``service``,
        ``travel``, ``conflicts``, ``culture``, ``workload`` (buddies
        whose whole capacity can take the pair's workload at all),
        ``capacity`` (room left by the rest of the proposal, together
        within the seeker's buddy limit), ``budget`` (only with a
        budget).
    rules
        The rule codes the step applies.
    remaining
        Buddies left after this step.
    removed
        Buddies this step removes.
    examples
        Up to three of the removed, with the data (at ``capacity``, first
        a line for the seeker's buddy limit when it lets fewer join
        together than have room one by one).
    """

    step: FunnelStepName
    rules: tuple[str, ...]
    remaining: int
    removed: int
    examples: tuple[str, ...] = ()


class Relaxation(_Frozen):
    """A one-parameter policy change, confirmed by a re-solve to cover a
    need.

    Attributes
    ----------
    parameter
        The policy field.
    current, proposed
        Its value now and the smallest change found that covers the need.
    words
        e.g. ``max_travel_minutes 150 → 175 covers it``.
    buddies
        Who serves the need in the re-solve.
    newly_unmet
        Needs met now but left unmet by the re-solve (the price).
    result
        The re-solved proposal (not serialised).
    """

    parameter: str
    current: float | bool | None
    proposed: float | bool | None
    words: str
    buddies: tuple[str, ...]
    newly_unmet: tuple[NeedRef, ...] = ()
    result: Result | None = Field(default=None, exclude=True)


class UnmetExplanation(_Frozen):
    """Why a need is unmet: the funnel of rules, and what would cover it.

    Attributes
    ----------
    seeker, area, tier, priority, buddies
        The need.
    reason
        The result's reason code.
    funnel
        Buddies left after each rule, in order.
    bottleneck
        The first step that leaves fewer buddies than the need takes, or
        ``None`` when every step leaves enough (then the proposal as it
        stands has room for the need, and it was not proven impossible).
    words
        The answer in plain English.
    relaxations
        Confirmed one-parameter policy changes that cover the need.
    tried
        Changes tried that did not cover it.
    """

    seeker: str
    area: str
    tier: str
    priority: int
    buddies: int
    reason: UnmetReason
    funnel: tuple[FunnelStep, ...]
    bottleneck: FunnelStepName | None
    words: str
    relaxations: tuple[Relaxation, ...] = ()
    tried: tuple[str, ...] = ()


class ResultExplanation(_Frozen):
    """Every explanation of a result.

    Attributes
    ----------
    status
        The result's status.
    objective
        The result's quality points.
    names
        Trust id -> display name, for every trust named.
    assignments
        Why each buddy, by seeker, area and buddy.
    unmet
        Why each unmet need.
    infeasibility
        For an infeasible result: the conflict.
    notes
        Anything else a reader should know (e.g. a proposal that is not
        proven optimal).
    """

    status: Status
    objective: float | None = None
    names: dict[str, str] = Field(default_factory=dict)
    assignments: tuple[AssignmentExplanation, ...] = ()
    unmet: tuple[UnmetExplanation, ...] = ()
    infeasibility: Infeasibility | None = None
    notes: tuple[str, ...] = ()

    def name(self, trust_id: str) -> str:
        """Return the display name of *trust_id* (the id if unknown)."""
        return self.names.get(trust_id) or trust_id

    def partnerships(
        self,
    ) -> list[tuple[tuple[str, str], list[AssignmentExplanation]]]:
        """Group the assignment explanations by (seeker, buddy), sorted."""
        groups: dict[tuple[str, str], list[AssignmentExplanation]] = {}
        for a in self.assignments:
            groups.setdefault((a.seeker, a.buddy), []).append(a)
        return sorted(groups.items())


class ResultSummary(_Frozen):
    """A proposal in brief: its cover, its size and its unmet needs.

    Made by [explain_summary][buddymatch.explain.explain_summary] from the
    result alone, without a re-solve, so it costs next to nothing; the
    explanations behind each line come on request (of one need, one pair,
    one buddy, or all of them).

    Attributes
    ----------
    status
        The result's status.
    coverage
        Needs covered per priority (most urgent first), each with its
        proven bound.
    objective, bound, gap
        The result's quality points, their proven bound and the gap.
    needs, met
        Needs in the problem, and needs the proposal meets.
    seekers, seekers_all_met
        Seekers, and seekers with every need met.
    assignments, partnerships, pinned
        Assignments, partnerships, and assignments a pin holds.
    buddies, buddies_full
        Buddies the proposal uses, and how many of them have no capacity
        left.
    total_fee, budget
        The fees of the proposal, and the policy's budget (``None``: no
        budget).
    unmet
        The unmet needs, most urgent first, each with the result's reason
        in words (``detail``).
    infeasibility
        For an infeasible result: the result's words on the conflict.
    notes
        Anything else a reader should know (a proposal not proven
        optimal, no proposal yet).
    names
        Trust id -> display name, for every trust named.
    """

    status: Status
    coverage: tuple[Coverage, ...] = ()
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    needs: int = 0
    met: int = 0
    seekers: int = 0
    seekers_all_met: int = 0
    assignments: int = 0
    partnerships: int = 0
    pinned: int = 0
    buddies: int = 0
    buddies_full: int = 0
    total_fee: float = 0.0
    budget: float | None = None
    unmet: tuple[UnmetNeed, ...] = ()
    infeasibility: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    names: dict[str, str] = Field(default_factory=dict)

    def name(self, trust_id: str) -> str:
        """Return the display name of *trust_id* (the id if unknown)."""
        return self.names.get(trust_id) or trust_id


class BuddyOpening(_Frozen):
    """An unmet need a buddy passes the hard rules for, and why the
    proposal does not give it that buddy.

    Attributes
    ----------
    seeker, area, priority
        The need.
    limit
        The limit that leaves the buddy no room for it (``capacity``,
        ``max_partners``, ``max_buddies_per_seeker``), or ``None`` when
        the buddy has room and the need stays unmet for its own reason.
    words
        The answer in plain English, with the data.
    """

    seeker: str
    area: str
    priority: int
    limit: RoomLimitName | None = None
    words: str


class BuddyExplanation(_Frozen):
    """What one buddy does in a proposal, and the room it has left.

    Attributes
    ----------
    buddy
        The trust's id.
    capacity, used, left
        Its capacity in workload units, the units the proposal uses, and
        the units left.
    partners
        The seekers it supports, by id.
    partner_limit
        Its limit of distinct seekers (``None``: no limit).
    candidate_needs
        Needs it passes the hard rules for.
    excluded
        For every other need, the first hard rule that excludes it:
        rule code -> needs.
    serves
        Why it serves each need it serves (by seeker and area).
    openings
        Unmet needs it passes the hard rules for, and why it does not
        serve them.
    words
        A summary for people.
    names
        Trust id -> display name, for every trust named.
    """

    buddy: str
    capacity: int
    used: int
    left: int
    partners: tuple[str, ...] = ()
    partner_limit: int | None = None
    candidate_needs: int = 0
    excluded: dict[str, int] = Field(default_factory=dict)
    serves: tuple[AssignmentExplanation, ...] = ()
    openings: tuple[BuddyOpening, ...] = ()
    words: str
    names: dict[str, str] = Field(default_factory=dict)

    def name(self, trust_id: str) -> str:
        """Return the display name of *trust_id* (the id if unknown)."""
        return self.names.get(trust_id) or trust_id
