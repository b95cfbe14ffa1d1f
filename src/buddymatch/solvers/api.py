"""What the explanations use of the solvers, in one place.

[`buddymatch.explain`][buddymatch.explain] imports from here only (and
[`buddymatch.solvers.propose`][buddymatch.solvers.propose] for its re-solves),
never from the
modules behind it, so that the solvers may change their insides freely:

- the candidates a proposal may use and the pins they honour
  (`usable_candidates`, `coverable_candidates`,
  `resolve_pins`);
- the words of the unmet reasons (`workload_source`,
  `workload_words`, `capacity_shortfall`,
  `too_few_fitting`);
- the room a proposal leaves (`ProposalUse`, `NeedRoom`,
  `BLOCKS`, `over_budget`), shared with the unmet reasons;
- the infeasibility cores (`infeasibility_core`, `CoreRule`,
  `DEFAULT_CORE_TIME_LIMIT`), which load CP-SAT.
"""

from __future__ import annotations

from buddymatch.solvers.assemble import resolve_pins
from buddymatch.solvers.cpsat.constraints import CoreRule
from buddymatch.solvers.cpsat.core import (
    DEFAULT_CORE_TIME_LIMIT,
    CoreOutcome,
    infeasibility_core,
    rules_status,
)
from buddymatch.solvers.reasons import (
    capacity_shortfall,
    too_few_fitting,
    workload_source,
    workload_words,
)
from buddymatch.solvers.room import (
    BLOCKS,
    NeedRoom,
    ProposalUse,
    coverable_candidates,
    over_budget,
    usable_candidates,
)

__all__ = [
    "BLOCKS",
    "DEFAULT_CORE_TIME_LIMIT",
    "CoreOutcome",
    "CoreRule",
    "NeedRoom",
    "ProposalUse",
    "capacity_shortfall",
    "coverable_candidates",
    "infeasibility_core",
    "over_budget",
    "resolve_pins",
    "rules_status",
    "too_few_fitting",
    "usable_candidates",
    "workload_source",
    "workload_words",
]
