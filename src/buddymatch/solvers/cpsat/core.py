"""Infeasibility cores: which pins and limits cannot all hold together.

A feasibility-only CP-SAT model (no objective) with the engine's rules:
assignment variables for usable candidates, exact cover of each need and
the partnership links are always on (they define what covering a need and
a partnership *are*); every pin, buddy capacity, buddy partner limit,
seeker buddy limit and the budget sits behind its own assumption literal,
so that CP-SAT can name the ones it needed to prove infeasibility
(``sufficient_assumptions_for_infeasibility``).

That set is then shrunk by deletion (drop one rule, re-solve, keep it out
if the rest is still infeasible) to a minimal set, and re-checked once
more at the end.  Every solve uses one worker and presolve off: CP-SAT's
presolve may return a literal outside the assumptions (or-tools issue
#5141), and its interleaved search ignores assumptions (#4875), so
neither is set here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import numpy as np
from ortools.sat.python import cp_model

from buddymatch.candidates import CandidateSet
from buddymatch.errors import SolverError
from buddymatch.solvers.cpsat.constraints import FEE_SCALE, fee_units
from buddymatch.solvers.cpsat.variables import Variables

RuleKind = Literal[
    "pin", "capacity", "max_partners", "max_buddies_per_seeker", "budget"
]
CoreStatus = Literal["infeasible", "feasible", "unknown"]

#: Default seconds per feasibility solve.
DEFAULT_CORE_TIME_LIMIT = 10.0
#: Default cap on solves while shrinking a core (a bigger core is reported
#: as not proven minimal).
DEFAULT_MAX_SOLVES = 200


@dataclass(frozen=True)
class CoreRule:
    """One rule that a core may name.

    Attributes
    ----------
    kind
        ``pin``, ``capacity``, ``max_partners``, ``max_buddies_per_seeker``
        or ``budget``.
    index
        pin: position in the list of pin groups; capacity and max_partners:
        trust index of the buddy; max_buddies_per_seeker: seeker row (in
        ``CandidateSet.seekers``); budget: 0.
    limit
        The limit the rule enforces (units, partners, buddies, pounds);
        ``None`` for a pin.
    """

    kind: RuleKind
    index: int
    limit: float | None = None


@dataclass(frozen=True)
class CoreOutcome:
    """What the feasibility solves found.

    Attributes
    ----------
    status
        ``infeasible`` (``core`` names the conflict), ``feasible`` (every
        rule can hold) or ``unknown`` (time ran out before a verdict).
    core
        The conflicting rules, in the order of :func:`guarded_rules`.
    minimal
        Every rule of ``core`` was shown necessary: without any one of
        them the rest can hold.
    solves
        CP-SAT solves made.
    """

    status: CoreStatus
    core: tuple[CoreRule, ...] = ()
    minimal: bool = False
    solves: int = 0


class _FeasibilityModel:
    """The engine's rules, with the optional ones behind literals."""

    def __init__(
        self,
        cands: CandidateSet,
        usable: np.ndarray,
        pins: list[list[int]],
    ) -> None:
        self.cands = cands
        self.model = cp_model.CpModel()
        self.vars = Variables(self.model, cands, usable)
        self.rules: list[CoreRule] = []
        self.literals: list[cp_model.IntVar] = []
        #: Deterministic time of every solve so far (itself deterministic).
        self.dtime = 0.0
        self._cover_with_exact_buddies()
        self._link_partnerships()
        self._pins(pins)
        self._buddy_capacity()
        self._buddy_partner_limit()
        self._seeker_buddy_limit()
        self._budget()

    def _guard(self, rule: CoreRule) -> cp_model.IntVar:
        """Return a new assumption literal switching *rule* on."""
        literal = self.model.new_bool_var(f"rule_{len(self.rules)}")
        self.rules.append(rule)
        self.literals.append(literal)
        return literal

    def _by(self, keys: np.ndarray) -> dict[int, list[int]]:
        groups: dict[int, list[int]] = defaultdict(list)
        for i, key in enumerate(keys.tolist()):
            groups[int(key)].append(i)
        return groups

    def _cover_with_exact_buddies(self) -> None:
        """Ensures that a covered need has exactly `buddies` buddies and an
        uncovered one none (always on: it is what covering means)."""
        needs = self.cands.need[self.vars.positions]
        problem = self.cands.problem
        for need, idx in self._by(needs).items():
            self.model.add(
                cp_model.LinearExpr.sum([self.vars.assign[i] for i in idx])
                == problem.needs[need].buddies * self.vars.covered[need]
            )

    def _link_partnerships(self) -> None:
        """Ensures that a partnership exists exactly when the buddy
        supports one of the seeker's needs (always on: a definition)."""
        members = self._by(self.vars.pair_partner)
        for p, partner in enumerate(self.vars.partner):
            idx = members[p]
            for i in idx:
                self.model.add_implication(self.vars.assign[i], partner)
            self.model.add_bool_or(
                [self.vars.assign[i] for i in idx]
            ).only_enforce_if(partner)

    def _pins(self, pins: list[list[int]]) -> None:
        """Ensures, when switched on, that each pin holds."""
        where = {int(k): i for i, k in enumerate(self.vars.positions)}
        for p, group in enumerate(pins):
            literal = self._guard(CoreRule("pin", p))
            self.model.add_bool_or(
                [self.vars.assign[where[k]] for k in group]
            ).only_enforce_if(literal)

    def _buddy_capacity(self) -> None:
        """Ensures, when switched on, that a buddy's workload fits its
        capacity (only for buddies whose candidates could exceed it)."""
        trusts = self.cands.problem.trusts
        positions = self.vars.positions
        workload = self.cands.workload[positions]
        for buddy, idx in sorted(
            self._by(self.cands.buddy[positions]).items()
        ):
            capacity = trusts[buddy].capacity
            if int(workload[idx].sum()) <= capacity:
                continue
            literal = self._guard(CoreRule("capacity", buddy, capacity))
            self.model.add(
                cp_model.LinearExpr.weighted_sum(
                    [self.vars.assign[i] for i in idx],
                    [int(w) for w in workload[idx]],
                )
                <= capacity
            ).only_enforce_if(literal)

    def _buddy_partner_limit(self) -> None:
        """Ensures, when switched on, that a buddy keeps within its limit
        of distinct seekers."""
        trusts = self.cands.problem.trusts
        policy = self.cands.policy
        buddies = np.array(
            [b for _, b in self.vars.partner_keys], dtype=np.int64
        )
        for buddy, idx in sorted(self._by(buddies).items()):
            own = trusts[buddy].max_partners
            limit = own if own is not None else policy.max_partners
            if limit is None or len(idx) <= limit:
                continue
            literal = self._guard(CoreRule("max_partners", buddy, limit))
            self.model.add(
                cp_model.LinearExpr.sum([self.vars.partner[i] for i in idx])
                <= limit
            ).only_enforce_if(literal)

    def _seeker_buddy_limit(self) -> None:
        """Ensures, when switched on, that a seeker keeps within
        `max_buddies_per_seeker` distinct buddies."""
        limit = self.cands.policy.max_buddies_per_seeker
        if limit is None:
            return
        seekers = np.array(
            [s for s, _ in self.vars.partner_keys], dtype=np.int64
        )
        for row, idx in sorted(self._by(seekers).items()):
            if len(idx) <= limit:
                continue
            literal = self._guard(
                CoreRule("max_buddies_per_seeker", row, limit)
            )
            self.model.add(
                cp_model.LinearExpr.sum([self.vars.partner[i] for i in idx])
                <= limit
            ).only_enforce_if(literal)

    def _budget(self) -> None:
        """Ensures, when switched on, that fees stay within the budget."""
        budget = self.cands.policy.budget
        if budget is None or not self.vars.assign:
            return
        fees = [fee_units(f) for f in self.cands.fee[self.vars.positions]]
        literal = self._guard(CoreRule("budget", 0, budget))
        self.model.add(
            cp_model.LinearExpr.weighted_sum(self.vars.assign, fees)
            <= int(np.floor(budget * FEE_SCALE + 1e-6))
        ).only_enforce_if(literal)

    def check(
        self,
        members: list[int],
        time_limit: float,
        extra: list[cp_model.IntVar] | None = None,
        deterministic: bool = False,
    ) -> tuple[CoreStatus, list[int]]:
        """Solve with the rules *members* (positions in ``rules``) on.

        Rules not named are free to hold or not, so a verdict of
        ``infeasible`` means the named rules cannot all hold together.
        *extra* literals are assumed too; *deterministic* makes
        *time_limit* deterministic time, so the verdict does not depend
        on the machine's load.

        Returns
        -------
        tuple
            The verdict, and (when infeasible) the members CP-SAT found
            sufficient, in *members* order.
        """
        self.model.clear_assumptions()
        self.model.add_assumptions(
            [self.literals[m] for m in members] + list(extra or ())
        )
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = 1
        params.cp_model_presolve = False
        params.random_seed = 0
        if deterministic:
            params.max_deterministic_time = max(time_limit, 0.01)
        else:
            params.max_time_in_seconds = max(time_limit, 0.01)
        params.catch_sigint_signal = False
        code = solver.solve(self.model)
        self.dtime += solver.deterministic_time
        if code == cp_model.MODEL_INVALID:
            raise SolverError(
                "CP-SAT rejected the feasibility model as invalid (a bug "
                "in buddymatch): " + self.model.validate()
            )
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return "feasible", []
        if code == cp_model.UNKNOWN:
            return "unknown", []
        if code != cp_model.INFEASIBLE:
            raise SolverError(f"unknown CP-SAT status {code!r}")
        # Keep only literals we assumed: anything else would be a solver
        # bug (or-tools #5141), and deletion re-checks the rest anyway.
        named = {
            int(i) for i in solver.sufficient_assumptions_for_infeasibility()
        }
        return "infeasible", [
            m for m in members if self.literals[m].index in named
        ]


