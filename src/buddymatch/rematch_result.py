"""The answer of a re-matching: a diff against the arrangements in place.

[`RematchResult`][buddymatch.rematch_result.RematchResult] holds the engine's
result on the transformed problem
and the diff ([`Change`][buddymatch.rematch_result.Change]: kept, new, ended,
dropped), with the rules a
kept arrangement now breaks ([`Flag`][buddymatch.rematch_result.Flag]).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import Field

from buddymatch.arrangement import Arrangement, Frozen
from buddymatch.model import Problem
from buddymatch.result import Coverage, Result, Status, UnmetNeed

__all__ = ["Change", "ChangeKind", "Flag", "KeptHow", "RematchResult"]

ChangeKind = Literal["kept", "new", "ended", "dropped"]
#: How a kept arrangement was kept: as a pin, by the solver's choice (soft
#: mode), or outside the model (it breaks a rule, or serves part of a need).
KeptHow = Literal["pinned", "soft", "outside"]


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
        The engine's result for `problem` (under ``result.policy``,
        the transformed policy): [`verify`][buddymatch.verify.verify] checks
        ``verify(rm.problem, rm.result.policy, rm.result)``.  It holds the
        new assignments and the ongoing ones kept as pins or by choice;
        arrangements kept outside the model are in `kept` only.
    kept, new, ended, dropped
        The diff (see [`Change`][buddymatch.rematch_result.Change]), each
        sorted by seeker, area, buddy.
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

    def arrangements(self, start: dt.date | None = None) -> list[Arrangement]:
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
            out.extend(f"          FLAG {f.rule}: {f.detail}" for f in c.flags)
        for u in self.unmet:
            out.append(
                f"  UNMET   {u.seeker} {u.area} ({u.reason}) {u.detail}"
            )
        out.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(out)
