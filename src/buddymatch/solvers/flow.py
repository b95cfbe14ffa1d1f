"""The exact min-cost-flow path, for problems with transportation structure.

Reviewer-style problems (user scores in ``pairs.csv``, one need per seeker,
unit workloads) are transportation problems: their cover and quality are
one min-cost flow, whose optimum is integral, so no search is needed.
`flow_structure` says whether a problem has that structure and
`solve_flow` solves it with OR-Tools' ``SimpleMinCostFlow`` (which
loads neither CP-SAT nor pandas).

The condition
-------------
Call a need *active* when it has a usable pair
(`usable_candidates`); only active needs
can ever be met, so only they can couple anything.  The flow path is taken
when all of these hold:

1. every usable pair's workload is 1;
2. no pins (no ``pinned`` relation);
3. the budget is ``None``, or the fees of all usable pairs together fit
   it (in whole pence, as the budget rule counts them);
4. ``max_buddies_per_seeker`` is ``None``, or no seeker's distinct buddies
   can exceed it: it is at least the smaller of the buddies its active
   needs ask for and the distinct buddies among their usable pairs;
5. either every seeker has at most one active need, or
   ``partnership_cost`` is 0 and no buddy's partner limit (its own
   ``max_partners``, else the policy's) is below the number of distinct
   seekers among its usable pairs.

With one active need per seeker, each assignment is its own partnership
(a need's buddies are distinct), so the partnership cost is a cost per
assignment and a buddy's partners are its assignments: its partner limit
caps the same count as its capacity.  Otherwise neither term can matter.

The network
-----------
source → need (capacity ``buddies``, cost −M(priority)); need → buddy per
usable pair (capacity 1, so a need's buddies are distinct; cost −q, with q
the pair's score in units less the partnership cost in units when each
seeker has one active need); buddy → sink (capacity: its capacity, and its
partner limit too when each seeker has one active need); and a bypass
source → sink with cost 0, so that the source's supply (the buddies every
active need asks for) need not all be placed: units that would only cost
go round.  A min-cost flow is then a maximum-weight flow.

Why its optimum is the lexicographic optimum
--------------------------------------------
Let ``D = U − L``, where U (L) sums, over the active needs, the
``buddies`` largest positive (smallest negative) q of the need's pairs:
the quality of any flow lies in [L, U].  Going up the priorities p
(1, 2, 3), ``M(p) = Σ_{p' < p} N(p') M(p') + D + 1``, where N(p') counts
the units needs of priority p' can take (Σ buddies).  Two flows whose
cover (units per priority) first differs at priority p by at least one
unit differ in weight by at least ``M(p) − Σ_{p'<p} N(p') M(p') − D = 1``
in favour of the higher cover, whatever the quality; flows with the same
cover are ranked by quality.  So the min-cost flow maximises units of
priority 3, then 2, then 1, then quality.  Every proposal that obeys the
rules is a flow (conditions 1-5 make every other rule slack or an arc
capacity), and an integral optimum exists and is what the solver returns.

* When every need asks for one buddy, a unit is a need met: the optimum
  is the lexicographic optimum (cover per priority, then quality) over
  all proposals.
* When some need asks for more, a flow may give a need only some of its
  buddies, which no proposal may do.  The answer is used only when the
  optimum meets *every* active need in full: its cover is then every
  need that could be met at all, the most possible at every priority,
  and any proposal with that cover saturates the same source arcs with
  the same M-weight, so the min-cost flow has the best quality among
  them.  Otherwise `solve_flow` returns ``None`` and the search
  decides.

All weights are integers (`to_units`); when
they could overflow the solver's 64-bit arithmetic (cost-scaling
multiplies costs by the number of nodes) the path is not taken.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import numpy as np

from buddymatch.candidates import CandidateSet
from buddymatch.result import Result
from buddymatch.scoring import POINTS_SCALE, from_units, to_units
from buddymatch.solvers.assemble import assemble
from buddymatch.solvers.progress import Reporter
from buddymatch.solvers.room import FEE_SCALE, budget_units

#: Keep every weight, times the number of nodes, well inside int64.
MAX_WEIGHT = 2**62
#: The stage name and bound source the flow path records.
BACKEND = "min-cost-flow"

__all__ = ["BACKEND", "FlowStructure", "flow_structure", "solve_flow"]


@dataclass(frozen=True)
class FlowStructure:
    """A problem's flow network data, when it has flow structure.

    Attributes
    ----------
    pairs
        Positions of the usable candidate pairs (need → buddy arcs).
    quality
        Quality units of each of those pairs (score less the partnership
        cost when each assignment is its own partnership).
    buddy_cap
        Per trust, the most assignments it may take.
    one_need_per_seeker
        Whether each seeker has at most one active need.
    """

    pairs: np.ndarray
    quality: np.ndarray
    buddy_cap: np.ndarray
    one_need_per_seeker: bool


def _partner_limits(cands: CandidateSet) -> np.ndarray:
    """Each trust's partner limit (-1: none)."""
    policy = cands.policy
    default = -1 if policy.max_partners is None else policy.max_partners
    return np.fromiter(
        (
            default if t.max_partners is None else t.max_partners
            for t in cands.problem.trusts
        ),
        np.int64,
        len(cands.problem.trusts),
    )


