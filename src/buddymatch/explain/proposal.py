"""A result seen through the candidate pairs it was chosen from.

Explanations need, for a result, the candidate set it came from and what
the proposal uses of every buddy (workload, partners) and every seeker
(buddies).  [`ProposalView`][buddymatch.explain.proposal.ProposalView] rebuilds
that once, from the problem,
the policy and the result, and answers "would this buddy have room for
that need" with the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.errors import InputError, InputProblem
from buddymatch.model import Need, Policy, Problem
from buddymatch.result import Result
from buddymatch.rules import partner_limit
from buddymatch.solvers.api import (
    NeedRoom,
    ProposalUse,
    resolve_pins,
    usable_candidates,
    workload_source,
)
from buddymatch.travel import TravelModel
from buddymatch.wording import fmt_minutes as fmt_minutes
from buddymatch.wording import fmt_value as fmt_value
from buddymatch.wording import plural

#: Points closer than this count as equal (scores resolve to 0.001).
POINT_TOLERANCE = 0.0005


def input_problem(column: str, message: str, fix: str) -> InputError:
    """Return an [`InputError`][buddymatch.InputError] about an explanation's
    arguments."""
    return InputError([InputProblem("<explain>", None, column, message, fix)])


@dataclass(eq=False)
class ProposalView:
    """A result, mapped onto the candidate pairs of its problem.

    Build it with `build`.  Trust indices are positions in
    ``cands.problem.trusts`` (the canonical problem); need indices are
    positions in ``cands.problem.needs``.

    Attributes
    ----------
    original
        The problem as given (re-solves start from it).
    cands
        The candidate pairs of the canonical problem.
    result
        The result explained.
    travel
        The travel model, when the caller gave one.
    usable
        Candidates whose need has enough candidates to be covered.
    pins
        Pin groups (candidate positions, one of which must be chosen).
    pin_relations
        For each group, the index of its relation in
        ``cands.problem.relations``.
    impossible
        Pins no candidate can honour: (relation index, words).
    chosen
        Mask of the candidate pairs the result assigns.
    used
        Workload each trust gives in the proposal.
    partners
        Buddy index -> seeker rows it supports, sorted.
    buddies_of
        Seeker row -> buddy indices supporting it, sorted.
    spent
        Total fees of the proposal.
    use
        The same uses, as the room computation shared with the result's
        unmet reasons reads them.
    """

    original: Problem
    cands: CandidateSet
    result: Result
    travel: TravelModel | None
    usable: np.ndarray
    pins: list[list[int]]
    pin_relations: list[int]
    impossible: list[tuple[int, str]]
    chosen: np.ndarray
    used: np.ndarray
    partners: dict[int, list[int]]
    buddies_of: dict[int, list[int]]
    spent: float
    use: ProposalUse
    trust_index: dict[str, int] = field(default_factory=dict)
    need_index: dict[tuple[str, str], int] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        problem: Problem,
        policy: Policy,
        result: Result,
        *,
        travel: TravelModel | None = None,
        candidates: CandidateSet | None = None,
    ) -> ProposalView:
        """Map *result* onto the candidates of *problem* under *policy*.

        Parameters
        ----------
        problem, policy, result
            What to explain.
        travel
            The travel model the result was made with (default: the one
            the policy selects).
        candidates
            Pre-built candidates of ``problem.canonical()`` and *policy*.

        Returns
        -------
        ProposalView
            The view.

        Raises
        ------
        InputError
            If the result assigns a pair that is not a candidate of this
            problem and policy (it was made from other inputs).
        """
        cands = candidates or build_candidates(
            problem.canonical(), policy, travel=travel
        )
        canon = cands.problem
        trust_index = {t.id: j for j, t in enumerate(canon.trusts)}
        need_index = {(n.seeker, n.area): i for i, n in enumerate(canon.needs)}
        usable = usable_candidates(cands)
        groups, impossible = resolve_pins(cands, usable)
        pinned = [
            r for r, rel in enumerate(canon.relations) if rel.kind == "pinned"
        ]
        failed = {r for r, _ in impossible}
        pin_relations = [r for r in pinned if r not in failed]
        chosen = np.zeros(cands.n_candidates, dtype=bool)
        for a in result.assignments:
            n = need_index.get((a.seeker, a.area))
            t = trust_index.get(a.buddy)
            at = None if n is None or t is None else cands.position(n, t)
            if at is None:
                raise input_problem(
                    "result",
                    f"the result assigns {a.buddy} to {a.seeker}'s {a.area} "
                    "need, which is not a candidate pair of this problem "
                    "and policy",
                    "explain a result with the problem and policy it was "
                    "made from",
                )
            chosen[at] = True
        # One account of what the proposal uses, the one the room (and
        # the result's unmet reasons) read; the lists below are its views.
        use = ProposalUse.of(cands, np.flatnonzero(chosen))
        buddies_of = {
            row: sorted(buddies) for row, buddies in use.buddies_of.items()
        }
        partners: dict[int, list[int]] = {}
        for row, buddies in sorted(buddies_of.items()):
            for buddy in buddies:
                partners.setdefault(buddy, []).append(row)
        return cls(
            original=problem,
            cands=cands,
            result=result,
            travel=travel,
            usable=usable,
            pins=groups,
            pin_relations=pin_relations,
            impossible=impossible,
            chosen=chosen,
            used=use.used,
            partners=dict(sorted(partners.items())),
            buddies_of=dict(sorted(buddies_of.items())),
            spent=float(cands.fee[chosen].sum()),
            use=use,
            trust_index=trust_index,
            need_index=need_index,
        )

    # -- plain lookups -------------------------------------------------------

    @property
    def problem(self) -> Problem:
        """The canonical problem."""
        return self.cands.problem

    @property
    def policy(self) -> Policy:
        """The policy."""
        return self.cands.policy

    def trust_id(self, index: int) -> str:
        """Return the id of the trust at *index*."""
        return self.problem.trusts[index].id

    def need(self, index: int) -> Need:
        """Return the need at *index*."""
        return self.problem.needs[index]

    def row_of(self, need_index: int) -> int:
        """Return the seeker row of a need."""
        return int(self.cands.need_seeker[need_index])

    def partner_limit(self, buddy: int) -> int | None:
        """Return a buddy's limit of distinct seekers (``None``: none)."""
        return partner_limit(self.problem.trusts[buddy], self.policy)

    def chosen_of_buddy(self, buddy: int) -> list[int]:
        """Return the chosen candidate positions of one buddy."""
        return np.flatnonzero(
            self.chosen & (self.cands.buddy == buddy)
        ).tolist()

    def chosen_of_need(self, need_index: int) -> list[int]:
        """Return the chosen candidate positions of one need."""
        positions = self.cands.pairs_of_need(need_index)
        chosen: list[int] = positions[self.chosen[positions]].tolist()
        return chosen

    def describe_uses(self, buddy: int) -> str:
        """Return what a buddy's capacity goes to, e.g. ``S2 (maternity,
        finance), S3 (governance)``."""
        areas: dict[str, list[str]] = {}
        for k in self.chosen_of_buddy(buddy):
            need = self.need(int(self.cands.need[k]))
            areas.setdefault(need.seeker, []).append(need.area)
        return ", ".join(
            f"{seeker} ({', '.join(names)})"
            for seeker, names in sorted(areas.items())
        )

    def shares_partnership(self, position: int) -> bool:
        """Return whether the chosen pair at *position* shares its
        partnership with another chosen area of the same seeker."""
        row = self.row_of(int(self.cands.need[position]))
        buddy = int(self.cands.buddy[position])
        others = [
            k
            for k in self.chosen_of_buddy(buddy)
            if k != position and self.row_of(int(self.cands.need[k])) == row
        ]
        return bool(others)

    # -- room ----------------------------------------------------------------

    def room(
        self,
        need_index: int,
        buddy: int,
        workload: int,
        *,
        replacing: int | None = None,
    ) -> tuple[str, str] | None:
        """Say why a buddy has no room for a need, given the proposal.

        Parameters
        ----------
        need_index
            The need.
        buddy
            The buddy's trust index; it must not serve the need already.
        workload
            What the need would take of the buddy's capacity.
        replacing
            Candidate position of a chosen pair the buddy would replace
            (its partnership is freed if it is its only area).

        Returns
        -------
        tuple or None
            ``(code, words)`` with code ``capacity``, ``max_partners`` or
            ``max_buddies_per_seeker``; ``None`` when it has room.
        """
        trust = self.problem.trusts[buddy]
        row = self.row_of(need_index)
        seeker = self.cands.seekers[row]
        used = int(self.used[buddy])
        freed = int(
            replacing is not None and not self.shares_partnership(replacing)
        )  # the replaced buddy's partnership ends
        code = self.use.room(
            self.cands,
            need_index,
            np.array([buddy], dtype=np.int64),
            np.array([workload], dtype=np.int64),
            freed=freed,
        ).code(0)
        if code is None:
            return None
        if code == "workload":
            # Its whole capacity is too small: nothing the proposal could
            # free would make room.
            source = workload_source(
                self.policy, self.need(need_index), workload
            )
            return "capacity", (
                f"capacity ({trust.capacity}) is below {source}"
            )
        if code == "capacity":
            return "capacity", (
                f"capacity used by its partnerships with "
                f"{self.describe_uses(buddy)}: {used} of {trust.capacity} "
                f"units taken, this need takes {workload}"
            )
        if code == "max_partners":
            limit = self.partner_limit(buddy)
            names = ", ".join(
                self.cands.seekers[s] for s in self.partners.get(buddy, [])
            )
            return "max_partners", (
                f"would exceed {trust.id}'s limit of "
                f"{plural(limit or 0, 'partner')} ({names})"
            )
        seeker_limit = self.policy.max_buddies_per_seeker or 0
        names = ", ".join(
            self.trust_id(b) for b in self.buddies_of.get(row, [])
        )
        return "max_buddies_per_seeker", (
            f"would exceed {seeker}'s limit of "
            f"{plural(seeker_limit, 'buddy')} ({names})"
        )

    def need_room(
        self, need_index: int, cands: CandidateSet | None = None
    ) -> NeedRoom:
        """Return the room the proposal leaves for a need, with every
        candidate of it (in *cands*, default the view's own), buddy by
        buddy and together (the computation behind the result's unmet
        reasons)."""
        return self.use.need_room(cands or self.cands, need_index)

    def held_by_pin(self, position: int) -> str | None:
        """Return the pin that holds a chosen pair in place, if one does.

        A pin holds the pair when the pair is in the pin's group and no
        other pair of the group is chosen.
        """
        for group, r in zip(self.pins, self.pin_relations, strict=True):
            if position in group and not any(
                self.chosen[k] for k in group if k != position
            ):
                return pin_words(self.problem.relations[r])
        return None


def pin_words(relation: Any) -> str:
    """Return a pin in words: ``pin S with buddy B in finance``."""
    scope = f" in {relation.area}" if relation.area else " (any of its needs)"
    return f"pin {relation.a} with buddy {relation.b}{scope}"


def names_of(problem: Problem, ids: Iterable[str]) -> dict[str, str]:
    """Return id -> display name for the given trust ids, sorted by id."""
    wanted = set(ids)
    return {
        t.id: t.name or t.id
        for t in sorted(problem.trusts, key=lambda t: t.id)
        if t.id in wanted
    }
