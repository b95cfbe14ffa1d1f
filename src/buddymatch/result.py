"""The outcome of a matching: status, numbers, the proposal and its gaps.

A [`Result`][buddymatch.result.Result] is plain data (Pydantic, frozen): it
serialises to JSON
losslessly and is self-contained for reporting (it carries id, name, lat and
lon of every trust it names).  No solver object ever reaches it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from buddymatch.frames import (
    FrameKind,
    ResultFrames,
    result_frame,
    result_frames,
    result_html,
)
from buddymatch.model import Policy

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped, unused-ignore]

Status = Literal["optimal", "feasible", "infeasible", "no_solution"]

#: Why a need stays unmet, as stable codes (words are in ``detail``).
UnmetReason = Literal[
    "no_candidate",  # no buddy passes the hard pair rules
    "too_few_candidates",  # fewer candidates than the buddies it needs
    "capacity",  # candidates exist, but capacity/limits stop them
    "budget",  # the budget alone stops it: every other limit has room
    "pinned_conflict",  # the result is infeasible: pins cannot all hold
    # the time limit ran out before a proposal (or before the greedy
    # start tried this need): not proven impossible
    "not_solved",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TrustRef(_Frozen):
    """Enough of a trust to report on it without the problem at hand."""

    id: str
    name: str
    kind: str
    lat: float
    lon: float
    region: str | None = None


class Assignment(_Frozen):
    """One buddy assigned to one need.

    ``terms`` breaks ``score`` down: ``expertise``, ``culture``, ``travel``
    (negative), ``preferred``, ``prior``; or ``override`` alone when the
    user supplied the pair's score.
    """

    seeker: str
    area: str
    tier: str
    buddy: str
    travel_minutes: float
    culture_fit: float
    expertise: int
    workload: int
    fee: float
    score: float
    terms: dict[str, float]
    pinned: bool = False


class Partnership(_Frozen):
    """A seeker-buddy pair with every area the buddy supports it in."""

    seeker: str
    buddy: str
    areas: tuple[str, ...]
    tiers: dict[str, str]
    workload: int
    fee: float
    months: int


class UnmetNeed(_Frozen):
    """A need left without (enough) buddies, with the reason."""

    seeker: str
    area: str
    tier: str
    priority: int
    buddies: int
    candidates: int
    reason: UnmetReason
    detail: str


class BuddyUse(_Frozen):
    """How much of a buddy's capacity the proposal uses."""

    buddy: str
    capacity: int
    workload: int
    partners: int
    max_partners: int | None


class Coverage(_Frozen):
    """Needs covered out of needs, for one priority level.

    Attributes
    ----------
    priority
        The priority level (3 = most urgent).
    covered
        Needs of this priority the proposal meets.
    total
        Needs of this priority.
    bound
        Proven upper bound on ``covered``: no proposal that meets at least
        as many needs of every higher priority as this one meets more needs
        of this priority.  Equal to ``covered`` when this priority's cover
        is proven optimal; ``None`` without a proposal (``infeasible``,
        ``no_solution``) or in results written before it existed.
    """

    priority: int
    covered: int
    total: int
    bound: int | None = None