def _distinct(keys_a: np.ndarray, keys_b: np.ndarray, n: int) -> np.ndarray:
    """Per value of *keys_a* (0..n-1), the number of distinct *keys_b*."""
    if not len(keys_a):
        return np.zeros(n, dtype=np.int64)
    pairs = np.unique(np.stack([keys_a, keys_b]), axis=1)
    return np.bincount(pairs[0], minlength=n).astype(np.int64)


def flow_structure(
    cands: CandidateSet, usable: np.ndarray
) -> FlowStructure | None:
    """Return the flow network of the problem, or ``None`` when a rule
    couples pairs beyond what a flow can hold (see the module's
    condition).

    Parameters
    ----------
    cands
        The candidate pairs.
    usable
        The mask of usable candidate pairs.

    Returns
    -------
    FlowStructure or None
        The network's data when conditions 1-5 hold.
    """
    problem, policy = cands.problem, cands.policy
    pairs = np.flatnonzero(usable)
    if not len(pairs):
        return None
    if np.any(cands.workload[pairs] != 1):
        return None
    if any(rel.kind == "pinned" for rel in problem.relations):
        return None
    if policy.budget is not None:
        pence = int(np.sum(np.rint(cands.fee[pairs] * FEE_SCALE)))
        if pence > budget_units(policy.budget):
            return None
    n_needs, n_trusts = len(problem.needs), len(problem.trusts)
    n_seekers = len(cands.seekers)
    need = cands.need[pairs].astype(np.int64)
    buddy = cands.buddy[pairs].astype(np.int64)
    seeker = cands.need_seeker[need].astype(np.int64)
    active = np.zeros(n_needs, dtype=bool)
    active[need] = True
    wanted = np.fromiter((n.buddies for n in problem.needs), np.int64, n_needs)
    seeker_of_need = cands.need_seeker.astype(np.int64)
    per_seeker = np.bincount(seeker_of_need[active], minlength=n_seekers)
    seeker_limit = policy.max_buddies_per_seeker
    if seeker_limit is not None:
        asked = np.bincount(
            seeker_of_need[active],
            weights=wanted[active],
            minlength=n_seekers,
        ).astype(np.int64)
        reachable = _distinct(seeker, buddy, n_seekers)
        if np.any(np.minimum(asked, reachable) > seeker_limit):
            return None
    one_need = bool(np.all(per_seeker <= 1))
    limits = _partner_limits(cands)
    capacity = np.fromiter(
        (t.capacity for t in problem.trusts), np.int64, n_trusts
    )
    points = float(np.abs(cands.score[pairs]).sum()) + abs(
        policy.partnership_cost
    ) * len(pairs)
    if not points * POINTS_SCALE < MAX_WEIGHT:
        # Too large to add up exactly; the search reports it.
        return None
    quality = np.asarray(to_units(cands.score[pairs]), dtype=np.int64)
    if one_need:
        # Each assignment is a partnership of its own, and a buddy's
        # partners are its assignments.
        quality = quality - int(to_units(policy.partnership_cost))
        cap = np.where(limits >= 0, np.minimum(capacity, limits), capacity)
    else:
        if to_units(policy.partnership_cost) != 0:
            return None
        partners = _distinct(buddy, seeker, n_trusts)
        if np.any((limits >= 0) & (partners > limits)):
            return None
        cap = capacity
    return FlowStructure(pairs, quality, cap, one_need)


def _weights(
    cands: CandidateSet, flow: FlowStructure, active: np.ndarray
) -> dict[int, int]:
    """The weight M(p) of one unit of cover of priority p (module text)."""
    needs = cands.problem.needs
    n = cands.need[flow.pairs]
    # Each need's pairs in one sorted run (by need, then quality), found
    # by binary search: one pass, not a scan of every pair per need.
    order = np.lexsort((flow.quality, n))
    by_need, quality = n[order], flow.quality[order]
    first = np.searchsorted(by_need, np.arange(len(needs)), side="left")
    last = np.searchsorted(by_need, np.arange(len(needs)), side="right")
    spread = 0
    for k in np.flatnonzero(active).tolist():
        q = quality[first[k] : last[k]]
        b = needs[k].buddies
        spread += int(np.sum(np.maximum(q[-b:], 0)))
        spread -= int(np.sum(np.minimum(q[:b], 0)))
    units: dict[int, int] = {}
    for k in np.flatnonzero(active).tolist():
        p = needs[k].priority
        units[p] = units.get(p, 0) + needs[k].buddies
    weights: dict[int, int] = {}
    below = 0
    for p in sorted(units):
        weights[p] = below + spread + 1
        below += units[p] * weights[p]
    return weights