def infeasibility_core(
    cands: CandidateSet,
    usable: np.ndarray,
    pins: list[list[int]],
    *,
    time_limit: float = DEFAULT_CORE_TIME_LIMIT,
    max_solves: int = DEFAULT_MAX_SOLVES,
) -> CoreOutcome:
    """Find a smallest set of pins and limits that cannot hold together.

    Parameters
    ----------
    cands
        The candidate pairs.
    usable
        Mask of candidates that get a variable (as for the engine).
    pins
        Pin groups: candidate positions of which at least one must be
        chosen.  Every position must be usable.
    time_limit
        Seconds per feasibility solve.
    max_solves
        Cap on solves; when reached, the core found so far is returned
        with ``minimal=False``.

    Returns
    -------
    CoreOutcome
        ``infeasible`` with a core every accepted step of which was proven
        infeasible, ``feasible`` when every rule can hold, or ``unknown``.

    Raises
    ------
    SolverError
        If CP-SAT reports the model invalid, or the final re-check of the
        core disagrees with the solves that built it (a solver bug).
    """
    model = _FeasibilityModel(cands, usable, pins)
    everything = list(range(len(model.rules)))
    status, named = model.check(everything, time_limit)
    solves = 1
    if status != "infeasible":
        return CoreOutcome(status, (), False, solves)
    core = everything
    if named and len(named) < len(core):
        # CP-SAT's own core is a good start, but it is only accepted once
        # proven on its own.
        verdict, again = model.check(named, time_limit)
        solves += 1
        if verdict == "infeasible":
            core, named = named, again
    minimal = True
    necessary: set[int] = set()
    # Rules outside CP-SAT's latest core are tried first: most go.
    hint = set(named)
    while True:
        untested = [m for m in core if m not in necessary]
        if not untested:
            break
        if solves >= max_solves:
            minimal = False
            break
        untested.sort(key=lambda m: (m in hint, m))
        member = untested[0]
        trial = [m for m in core if m != member]
        verdict, named = model.check(trial, time_limit)
        solves += 1
        if verdict == "infeasible":
            core = trial  # proven infeasible without *member*
            hint = set(named)
        else:
            # Feasible without it: it is needed.  Unknown: keep it, but
            # the core is then not proven minimal.
            necessary.add(member)
            minimal &= verdict == "feasible"
    verdict, _ = model.check(core, time_limit)
    solves += 1
    if verdict != "infeasible":
        raise SolverError(
            "the infeasibility core did not re-check as infeasible "
            f"({verdict}); please report this"
        )
    return CoreOutcome(
        "infeasible", tuple(model.rules[m] for m in core), minimal, solves
    )