class Result(_Frozen):
    """A proposal and everything needed to trust and defend it.

    Attributes
    ----------
    status
        ``optimal`` (proven), ``feasible`` (a solution, not proven optimal),
        ``infeasible`` (pins or forced rules cannot all hold) or
        ``no_solution`` (none found within the time limit).
    coverage
        Needs covered per priority (highest first).
    objective
        Quality points of the proposal, with coverage fixed: the sum of the
        assignment scores minus ``partnership_cost`` per partnership.
    bound
        Proven upper bound on ``objective``.
    gap
        ``|bound - objective| / max(1, |objective|)``; ``None`` without a
        solution.
    runtime
        Wall seconds of the whole [`propose`][buddymatch.propose] call.  A
        deterministic result (``solver["deterministic"]``) keeps it here
        but writes ``null`` in its JSON (`to_json`), so that the same
        input and settings give a byte-identical file; read back, it is
        ``None``.
    """

    status: Status
    coverage: tuple[Coverage, ...] = ()
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    runtime: float | None = 0.0
    assignments: tuple[Assignment, ...] = ()
    partnerships: tuple[Partnership, ...] = ()
    unmet: tuple[UnmetNeed, ...] = ()
    utilisation: tuple[BuddyUse, ...] = ()
    total_fee: float = 0.0
    infeasibility: tuple[str, ...] = ()
    solver: dict[str, Any] = Field(default_factory=dict)
    trusts: tuple[TrustRef, ...] = ()
    policy: Policy = Field(default_factory=Policy)

    # -- queries -----------------------------------------------------------

    def is_feasible(self) -> bool:
        """Return whether the result holds a solution."""
        return self.status in ("optimal", "feasible")

    def all_met(self) -> bool:
        """Return whether every need is covered."""
        return self.is_feasible() and not self.unmet

    def trust_name(self, trust_id: str) -> str:
        """Return the display name of *trust_id* (the id if unknown)."""
        for trust in self.trusts:
            if trust.id == trust_id:
                return trust.name or trust.id
        return trust_id

    # -- serialisation -----------------------------------------------------

    def to_json(self, indent: int | None = 2) -> str:
        """Return the result as JSON text.

        Lossless, except that a deterministic result writes ``runtime``
        as ``null`` (see `_runtime_in_json`).
        """
        return self.model_dump_json(indent=indent)

    @field_serializer("runtime", when_used="json")
    def _runtime_in_json(self, runtime: float | None) -> float | None:
        """Write ``runtime`` as ``null`` for a deterministic result.

        It is the only value that differs between two runs of the same
        input and settings (the solver stages of a deterministic result
        record deterministic time only), and the promise is a
        byte-identical file.  Applied to every JSON form, a result nested
        in a re-match or an explanation included.
        """
        return None if self.solver.get("deterministic") else runtime

    @classmethod
    def from_json(cls, text: str | bytes) -> Result:
        """Parse a result from `to_json` output."""
        return cls.model_validate_json(text)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-compatible data."""
        data: dict[str, Any] = json.loads(self.to_json(indent=None))
        return data

    def to_pandas(self, kind: FrameKind = "assignments") -> pd.DataFrame:
        """Return one part of the result as a pandas DataFrame.

        Parameters
        ----------
        kind
            ``"assignments"`` (one row per buddy assigned to a need, see
            `assignments_frame`), ``"partnerships"``, ``"unmet"``
            or ``"utilisation"``.
            [`to_frames`][buddymatch.result.Result.to_frames] gives all four.

        Returns
        -------
        pandas.DataFrame
            Every column present, and typed, even when the part is empty.

        Raises
        ------
        ValueError
            If *kind* is none of the four.
        """
        return result_frame(self, kind)

    def to_frames(self) -> ResultFrames:
        """Return every part of the result as a pandas DataFrame.

        Returns
        -------
        ResultFrames
            A named tuple of four DataFrames: ``assignments``,
            ``partnerships``, ``unmet`` and ``utilisation`` (see
            [`to_pandas`][buddymatch.result.Result.to_pandas]).
        """
        return result_frames(self)

    def _repr_html_(self) -> str:
        """Return the compact summary Jupyter shows for a result."""
        return result_html(self)

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        """Name the result's size and quality, not its every part.

        Pydantic builds ``repr()``, ``str()`` and rich's pretty form from
        these; the parts are a frame or a table away
        ([`to_pandas`][buddymatch.result.Result.to_pandas],
        `summary`), and a national result printed in full is over
        half a million characters.
        """
        yield "status", self.status
        if self.coverage:
            yield (
                "coverage",
                ", ".join(
                    f"priority {c.priority}: {c.covered}/{c.total}"
                    for c in self.coverage
                ),
            )
        if self.objective is not None:
            yield "objective", round(self.objective, 3)
        if self.gap is not None:
            yield "gap", round(self.gap, 4)
        yield "assignments", len(self.assignments)
        yield "partnerships", len(self.partnerships)
        yield "unmet", len(self.unmet)
        yield "total_fee", round(self.total_fee, 2)
        if self.runtime is not None:
            yield "runtime", round(self.runtime, 2)
        if self.infeasibility:
            yield "infeasibility", len(self.infeasibility)

    # -- text --------------------------------------------------------------

    def summary(self) -> str:
        """Return a short plain-text summary of the proposal."""
        lines = [f"status: {self.status}"]
        if self.coverage:
            cover = ", ".join(
                f"priority {c.priority}: {c.covered}/{c.total}"
                + (
                    f" (at most {c.bound} possible)"
                    if c.bound is not None and c.bound > c.covered
                    else ""
                )
                for c in self.coverage
            )
            lines.append(f"needs covered: {cover}")
        if self.objective is not None:
            gap = f"{self.gap:.2%}" if self.gap is not None else "n/a"
            bound = f"{self.bound:.3f}" if self.bound is not None else "n/a"
            lines.append(
                f"quality: {self.objective:.3f} points "
                f"(bound {bound}, gap {gap})"
            )
        lines.append(
            f"{_count(len(self.assignments), 'assignment')} in "
            f"{_count(len(self.partnerships), 'partnership')}; "
            f"{_count(len(self.unmet), 'unmet need')}; total fees "
            f"{self.total_fee:,.0f}"
        )
        if self.runtime is not None:
            lines.append(f"runtime: {self.runtime:.2f} s")
        lines.extend(f"infeasible: {why}" for why in self.infeasibility)
        return "\n".join(lines)

    def __str__(self) -> str:
        out = [self.summary()]
        for a in self.assignments:
            out.append(
                f"  {a.seeker} {a.area} ({a.tier}) <- {a.buddy}: "
                f"{a.travel_minutes:.0f} min, fit {a.culture_fit:.2f}, "
                f"expertise {a.expertise}, score {a.score:.2f}"
            )
        for u in self.unmet:
            out.append(f"  {u.seeker} {u.area}: UNMET ({u.reason}) {u.detail}")
        return "\n".join(out)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


#: Columns of the pairings CSV, in order (DESIGN.md).
PAIRINGS_COLUMNS: tuple[str, ...] = (
    "seeker",
    "seeker_name",
    "area",
    "tier",
    "buddy",
    "buddy_name",
    "travel_minutes",
    "culture_fit",
    "expertise",
    "workload",
    "score",
    "reason",
)


def pairings_rows(result: Result) -> list[dict[str, object]]:
    """Return the pairings CSV rows: one per assignment, one per unmet need.

    Assignments come first (by seeker, area, buddy), then unmet needs with
    an empty ``buddy`` and the reason in words.
    """
    rows: list[dict[str, object]] = []
    for a in sorted(
        result.assignments, key=lambda a: (a.seeker, a.area, a.buddy)
    ):
        rows.append(
            {
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
                "score": a.score,
                "reason": assignment_reason(a),
            }
        )
    for u in sorted(result.unmet, key=lambda u: (u.seeker, u.area)):
        rows.append(
            {
                "seeker": u.seeker,
                "seeker_name": result.trust_name(u.seeker),
                "area": u.area,
                "tier": u.tier,
                "buddy": "",
                "buddy_name": "",
                "travel_minutes": "",
                "culture_fit": "",
                "expertise": "",
                "workload": "",
                "score": "",
                "reason": f"unmet ({u.reason}): {u.detail}",
            }
        )
    return rows


def assignment_reason(a: Assignment) -> str:
    """Return a one-line reason for an assignment, in a person's units."""
    if "override" in a.terms:
        base = f"user score {a.terms['override']:g}"
    else:
        base = (
            f"expertise {a.expertise}/5, culture fit {a.culture_fit:.2f}, "
            f"{a.travel_minutes:.0f} min away"
        )
        if a.terms.get("preferred"):
            base += ", preferred by the seeker"
        if a.terms.get("prior"):
            base += ", prior relationship"
    if a.pinned:
        base = "pinned; " + base
    return base