def solve_flow(
    cands: CandidateSet,
    flow: FlowStructure,
    solver: dict[str, Any],
    *,
    deterministic: bool = False,
    report: Reporter | None = None,
) -> Result | None:
    """Solve a problem of flow structure exactly by min-cost flow.

    Parameters
    ----------
    cands
        The candidate pairs.
    flow
        Its network, from `flow_structure`.
    solver
        The settings record to complete (backend, stage, bound source).
    deterministic
        Leave wall seconds out of the record.
    report
        Told once of the proposal (its quality is its proven bound).

    Returns
    -------
    Result or None
        The proven optimal proposal; ``None`` when the weights could
        overflow, the solver fails, or a need asking for several buddies
        is left partly met (the search must decide then).
    """
    from ortools.graph.python import min_cost_flow

    began = time.perf_counter()
    needs = cands.problem.needs
    n_needs, n_trusts = len(needs), len(cands.problem.trusts)
    need_of = cands.need[flow.pairs].astype(np.int64)
    active_needs = np.unique(need_of)
    active = np.zeros(n_needs, dtype=bool)
    active[active_needs] = True
    weights = _weights(cands, flow, active)
    wanted = np.fromiter((n.buddies for n in needs), np.int64, n_needs)
    priority = np.fromiter((n.priority for n in needs), np.int64, n_needs)
    supply = int(wanted[active].sum())
    top = max(weights.values()) + int(np.abs(flow.quality).max())
    n_nodes = n_needs + n_trusts + 2
    total = sum(
        w * int(wanted[priority == p].sum()) for p, w in weights.items()
    ) + int(np.abs(flow.quality).sum())
    if top * (n_nodes + 1) >= MAX_WEIGHT or total >= MAX_WEIGHT:
        return None
    # Nodes: needs 0..n_needs-1, trusts after them, then source, sink.
    source, sink = n_needs + n_trusts, n_needs + n_trusts + 1
    buddy_node = n_needs + cands.buddy[flow.pairs].astype(np.int64)
    used = np.unique(cands.buddy[flow.pairs]).astype(np.int64)
    need_cost = np.array(
        [-weights[int(priority[k])] for k in active_needs.tolist()],
        dtype=np.int64,
    )
    tails = np.concatenate(
        [
            np.full(len(active_needs), source, np.int64),
            need_of,
            n_needs + used,
            [source],
        ]
    )
    heads = np.concatenate(
        [
            active_needs.astype(np.int64),
            buddy_node,
            np.full(len(used), sink, np.int64),
            [sink],
        ]
    )
    caps = np.concatenate(
        [
            wanted[active_needs],
            np.ones(len(flow.pairs), np.int64),
            flow.buddy_cap[used],
            [supply],
        ]
    )
    costs = np.concatenate(
        [
            need_cost,
            -flow.quality,
            np.zeros(len(used), np.int64),
            [0],
        ]
    )
    network = min_cost_flow.SimpleMinCostFlow()
    network.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    network.set_node_supply(source, supply)
    network.set_node_supply(sink, -supply)
    if network.solve() != network.OPTIMAL:
        return None
    first = len(active_needs)
    arcs = np.arange(first, first + len(flow.pairs))
    taken = network.flows(arcs) > 0
    per_need = np.bincount(need_of[taken], minlength=n_needs)
    if np.any(wanted[active] > 1) and np.any(
        per_need[active] != wanted[active]
    ):
        # A need asking for several buddies may be partly met in a flow:
        # only a flow meeting every active need in full is proven best.
        return None
    chosen = np.zeros(cands.n_candidates, dtype=bool)
    chosen[flow.pairs[taken]] = True
    quality = from_units(int(flow.quality[taken].sum()))
    stage: dict[str, Any] = {
        "stage": BACKEND,
        "status": "optimal",
        "objective": quality,
    }
    if not deterministic:
        stage["wall"] = time.perf_counter() - began
    solver.update(
        {
            "backend": BACKEND,
            "ortools": version("ortools"),
            "workers": 1,
            "stages": [stage],
            "bound_source": BACKEND,
        }
    )
    if report is not None:
        if report.wants_events:
            met = (per_need == wanted) & (per_need > 0)
            report.best(
                {
                    int(p): int(np.count_nonzero(met & (priority == p)))
                    for p in np.unique(priority).tolist()
                }
            )
        report.quality_found(quality, quality, 0.0)
    return assemble(cands, chosen, "optimal", bound=quality, solver=solver)