def rules_status(
    cands: CandidateSet,
    usable: np.ndarray,
    pins: list[list[int]],
    rules: tuple[CoreRule, ...],
    *,
    time_limit: float = DEFAULT_CORE_TIME_LIMIT,
) -> CoreStatus:
    """Return whether *rules* alone can hold (the other rules free).

    Parameters
    ----------
    cands, usable, pins
        As for :func:`infeasibility_core`.
    rules
        Rules as returned in a :class:`CoreOutcome`.
    time_limit
        Seconds for the solve.

    Returns
    -------
    str
        ``infeasible``, ``feasible`` or ``unknown``.

    Raises
    ------
    ValueError
        If a rule is not one of the model's.
    """
    model = _FeasibilityModel(cands, usable, pins)
    position = {rule: m for m, rule in enumerate(model.rules)}
    missing = [rule for rule in rules if rule not in position]
    if missing:
        raise ValueError(f"rules not in the model: {missing}")
    status, _ = model.check([position[r] for r in rules], time_limit)
    return status


class BudgetCheck:
    """Answers "would lifting the budget alone let this need be met?".

    A need left out of a proposal whose budget is spent is blamed on the
    budget only when, with every other rule kept (pins, capacity, partner
    and seeker limits), the need can be met together with every need the
    proposal meets; buddies may be rearranged for that.  Fees depend only
    on which needs are met (a tier's fee per buddy), so the question is
    one feasibility solve per need, on one model built once: each need's
    cover sits behind its own assumption literal.

    Parameters
    ----------
    cands, usable, pins
        As for :func:`infeasibility_core`.
    met
        Indices of the needs the proposal meets.
    """

    def __init__(
        self,
        cands: CandidateSet,
        usable: np.ndarray,
        pins: list[list[int]],
        met: np.ndarray,
    ) -> None:
        self._model = _FeasibilityModel(cands, usable, pins)
        self._on = [
            m
            for m, rule in enumerate(self._model.rules)
            if rule.kind != "budget"
        ]
        self._met = [int(n) for n in met.tolist()]
        self._cover: dict[int, cp_model.IntVar] = {}

    @property
    def spent(self) -> float:
        """Deterministic time of the solves so far."""
        return self._model.dtime

    def _covers(self, need: int) -> cp_model.IntVar | None:
        """Return a literal forcing *need* to be met, if it can be."""
        covered = self._model.vars.covered.get(need)
        if covered is None:
            return None
        if need not in self._cover:
            literal = self._model.model.new_bool_var(f"cover_{need}")
            self._model.model.add(covered == 1).only_enforce_if(literal)
            self._cover[need] = literal
        return self._cover[need]

    def __call__(
        self, need: int, time_limit: float, deterministic: bool = False
    ) -> bool | None:
        """Return whether *need* can be met alongside the met needs with
        every rule but the budget; ``None`` when time ran out first.

        Parameters
        ----------
        need
            The unmet need's index.
        time_limit
            Seconds (deterministic time when *deterministic*).
        deterministic
            Use deterministic time.
        """
        wanted = [self._covers(n) for n in (*self._met, need)]
        if any(literal is None for literal in wanted):
            return False  # a need without usable candidates
        verdict, _ = self._model.check(
            self._on,
            time_limit,
            extra=[w for w in wanted if w is not None],
            deterministic=deterministic,
        )
        if verdict == "unknown":
            return None
        return verdict == "feasible"
