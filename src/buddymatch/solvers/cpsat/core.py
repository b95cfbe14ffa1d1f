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

from dataclasses import dataclass
from typing import Literal

import numpy as np
from ortools.sat.python import cp_model

from buddymatch.candidates import CandidateSet
from buddymatch.errors import SolverError
from buddymatch.solvers.cpsat.constraints import Constraints, CoreRule
from buddymatch.solvers.cpsat.variables import Variables

CoreStatus = Literal["infeasible", "feasible", "unknown"]

#: Default seconds per feasibility solve.
DEFAULT_CORE_TIME_LIMIT = 10.0
#: Default cap on solves while shrinking a core (a bigger core is reported
#: as not proven minimal).
DEFAULT_MAX_SOLVES = 200


@dataclass(frozen=True)
class CoreOutcome:
    """What the feasibility solves found.

    Attributes
    ----------
    status
        ``infeasible`` (``core`` names the conflict), ``feasible`` (every
        rule can hold) or ``unknown`` (time ran out before a verdict).
    core
        The conflicting rules, in the order the model adds them: pins,
        then capacities and partner limits (by trust), seeker limits (by
        seeker) and the budget.
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
    """The engine's rules, with the pins and limits behind literals."""

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
        rules = Constraints(
            self.model,
            cands,
            self.vars,
            pins,
            guard=self._guard,
            in_trust_order=True,
        )
        rules.cover_with_exact_buddies()
        rules.link_partnerships(exact=True)
        rules.pins()
        rules.buddy_capacity()
        rules.buddy_partner_limit()
        rules.seeker_buddy_limit()
        rules.budget()

    def _guard(self, rule: CoreRule) -> cp_model.IntVar:
        """Return a new assumption literal switching *rule* on."""
        literal = self.model.new_bool_var(f"rule_{len(self.rules)}")
        self.rules.append(rule)
        self.literals.append(literal)
        return literal

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
        As for `infeasibility_core`.
    rules
        Rules as returned in a `CoreOutcome`.
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
        As for `infeasibility_core`.
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
