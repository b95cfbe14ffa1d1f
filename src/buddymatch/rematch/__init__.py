"""Re-matching: keep what is running, ban what has ended, propose the rest.

The review found that "all parties should have the discretion to terminate
arrangements that turn out to be a poor fit or are proving unproductive",
and that arrangements run for months or years.  A proposal is therefore
rarely made from scratch: :func:`rematch` takes the arrangements in place
(``arrangements.csv``: ``seeker, area, buddy, status[, start]``) and
proposes on top of them, changing as little as possible.

It works by transforming the problem, never the engine
(``docs/rematch.md`` has the details):

* an **ended** arrangement vetoes its seeker-buddy pair in *every* area: the
  review's termination is of a partnership that turned out a poor fit, not
  of one area's work;
* an **ongoing** arrangement that is still a candidate becomes a pin
  (``keep_ongoing = "pinned"``) or gets its score raised by
  ``disruption_cost`` (``"soft"``: dropping it then costs exactly that);
* an ongoing arrangement the engine cannot hold as a pin (one that now
  breaks a rule, or that serves only part of a need) is kept *outside* the
  model: its workload, partner, fee and buddy counts are taken off the
  buddy's capacity, the partner limits and the budget, and its need asks
  for that many fewer buddies.  One that breaks a rule is flagged with the
  rule, in words.

The answer, a :class:`RematchResult`, is a diff: kept, new, ended, dropped
(soft mode only) and unmet, with the engine's :class:`Result` for the
transformed problem, which :func:`~buddymatch.verify.verify` checks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from buddymatch.arrangement import (
    ARRANGEMENT_COLUMNS,
    Arrangement,
    Frozen,
    arrangement_issues,
)
from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.errors import InputError, InputProblem
from buddymatch.escape import md_escape
from buddymatch.io import spreadsheet_safe, write_text_atomic
from buddymatch.model import (
    Issue,
    Need,
    PairOverride,
    Policy,
    Problem,
    Relation,
    Trust,
)
from buddymatch.result import (
    Coverage,
    Result,
    Status,
    UnmetNeed,
    assignment_reason,
)
from buddymatch.scoring import SCORE_DECIMALS
from buddymatch.solvers import DEFAULT_TIME_LIMIT, propose
from buddymatch.solvers.settings import ProgressCallback
from buddymatch.terms import add_months
from buddymatch.travel import TravelModel

__all__ = [
    "ARRANGEMENT_COLUMNS",
    "CHANGE_COLUMNS",
    "Arrangement",
    "Change",
    "Flag",
    "RematchResult",
    "arrangement_issues",
    "change_rows",
    "rematch",
    "render_rematch_markdown",
    "write_rematch",
]

ChangeKind = Literal["kept", "new", "ended", "dropped"]
#: How a kept arrangement was kept: as a pin, by the solver's choice (soft
#: mode), or outside the model (it breaks a rule, or serves part of a need).
KeptHow = Literal["pinned", "soft", "outside"]

#: Columns of the re-matching diff CSV (:func:`change_rows`).
CHANGE_COLUMNS: tuple[str, ...] = (
    "change",
    "seeker",
    "seeker_name",
    "area",
    "tier",
    "buddy",
    "buddy_name",
    "workload",
    "fee",
    "start",
    "kept_as",
    "flags",
    "note",
)

# Where arrangements given in Python (not read from a file) are said to be.
_SOURCE = "<arrangements>"
# Money is compared to the penny, as the engine does (fees in whole pence).
_PENNY = 0.005


def _raise_issues(issues: Sequence[Issue]) -> None:
    if issues:
        raise InputError(
            InputProblem(
                _SOURCE,
                ".".join(str(p) for p in issue.path[:2]),
                str(issue.path[2]) if len(issue.path) > 2 else None,
                issue.message,
                issue.fix,
            )
            for issue in issues
        )


# ---------------------------------------------------------------------------
# The answer
# ---------------------------------------------------------------------------


class Flag(Frozen):
    """A rule a kept arrangement now breaks.

    ``rule`` is a candidate exclusion code (``too_close``, ``veto`` ...) or
    one of ``capacity``, ``max_partners``, ``max_buddies_per_seeker``,
    ``budget``, ``coverage``; ``detail`` says it in words.
    """

    rule: str
    detail: str


class Change(Frozen):
    """One line of the re-matching diff.

    Attributes
    ----------
    kind
        ``kept`` (ongoing, continues), ``new`` (proposed now), ``ended``
        (ended by the parties; the pair is banned) or ``dropped`` (ongoing,
        released by the solver in soft mode).
    tier, workload, fee
        The need's tier and what the assignment costs (``None``/0 for an
        ended arrangement whose need is gone).
    start
        When it started (kept and ended: as given; new: ``None``).
    kept_as
        For kept arrangements: ``pinned``, ``soft`` or ``outside``.
    flags
        Rules a kept arrangement now breaks (kept anyway).
    note
        Why, in words.
    disruption
        For a dropped arrangement, the disruption cost in points.
    """

    kind: ChangeKind
    seeker: str
    seeker_name: str
    area: str
    tier: str | None
    buddy: str
    buddy_name: str
    workload: int = 0
    fee: float = 0.0
    start: dt.date | None = None
    kept_as: KeptHow | None = None
    flags: tuple[Flag, ...] = ()
    note: str = ""
    disruption: float = 0.0


class RematchResult(Frozen):
    """The outcome of a re-matching, as a diff against what is in place.

    Attributes
    ----------
    status
        The engine's status on the transformed problem.
    result
        The engine's result for :attr:`problem` (under ``result.policy``,
        the transformed policy): :func:`~buddymatch.verify.verify` checks
        ``verify(rm.problem, rm.result.policy, rm.result)``.  It holds the
        new assignments and the ongoing ones kept as pins or by choice;
        arrangements kept outside the model are in :attr:`kept` only.
    kept, new, ended, dropped
        The diff (see :class:`Change`), each sorted by seeker, area, buddy.
    unmet
        Needs without (enough) buddies, with the buddies the *original*
        need asks for.
    coverage
        Needs covered per priority, over the original needs (a need served
        by ongoing arrangements kept outside the model counts as covered).
    total_fee
        Fees of every assignment in force after the re-match: the result's
        plus those of arrangements kept outside the model.
    disruption
        Disruption cost of the dropped arrangements, in points.
    budget
        The policy's budget, which ``total_fee`` stays within unless
        ongoing arrangements alone already exceed it (then flagged).
    notes
        What the transformation did, in words (capacity taken off, pins
        set aside, re-solves).
    problem
        The transformed problem the engine solved (not in the JSON form).
    """

    status: Status
    result: Result
    kept: tuple[Change, ...] = ()
    new: tuple[Change, ...] = ()
    ended: tuple[Change, ...] = ()
    dropped: tuple[Change, ...] = ()
    unmet: tuple[UnmetNeed, ...] = ()
    coverage: tuple[Coverage, ...] = ()
    total_fee: float = 0.0
    disruption: float = 0.0
    budget: float | None = None
    notes: tuple[str, ...] = ()
    problem: Problem = Field(exclude=True)

    @property
    def flagged(self) -> tuple[Change, ...]:
        """Kept arrangements that now break a rule."""
        return tuple(c for c in self.kept if c.flags)

    def is_feasible(self) -> bool:
        """Return whether the engine found a proposal."""
        return self.result.is_feasible()

    def all_met(self) -> bool:
        """Return whether there is a proposal and every need is met."""
        return self.is_feasible() and not self.unmet

    def arrangements(
        self, start: dt.date | None = None
    ) -> list[Arrangement]:
        """Return the arrangements in place once this re-match is agreed.

        Kept ones stay ongoing with their own start; new ones become
        ongoing from *start* (default: the policy's start date, else
        today); ended ones stay ended, so their pairs stay banned.
        Dropped ones (soft mode) are left out: the solver released them,
        the parties did not end them for poor fit, so they are not banned.

        Parameters
        ----------
        start
            Start date of the new arrangements.

        Returns
        -------
        list of Arrangement
            Kept, new, then ended, each sorted by seeker, area, buddy.
        """
        begin = start or self.result.policy.effective_start()
        rows = [
            Arrangement(
                seeker=c.seeker,
                area=c.area,
                buddy=c.buddy,
                status="ongoing",
                start=c.start,
            )
            for c in self.kept
        ]
        rows += [
            Arrangement(
                seeker=c.seeker,
                area=c.area,
                buddy=c.buddy,
                status="ongoing",
                start=begin,
            )
            for c in self.new
        ]
        rows += [
            Arrangement(
                seeker=c.seeker,
                area=c.area,
                buddy=c.buddy,
                status="ended",
                start=c.start,
            )
            for c in self.ended
        ]
        return rows

    def to_json(self, indent: int | None = 2) -> str:
        """Return the re-match as JSON (without the transformed problem)."""
        return self.model_dump_json(indent=indent)

    def to_dict(self) -> dict[str, Any]:
        """Return the re-match as plain JSON-compatible data."""
        data: dict[str, Any] = json.loads(self.to_json(indent=None))
        return data

    def summary(self) -> str:
        """Return a short plain-text summary of the diff."""
        lines = [f"status: {self.status}"]
        if self.coverage:
            lines.append(
                "needs covered: "
                + ", ".join(
                    f"priority {c.priority}: {c.covered}/{c.total}"
                    for c in self.coverage
                )
            )
        flagged = len(self.flagged)
        kept = f"{len(self.kept)} kept"
        if flagged:
            kept += f" ({flagged} flagged)"
        parts = [kept, f"{len(self.new)} new", f"{len(self.ended)} ended"]
        if self.dropped:
            parts.append(
                f"{len(self.dropped)} dropped (disruption "
                f"{self.disruption:g} points)"
            )
        parts.append(f"{len(self.unmet)} unmet")
        lines.append("arrangements: " + ", ".join(parts))
        money = f"total fees {self.total_fee:,.0f}"
        if self.budget is not None:
            money += f" (budget {self.budget:,.0f})"
        lines.append(money)
        lines.extend(f"infeasible: {why}" for why in self.result.infeasibility)
        return "\n".join(lines)

    def __str__(self) -> str:
        out = [self.summary()]
        for c in (*self.kept, *self.new, *self.ended, *self.dropped):
            label = c.kind.upper()
            how = f" ({c.kept_as})" if c.kept_as else ""
            out.append(
                f"  {label:7} {c.seeker} {c.area} <- {c.buddy}{how}"
                + (f": {c.note}" if c.note else "")
            )
            out.extend(
                f"          FLAG {f.rule}: {f.detail}" for f in c.flags
            )
        for u in self.unmet:
            out.append(
                f"  UNMET   {u.seeker} {u.area} ({u.reason}) {u.detail}"
            )
        out.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(out)


# ---------------------------------------------------------------------------
# Planning: from arrangements to a transformed problem
# ---------------------------------------------------------------------------


@dataclass
class _Ongoing:
    """An ongoing arrangement and how the transformation treats it."""

    order: int  # position among the arrangements given
    item: Arrangement
    need: Need
    workload: int
    fee: float
    position: int | None  # candidate position in the original set
    flags: list[Flag] = field(default_factory=list)
    kept_as: KeptHow = "pinned"
    note: str = ""

    @property
    def triple(self) -> tuple[str, str, str]:
        return (self.item.seeker, self.item.area, self.item.buddy)


@dataclass
class _Plan:
    problem: Problem
    policy: Policy
    ongoing: list[_Ongoing]
    served: dict[tuple[str, str], int]  # need -> buddies kept outside
    notes: list[str]
    # Seeker -> buddies it keeps whatever the proposal (outside the model,
    # pinned in it, or pinned by the user's own relations).
    fixed: dict[str, set[str]]
    outside_buddies: dict[str, set[str]]


def _partner_limit(trust: Trust, policy: Policy) -> int | None:
    if trust.max_partners is not None:
        return trust.max_partners
    return policy.max_partners


def _describe_ongoing(
    problem: Problem,
    policy: Policy,
    original: CandidateSet,
    arrangements: Sequence[Arrangement],
) -> list[_Ongoing]:
    """Return the ongoing arrangements, oldest first, with pair-rule flags.

    Oldest first (unknown starts first, then file order): when ongoing
    arrangements together overrun a limit, the later ones are flagged.
    """
    canonical = original.problem
    need_at = {(n.seeker, n.area): i for i, n in enumerate(canonical.needs)}
    trust_at = {t.id: j for j, t in enumerate(canonical.trusts)}
    workloads = {
        (o.seeker, o.area, o.buddy): o.workload
        for o in problem.overrides
        if o.workload is not None
    }
    listed = [
        (i, a) for i, a in enumerate(arrangements) if a.status == "ongoing"
    ]
    listed.sort(key=lambda pair: (pair[1].start or dt.date.min, pair[0]))
    out: list[_Ongoing] = []
    for order, item in listed:
        n = need_at[(item.seeker, item.area)]
        need = canonical.needs[n]
        j = trust_at[item.buddy]
        position = original.position(n, j)
        tier = policy.tiers[need.tier]
        if position is not None:
            workload = int(original.workload[position])
        else:
            workload = workloads.get(
                (item.seeker, item.area, item.buddy), tier.workload
            )
        entry = _Ongoing(
            order, item, need, workload, tier.fee, position
        )
        exclusion = original.exclusion(n, j)
        if exclusion is not None:
            entry.flags.append(Flag(rule=exclusion[0], detail=exclusion[1]))
        out.append(entry)
    return out


def _flag_overruns(
    problem: Problem, policy: Policy, ongoing: Sequence[_Ongoing]
) -> None:
    """Flag pinned arrangements that together overrun a coupling rule.

    Taken oldest first; each is counted whether flagged or not (it is kept
    either way), so the ones that tip a buddy, a seeker or the budget over
    its limit are the ones flagged.
    """
    trusts = {t.id: t for t in problem.trusts}
    used: Counter[str] = Counter()
    partners: dict[str, set[str]] = {}
    buddies: dict[str, set[str]] = {}
    spent = 0.0
    seeker_limit = policy.max_buddies_per_seeker
    for entry in ongoing:
        seeker, buddy = entry.item.seeker, entry.item.buddy
        trust = trusts[buddy]
        mine = partners.setdefault(buddy, set())
        theirs = buddies.setdefault(seeker, set())
        if not entry.flags:
            if used[buddy] + entry.workload > trust.capacity:
                entry.flags.append(
                    Flag(
                        rule="capacity",
                        detail=f"{buddy} would carry "
                        f"{used[buddy] + entry.workload} workload units, "
                        f"above its capacity of {trust.capacity}",
                    )
                )
            limit = _partner_limit(trust, policy)
            if seeker not in mine and limit is not None and len(mine) >= limit:
                entry.flags.append(
                    Flag(
                        rule="max_partners",
                        detail=f"{buddy} would support {len(mine) + 1} "
                        f"seekers, above its limit of {limit}",
                    )
                )
            if (
                buddy not in theirs
                and seeker_limit is not None
                and len(theirs) >= seeker_limit
            ):
                entry.flags.append(
                    Flag(
                        rule="max_buddies_per_seeker",
                        detail=f"{seeker} would have {len(theirs) + 1} "
                        f"buddies, above max_buddies_per_seeker "
                        f"{seeker_limit}",
                    )
                )
            if (
                policy.budget is not None
                and spent + entry.fee > policy.budget + _PENNY
            ):
                entry.flags.append(
                    Flag(
                        rule="budget",
                        detail=f"ongoing fees would reach "
                        f"{spent + entry.fee:,.2f}, above the budget of "
                        f"{policy.budget:,.2f}",
                    )
                )
        used[buddy] += entry.workload
        mine.add(seeker)
        theirs.add(buddy)
        spent += entry.fee


def _place(
    policy: Policy, ongoing: Sequence[_Ongoing]
) -> None:
    """Decide which arrangements the model holds and which stay outside.

    Pinned mode pins a need's ongoing arrangements only when they serve it
    exactly (as many as the need's buddies, none flagged): a pin on part of
    a need would force the engine to find the rest or fail altogether.
    Soft mode holds every unflagged one; the solver may drop it.
    """
    by_need: dict[tuple[str, str], list[_Ongoing]] = {}
    for entry in ongoing:
        by_need.setdefault((entry.need.seeker, entry.need.area), []).append(
            entry
        )
    for group in by_need.values():
        wanted = group[0].need.buddies
        if policy.keep_ongoing == "soft":
            for entry in group:
                if entry.flags:
                    entry.kept_as = "outside"
                    entry.note = "kept outside the model: it breaks a rule"
                else:
                    entry.kept_as = "soft"
            continue
        if len(group) > wanted:
            for entry in group[wanted:]:
                entry.flags.append(
                    Flag(
                        rule="coverage",
                        detail=f"the need asks for {wanted} "
                        f"{'buddy' if wanted == 1 else 'buddies'} and "
                        f"{len(group)} arrangements are ongoing",
                    )
                )
        flagged = any(e.flags for e in group)
        exact = len(group) == wanted and not flagged
        for entry in group:
            if exact:
                entry.kept_as = "pinned"
                continue
            entry.kept_as = "outside"
            if entry.flags:
                entry.note = "kept outside the model: it breaks a rule"
            elif flagged:
                entry.note = (
                    "kept outside the model with the need's other ongoing "
                    "arrangement, which breaks a rule"
                )
            else:
                entry.note = (
                    "kept outside the model: the need asks for "
                    f"{wanted} buddies and {len(group)} "
                    f"{'is' if len(group) == 1 else 'are'} ongoing"
                )


def _unpin_zero_capacity(
    problem: Problem, ongoing: Sequence[_Ongoing]
) -> None:
    """Move pins off buddies whose remaining capacity would be 0.

    A trust with capacity 0 is no buddy to the engine, so its pins could
    not hold; this arises only with tiers of workload 0.  Moving a pin out
    moves its whole need out (pins serve needs exactly), so repeat until
    nothing changes.
    """
    capacity = {t.id: t.capacity for t in problem.trusts}
    changed = True
    while changed:
        changed = False
        inside: Counter[str] = Counter()
        outside: Counter[str] = Counter()
        pinned_buddies: set[str] = set()
        for entry in ongoing:
            if entry.kept_as == "pinned":
                inside[entry.item.buddy] += entry.workload
                pinned_buddies.add(entry.item.buddy)
            elif entry.kept_as == "outside":
                outside[entry.item.buddy] += entry.workload
        for buddy in sorted(pinned_buddies):
            left = max(inside[buddy], capacity[buddy] - outside[buddy])
            if left > 0:
                continue
            needs = {
                (e.need.seeker, e.need.area)
                for e in ongoing
                if e.kept_as == "pinned" and e.item.buddy == buddy
            }
            for entry in ongoing:
                key = (entry.need.seeker, entry.need.area)
                if entry.kept_as == "pinned" and key in needs:
                    entry.kept_as = "outside"
                    entry.note = (
                        "kept outside the model: its buddy has no capacity "
                        "left to hold it as a pin"
                    )
                    changed = True


def _plan(
    problem: Problem,
    policy: Policy,
    arrangements: Sequence[Arrangement],
    original: CandidateSet,
) -> _Plan:
    """Transform *problem* and *policy* for the engine (see module doc)."""
    notes: list[str] = []
    ongoing = _describe_ongoing(problem, policy, original, arrangements)
    pinned_mode = policy.keep_ongoing == "pinned"
    if pinned_mode:
        _flag_overruns(problem, policy, ongoing)
    _place(policy, ongoing)
    if pinned_mode:
        _unpin_zero_capacity(problem, ongoing)

    inside = [e for e in ongoing if e.kept_as != "outside"]
    outside = [e for e in ongoing if e.kept_as == "outside"]
    pinned = [e for e in ongoing if e.kept_as == "pinned"]
    pinned_pairs = {(e.item.seeker, e.item.buddy) for e in pinned}

    # -- buddies: capacity and partner limits -------------------------------
    out_load: Counter[str] = Counter()
    in_load: Counter[str] = Counter()
    out_partners: dict[str, set[str]] = {}
    in_partners: dict[str, set[str]] = {}
    for entry in outside:
        out_load[entry.item.buddy] += entry.workload
        # A partner also pinned in the model is counted there already.
        if not pinned_mode or (
            (entry.item.seeker, entry.item.buddy) not in pinned_pairs
        ):
            out_partners.setdefault(entry.item.buddy, set()).add(
                entry.item.seeker
            )
    for entry in pinned:
        in_load[entry.item.buddy] += entry.workload
        in_partners.setdefault(entry.item.buddy, set()).add(
            entry.item.seeker
        )
    trusts: list[Trust] = []
    for trust in problem.trusts:
        changes: dict[str, Any] = {}
        if out_load[trust.id]:
            # Never below what the pins need: a buddy already overrun can
            # take nothing new, but its pins still hold.
            changes["capacity"] = max(
                in_load[trust.id], trust.capacity - out_load[trust.id]
            )
        limit = _partner_limit(trust, policy)
        gone = len(out_partners.get(trust.id, ()))
        if gone and limit is not None:
            changes["max_partners"] = max(
                len(in_partners.get(trust.id, ())), limit - gone
            )
        if changes:
            was = {"capacity": trust.capacity, "max_partners": limit}
            notes.append(
                f"{trust.id}: "
                + " and ".join(
                    f"{name} {was[name]} -> {value}"
                    for name, value in changes.items()
                )
                + " for arrangements kept outside the model"
            )
            trust = Trust.model_validate({**trust.model_dump(), **changes})
        trusts.append(trust)

    # -- needs: what is served outside asks for that many fewer buddies ------
    served: Counter[tuple[str, str]] = Counter(
        (e.need.seeker, e.need.area) for e in outside
    )
    needs: list[Need] = []
    for need in problem.needs:
        key = (need.seeker, need.area)
        left = need.buddies - served[key]
        if served[key] and left <= 0:
            continue  # fully served by arrangements kept outside
        if served[key]:
            need = Need.model_validate({**need.model_dump(), "buddies": left})
        needs.append(need)
    remaining = {(n.seeker, n.area) for n in needs}
    seekers_left = {n.seeker for n in needs}

    # -- relations: ended pairs vetoed, pins for the pinned -----------------
    relations: list[Relation] = []
    outside_buddies: dict[str, set[str]] = {}
    for entry in outside:
        outside_buddies.setdefault(entry.item.seeker, set()).add(
            entry.item.buddy
        )
    for rel in problem.relations:
        if rel.kind == "pinned" and (
            (rel.area is not None and (rel.a, rel.area) not in remaining)
            or (rel.area is None and rel.a not in seekers_left)
        ):
            held = rel.b in outside_buddies.get(rel.a, set())
            scope = f" in {rel.area}" if rel.area else ""
            notes.append(
                f"pin {rel.a} with {rel.b}{scope} set aside: ongoing "
                "arrangements kept outside the model serve "
                + ("it" if rel.area else "every need of the seeker")
                + ("" if held else f", and {rel.b} is not among them")
            )
            continue
        relations.append(rel)
    existing = {(r.kind, r.a, r.b, r.area) for r in relations}
    ended_pairs = list(
        dict.fromkeys(
            (a.seeker, a.buddy) for a in arrangements if a.status == "ended"
        )
    )
    for seeker, buddy in ended_pairs:
        if ("veto", seeker, buddy, None) not in existing:
            relations.append(
                Relation(
                    a=seeker,
                    b=buddy,
                    kind="veto",
                    note="the arrangement ended (arrangements file)",
                )
            )
    for entry in pinned:
        seeker, area, buddy = entry.triple
        if ("pinned", seeker, buddy, area) not in existing:
            relations.append(
                Relation(
                    a=seeker,
                    b=buddy,
                    kind="pinned",
                    area=area,
                    note="ongoing arrangement",
                )
            )

    # -- overrides: soft credit, and no second buddy slot for a kept one ----
    overrides = {
        (o.seeker, o.area, o.buddy): o
        for o in problem.overrides
        if (o.seeker, o.area) in remaining
    }
    capacity_of = {t.id: t.capacity for t in trusts}
    for entry in inside:
        if entry.kept_as != "soft" or entry.position is None:
            continue
        if (entry.need.seeker, entry.need.area) not in remaining:
            continue  # served by arrangements kept outside: released
        # Raising the pair's score by disruption_cost makes dropping it
        # cost exactly that, relative to keeping it.
        given = overrides.get(entry.triple)
        score = round(
            float(original.score[entry.position]) + policy.disruption_cost,
            SCORE_DECIMALS,
        )
        overrides[entry.triple] = PairOverride(
            seeker=entry.item.seeker,
            area=entry.item.area,
            buddy=entry.item.buddy,
            score=score,
            workload=None if given is None else given.workload,
        )
    for entry in outside:
        key = (entry.need.seeker, entry.need.area)
        if key not in remaining:
            continue
        # The need still asks for more buddies, but not this one again: a
        # workload above the buddy's capacity rules the pair out exactly,
        # without banning the pair in the seeker's other areas.
        given = overrides.get(entry.triple)
        overrides[entry.triple] = PairOverride(
            seeker=entry.item.seeker,
            area=entry.item.area,
            buddy=entry.item.buddy,
            score=None if given is None else given.score,
            workload=capacity_of[entry.item.buddy] + 1,
        )

    # -- policy: the budget left -------------------------------------------
    new_policy = policy
    out_fees = sum(e.fee for e in outside)
    if policy.budget is not None and out_fees:
        floor = sum((e.fee for e in pinned), 0.0) if pinned_mode else 0.0
        budget_left = round(max(floor, policy.budget - out_fees), 2)
        notes.append(
            f"budget {policy.budget:,.2f} -> {budget_left:,.2f} for fees of "
            "arrangements kept outside the model"
        )
        new_policy = Policy.model_validate(
            {**policy.model_dump(), "budget": budget_left}
        )

    transformed = problem.replace(
        trusts=tuple(trusts),
        needs=tuple(needs),
        relations=tuple(relations),
        overrides=tuple(overrides.values()),
    )
    user_pins: dict[str, set[str]] = {}
    for rel in relations:
        if rel.kind == "pinned":
            user_pins.setdefault(rel.a, set()).add(rel.b)
    fixed = {
        seeker: set(buddies) | user_pins.get(seeker, set())
        for seeker, buddies in outside_buddies.items()
    }
    return _Plan(
        transformed,
        new_policy,
        ongoing,
        dict(served),
        notes,
        fixed,
        outside_buddies,
    )


def _restrict(
    problem: Problem, seeker: str, keep: set[str], why: str
) -> list[Relation]:
    """Return vetoes keeping *seeker* to the buddies in *keep*."""
    vetoed = {
        r.b for r in problem.relations if r.kind == "veto" and r.a == seeker
    }
    return [
        Relation(a=seeker, b=t.id, kind="veto", note=why)
        for t in problem.trusts
        if t.capacity > 0
        and t.id != seeker
        and t.id not in keep
        and t.id not in vetoed
    ]


def _over_limit(
    plan: _Plan, result: Result, limit: int, restricted: set[str]
) -> list[str]:
    """Return seekers whose buddies, kept outside included, exceed *limit*.

    The engine counts only the buddies in its model, so a seeker with
    arrangements kept outside it may get too many.
    """
    over: list[str] = []
    for seeker in sorted(plan.outside_buddies):
        if seeker in restricted:
            continue
        mine = {a.buddy for a in result.assignments if a.seeker == seeker}
        if len(plan.outside_buddies[seeker] | mine) > limit:
            over.append(seeker)
    return over


def _best_buddies(
    plan: _Plan,
    transformed: Problem,
    result: Result,
    seeker: str,
    limit: int,
    solve: Mapping[str, Any],
) -> set[str]:
    """Return the buddies *seeker* may keep so that it stays within *limit*.

    Solves the seeker's needs on their own, with what the other seekers
    use in *result* taken off capacity, partner limits and budget, and
    with room for only as many buddies as the ones kept outside the model
    leave.  That choice is the best for the seeker given the others, so
    restricting the seeker to it and solving again loses no cover the
    others have, and can cost the seeker only what the limit demands.
    """
    policy = plan.policy
    others = [a for a in result.assignments if a.seeker != seeker]
    used: Counter[str] = Counter()
    partners: dict[str, set[str]] = {}
    for a in others:
        used[a.buddy] += a.workload
        partners.setdefault(a.buddy, set()).add(a.seeker)
    trusts = []
    for trust in transformed.trusts:
        changes: dict[str, Any] = {}
        if used[trust.id]:
            changes["capacity"] = max(0, trust.capacity - used[trust.id])
        bound = _partner_limit(trust, policy)
        if trust.id in partners and bound is not None:
            changes["max_partners"] = max(
                0, bound - len(partners[trust.id])
            )
        if changes:
            trust = Trust.model_validate({**trust.model_dump(), **changes})
        trusts.append(trust)
    alone = transformed.replace(
        trusts=tuple(trusts),
        needs=tuple(n for n in transformed.needs if n.seeker == seeker),
        relations=tuple(
            r
            for r in transformed.relations
            if r.kind != "pinned" or r.a == seeker
        ),
        overrides=tuple(
            o for o in transformed.overrides if o.seeker == seeker
        ),
    )
    pinned = {
        e.item.buddy
        for e in plan.ongoing
        if e.kept_as == "pinned" and e.item.seeker == seeker
    }
    outside_only = plan.outside_buddies[seeker] - pinned
    room = limit - len(outside_only)
    changes = {"max_buddies_per_seeker": max(0, room)}
    if policy.budget is not None:
        spent = sum((a.fee for a in others), 0.0)
        changes["budget"] = round(max(0.0, policy.budget - spent), 2)
    mine = propose(
        alone,
        Policy.model_validate({**policy.model_dump(), **changes}),
        **solve,
    )
    keep = plan.fixed[seeker] | pinned
    if mine.is_feasible():
        keep |= {a.buddy for a in mine.assignments}
    return keep


# ---------------------------------------------------------------------------
# rematch
# ---------------------------------------------------------------------------


def rematch(
    problem: Problem,
    policy: Policy | None = None,
    arrangements: Iterable[Arrangement] = (),
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    seed: int = 0,
    workers: int | None = None,
    deterministic: bool = False,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    travel: TravelModel | None = None,
    solver_params: Mapping[str, Any] | None = None,
) -> RematchResult:
    """Re-match *problem* around the arrangements already in place.

    Ongoing arrangements are kept (pinned, or at ``disruption_cost`` in
    soft mode; one that now breaks a rule is kept and flagged); ended ones
    ban their seeker-buddy pair in every area; the rest is proposed as
    :func:`~buddymatch.propose` would, so cover still comes first.

    Parameters
    ----------
    problem
        The trusts and needs now (new seekers and needs included).
    policy
        Rules and weights; ``keep_ongoing`` chooses pinned or soft.
    arrangements
        The arrangements in place (see :class:`Arrangement`).
    time_limit, seed, workers, deterministic, progress, stop, travel,
    solver_params
        As for :func:`~buddymatch.propose`; the time limit applies to each
        solve.  A seeker whose buddies kept outside the model would,
        together with new ones, exceed ``max_buddies_per_seeker`` is
        limited to its best new buddies and solved once more.

    Returns
    -------
    RematchResult
        The diff, and the engine's result on the transformed problem.

    Raises
    ------
    InputError
        If an arrangement names an unknown trust or area, an ongoing one
        a need the seeker does not list, or the arrangements contradict
        each other or a pin (see :func:`arrangement_issues`).
    """
    policy = policy or Policy()
    items = tuple(arrangements)
    _raise_issues(arrangement_issues(problem, items))
    original = build_candidates(problem.canonical(), policy, travel=travel)
    plan = _plan(problem, policy, items, original)

    limit = policy.max_buddies_per_seeker
    restricted: set[str] = set()
    extra: list[Relation] = []
    if limit is not None:
        for seeker in sorted(plan.fixed):
            pins = {
                e.item.buddy
                for e in plan.ongoing
                if e.kept_as == "pinned" and e.item.seeker == seeker
            }
            keep = plan.fixed[seeker] | pins
            if len(keep) >= limit:
                restricted.add(seeker)
                extra += _restrict(
                    plan.problem, seeker, keep, _limit_note(seeker, limit)
                )
                plan.notes.append(
                    f"{seeker} gets no new buddy: its kept buddies reach "
                    f"max_buddies_per_seeker {limit}"
                )
    solve: dict[str, Any] = {
        "time_limit": time_limit,
        "seed": seed,
        "workers": workers,
        "deterministic": deterministic,
        "stop": stop,
        "solver_params": solver_params,
        "travel": travel,
    }
    solves = 0
    while True:
        transformed = (
            plan.problem.replace(
                relations=plan.problem.relations + tuple(extra)
            )
            if extra
            else plan.problem
        )
        cands = build_candidates(
            transformed.canonical(), plan.policy, travel=travel
        )
        result = propose(
            transformed,
            plan.policy,
            progress=progress,
            candidates=cands,
            **{k: v for k, v in solve.items() if k != "travel"},
        )
        solves += 1
        if limit is None or not result.is_feasible():
            break
        over = _over_limit(plan, result, limit, restricted)
        if not over:
            break
        for seeker in over:
            keep = _best_buddies(
                plan, transformed, result, seeker, limit, solve
            )
            restricted.add(seeker)
            extra += _restrict(
                transformed, seeker, keep, _limit_note(seeker, limit)
            )
            new_ones = sorted(keep - plan.fixed[seeker])
            plan.notes.append(
                f"{seeker}: new buddies limited to "
                f"{', '.join(new_ones) or 'none'} so that, with the ones "
                f"kept outside the model, it stays within "
                f"max_buddies_per_seeker {limit}"
            )
    if solves > 1:
        plan.notes.append(f"solved {solves} times")
    plan.problem = transformed
    return _answer(problem, items, plan, result, cands, policy.budget)


def _limit_note(seeker: str, limit: int) -> str:
    return (
        f"re-matching: {seeker} keeps buddies outside the model; this keeps "
        f"it within max_buddies_per_seeker {limit}"
    )


def _answer(
    problem: Problem,
    arrangements: Sequence[Arrangement],
    plan: _Plan,
    result: Result,
    cands: CandidateSet,
    budget: float | None,
) -> RematchResult:
    """Build the diff from the plan and the engine's result."""
    names = {t.id: t.name or t.id for t in problem.trusts}
    needs = {(n.seeker, n.area): n for n in problem.needs}
    policy = plan.policy
    feasible = result.is_feasible()
    chosen = {(a.seeker, a.area, a.buddy): a for a in result.assignments}
    unmet_keys = {(u.seeker, u.area) for u in result.unmet}

    def change(
        kind: ChangeKind,
        item: Arrangement | None,
        triple: tuple[str, str, str],
        **values: Any,
    ) -> Change:
        seeker, area, buddy = triple
        need = needs.get((seeker, area))
        tier = need.tier if need is not None else None
        fee = policy.tiers[tier].fee if tier is not None else 0.0
        workload = policy.tiers[tier].workload if tier is not None else 0
        base: dict[str, Any] = {
            "kind": kind,
            "seeker": seeker,
            "seeker_name": names.get(seeker, seeker),
            "area": area,
            "tier": tier,
            "buddy": buddy,
            "buddy_name": names.get(buddy, buddy),
            "workload": workload,
            "fee": fee,
            "start": item.start if item is not None else None,
        }
        base.update(values)
        return Change(**base)

    kept: list[Change] = []
    dropped: list[Change] = []
    disruption = 0.0
    for entry in plan.ongoing:
        values: dict[str, Any] = {
            "workload": entry.workload,
            "fee": entry.fee,
            "flags": tuple(entry.flags),
        }
        if entry.kept_as == "soft" and feasible and entry.triple not in chosen:
            disruption += policy.disruption_cost
            dropped.append(
                change(
                    "dropped",
                    entry.item,
                    entry.triple,
                    note=_dropped_note(entry, cands, unmet_keys, policy),
                    disruption=policy.disruption_cost,
                    **values,
                )
            )
            continue
        note = entry.note or (
            "ongoing"
            if entry.kept_as == "pinned"
            else "kept: worth more than releasing it"
        )
        due = _term_end(entry, policy)
        if due is not None and due < policy.effective_start():
            note += (
                f"; its {entry.need.tier} term ended on {due.isoformat()}: "
                "agree whether to renew or end it"
            )
        kept.append(
            change(
                "kept",
                entry.item,
                entry.triple,
                kept_as=entry.kept_as,
                note=note,
                **values,
            )
        )
    ongoing = {e.triple for e in plan.ongoing}
    ongoing_pairs = {(e.item.seeker, e.item.buddy) for e in plan.ongoing}
    new = []
    for triple, a in chosen.items():
        if triple in ongoing:
            continue
        note = assignment_reason(a)
        if (a.seeker, a.buddy) in ongoing_pairs:
            note = "joins an ongoing partnership; " + note
        new.append(
            change(
                "new", None, triple, workload=a.workload, fee=a.fee, note=note
            )
        )
    ended = [
        change(
            "ended",
            item,
            (item.seeker, item.area, item.buddy),
            note=f"ended: {item.seeker} with {item.buddy} is not proposed "
            "again, in any area",
        )
        for item in arrangements
        if item.status == "ended"
    ]

    unmet: list[UnmetNeed] = []
    for u in result.unmet:
        need = needs[(u.seeker, u.area)]
        kept_out = plan.served.get((u.seeker, u.area), 0)
        if not kept_out:
            unmet.append(u)
            continue
        unmet.append(
            UnmetNeed.model_validate(
                {
                    **u.model_dump(),
                    "buddies": need.buddies,
                    "detail": f"{kept_out} of its {need.buddies} buddies "
                    "continue (ongoing); the rest could not be found: "
                    + u.detail,
                }
            )
        )
    coverage = _coverage(problem, result, plan)
    outside_fees = sum(e.fee for e in plan.ongoing if e.kept_as == "outside")

    def key(c: Change) -> tuple[str, str, str]:
        return (c.seeker, c.area, c.buddy)

    return RematchResult(
        status=result.status,
        result=result,
        kept=tuple(sorted(kept, key=key)),
        new=tuple(sorted(new, key=key)),
        ended=tuple(sorted(ended, key=key)),
        dropped=tuple(sorted(dropped, key=key)),
        unmet=tuple(sorted(unmet, key=lambda u: (u.seeker, u.area))),
        coverage=coverage,
        total_fee=round(result.total_fee + outside_fees, 2),
        disruption=disruption,
        budget=budget,
        notes=tuple(plan.notes),
        problem=plan.problem,
    )


def _term_end(entry: _Ongoing, policy: Policy) -> dt.date | None:
    """Return the last day of an arrangement's tier term, if it started."""
    if entry.item.start is None:
        return None
    months = policy.tiers[entry.need.tier].months
    return add_months(entry.item.start, months) - dt.timedelta(days=1)


def _dropped_note(
    entry: _Ongoing,
    cands: CandidateSet,
    unmet: set[tuple[str, str]],
    policy: Policy,
) -> str:
    seeker, area, buddy = entry.triple
    if (seeker, area) in unmet:
        return (
            "released: its need could not be covered with all the buddies "
            "it asks for"
        )
    canonical = cands.problem
    n = next(
        (
            i
            for i, need in enumerate(canonical.needs)
            if (need.seeker, need.area) == (seeker, area)
        ),
        None,
    )
    if n is None:
        return (
            "released: its need is served by the ongoing arrangements kept "
            "outside the model"
        )
    j = canonical.trust_ids.index(buddy)
    exclusion = cands.exclusion(n, j)
    if exclusion is not None:
        return f"released: no longer possible ({exclusion[1]})"
    return (
        "released: another buddy serves the need better by more than the "
        f"disruption cost of {policy.disruption_cost:g} points, or keeping "
        "it stood in the way of covering a more urgent need"
    )


def _coverage(
    problem: Problem, result: Result, plan: _Plan
) -> tuple[Coverage, ...]:
    """Needs covered per priority, over the original needs."""
    unmet = {(u.seeker, u.area) for u in result.unmet}
    feasible = result.is_feasible()
    in_model = {(n.seeker, n.area) for n in plan.problem.needs}
    covered: Counter[int] = Counter()
    total: Counter[int] = Counter()
    for need in problem.needs:
        key = (need.seeker, need.area)
        total[need.priority] += 1
        if key not in in_model or (feasible and key not in unmet):
            covered[need.priority] += 1
    return tuple(
        Coverage(priority=p, covered=covered[p], total=total[p])
        for p in sorted(total, reverse=True)
    )


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def change_rows(rematched: RematchResult) -> list[dict[str, object]]:
    """Return the diff as rows of :data:`CHANGE_COLUMNS` (for a CSV).

    Kept, new, ended, dropped, then unmet needs (``change`` = ``unmet``,
    empty buddy), each sorted by seeker, area, buddy.
    """
    rows: list[dict[str, object]] = []
    for c in (
        *rematched.kept,
        *rematched.new,
        *rematched.ended,
        *rematched.dropped,
    ):
        rows.append(
            {
                "change": c.kind,
                "seeker": c.seeker,
                "seeker_name": c.seeker_name,
                "area": c.area,
                "tier": c.tier or "",
                "buddy": c.buddy,
                "buddy_name": c.buddy_name,
                "workload": c.workload,
                "fee": c.fee,
                "start": c.start.isoformat() if c.start else "",
                "kept_as": c.kept_as or "",
                "flags": "; ".join(f"{f.rule}: {f.detail}" for f in c.flags),
                "note": c.note,
            }
        )
    for u in rematched.unmet:
        rows.append(
            {
                "change": "unmet",
                "seeker": u.seeker,
                "seeker_name": rematched.result.trust_name(u.seeker),
                "area": u.area,
                "tier": u.tier,
                "buddy": "",
                "buddy_name": "",
                "workload": "",
                "fee": "",
                "start": "",
                "kept_as": "",
                "flags": "",
                "note": f"unmet ({u.reason}): {u.detail}",
            }
        )
    return rows


def render_rematch_markdown(
    rematched: RematchResult, title: str = "Re-matching"
) -> str:
    """Return a Markdown report of the diff, user text escaped.

    Sections: summary, kept (with flags), new, ended, dropped, unmet,
    notes.
    """
    esc = md_escape
    out = [f"# {esc(title)}", "", "## Summary", ""]
    out.extend(f"- {esc(line)}" for line in rematched.summary().split("\n"))
    header = [
        "| seeker | area | tier | buddy | workload | fee | note |",
        "|---|---|---|---|---:|---:|---|",
    ]
    sections = (
        ("Kept", rematched.kept, "No ongoing arrangement."),
        ("New", rematched.new, "Nothing new is proposed."),
        ("Ended", rematched.ended, "No arrangement has ended."),
        ("Dropped", rematched.dropped, "No arrangement is dropped."),
    )
    for heading, changes, empty in sections:
        out += ["", f"## {heading}", ""]
        if not changes:
            out.append(empty)
            continue
        out += header
        for c in changes:
            note = c.note
            if c.flags:
                note += " FLAGGED: " + "; ".join(
                    f"{f.rule}: {f.detail}" for f in c.flags
                )
            out.append(
                f"| {esc(c.seeker_name)} ({esc(c.seeker)}) | {esc(c.area)} "
                f"| {esc(c.tier or '')} | {esc(c.buddy_name)} "
                f"({esc(c.buddy)}) | {c.workload} | {c.fee:,.0f} | "
                f"{esc(note)} |"
            )
    out += ["", "## Unmet needs", ""]
    if not rematched.unmet:
        out.append("Every need is met.")
    else:
        out += [
            "| seeker | area | tier | priority | reason |",
            "|---|---|---|---:|---|",
        ]
        out.extend(
            f"| {esc(rematched.result.trust_name(u.seeker))} "
            f"({esc(u.seeker)}) | {esc(u.area)} | {esc(u.tier)} | "
            f"{u.priority} | {esc(u.detail)} |"
            for u in rematched.unmet
        )
    if rematched.notes:
        out += ["", "## Notes", ""]
        out.extend(f"- {esc(note)}" for note in rematched.notes)
    return "\n".join(out) + "\n"


def write_rematch(
    rematched: RematchResult, path: str | os.PathLike[str]
) -> None:
    """Write the diff in the format named by *path*'s extension.

    ``.csv``: :func:`change_rows` (text cells made spreadsheet-safe);
    ``.json``: :meth:`RematchResult.to_json`; anything else: Markdown
    (:func:`render_rematch_markdown`).  Written atomically.

    Parameters
    ----------
    rematched
        The re-match.
    path
        The file to write.
    """
    suffix = os.fspath(path).lower().rsplit(".", 1)[-1]
    if suffix == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(CHANGE_COLUMNS)
        writer.writerows(
            [spreadsheet_safe(row[column]) for column in CHANGE_COLUMNS]
            for row in change_rows(rematched)
        )
        write_text_atomic(path, buffer.getvalue())
    elif suffix == "json":
        write_text_atomic(path, rematched.to_json() + "\n")
    else:
        write_text_atomic(path, render_rematch_markdown(rematched))
