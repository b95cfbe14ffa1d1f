"""buddymatch: propose buddying arrangements between NHS trusts.

The public API is re-exported here; see ``docs/api.md``::

    import buddymatch as bm

    problem = bm.read_problem("trusts.csv", relations="relations.csv")
    policy = bm.Policy(max_travel_minutes=150)
    result = bm.propose(problem, policy, time_limit=10)
    assert bm.verify(problem, policy, result) == []
"""

# Names are imported on first use (PEP 562): ``import buddymatch`` (and so
# ``import buddymatch.errors`` or ``buddymatch --help``) must not pay for
# OR-Tools, pandas or networkx, which only solving and some checks need.
from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real imports, for type checkers and IDEs
    from buddymatch.candidates import CandidateSet, build_candidates
    from buddymatch.errors import (
        BuddymatchError,
        BuddymatchWarning,
        InputError,
        InputProblem,
        OutputError,
        SolverError,
    )
    from buddymatch.examples import example_dir, write_example
    from buddymatch.explain import (
        explain_infeasibility,
        explain_pair,
        explain_result,
    )
    from buddymatch.io import (
        read_arrangements,
        read_policy,
        read_problem,
        read_problem_json,
        write_arrangements,
        write_pairings_csv,
        write_policy_toml,
        write_problem_csv,
        write_problem_json,
    )
    from buddymatch.mapping import read_result
    from buddymatch.model import (
        Need,
        PairOverride,
        Policy,
        Problem,
        Relation,
        Tier,
        TravelTime,
        Trust,
    )
    from buddymatch.params import SolveParams
    from buddymatch.rematch import Arrangement, RematchResult, rematch
    from buddymatch.render import write_map
    from buddymatch.render.explanation import render_explanations_markdown
    from buddymatch.render.report import render_markdown
    from buddymatch.render.terms import write_terms
    from buddymatch.result import (
        Assignment,
        BuddyUse,
        Coverage,
        Partnership,
        Result,
        UnmetNeed,
    )
    from buddymatch.schema import json_schema
    from buddymatch.solvers import propose
    from buddymatch.sweep import propose_many
    from buddymatch.terms_model import Terms, seeker_costs, terms_for
    from buddymatch.travel import StraightLine, TravelMatrix, TravelModel
    from buddymatch.verify import Violation, recompute_objective, verify

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_LAZY: dict[str, str] = {
    "Arrangement": "buddymatch.rematch",
    "Assignment": "buddymatch.result",
    "BuddymatchError": "buddymatch.errors",
    "BuddymatchWarning": "buddymatch.errors",
    "BuddyUse": "buddymatch.result",
    "build_candidates": "buddymatch.candidates",
    "CandidateSet": "buddymatch.candidates",
    "Coverage": "buddymatch.result",
    "example_dir": "buddymatch.examples",
    "explain_infeasibility": "buddymatch.explain",
    "explain_pair": "buddymatch.explain",
    "explain_result": "buddymatch.explain",
    "InputError": "buddymatch.errors",
    "InputProblem": "buddymatch.errors",
    "json_schema": "buddymatch.schema",
    "Need": "buddymatch.model",
    "OutputError": "buddymatch.errors",
    "PairOverride": "buddymatch.model",
    "Partnership": "buddymatch.result",
    "Policy": "buddymatch.model",
    "Problem": "buddymatch.model",
    "propose": "buddymatch.solvers",
    "propose_many": "buddymatch.sweep",
    "read_arrangements": "buddymatch.io",
    "read_policy": "buddymatch.io",
    "read_problem": "buddymatch.io",
    "read_problem_json": "buddymatch.io",
    "read_result": "buddymatch.mapping",
    "recompute_objective": "buddymatch.verify",
    "Relation": "buddymatch.model",
    "rematch": "buddymatch.rematch",
    "RematchResult": "buddymatch.rematch",
    "render_explanations_markdown": "buddymatch.render.explanation",
    "render_markdown": "buddymatch.render.report",
    "Result": "buddymatch.result",
    "seeker_costs": "buddymatch.terms_model",
    "SolveParams": "buddymatch.params",
    "SolverError": "buddymatch.errors",
    "StraightLine": "buddymatch.travel",
    "Terms": "buddymatch.terms_model",
    "terms_for": "buddymatch.terms_model",
    "Tier": "buddymatch.model",
    "TravelMatrix": "buddymatch.travel",
    "TravelModel": "buddymatch.travel",
    "TravelTime": "buddymatch.model",
    "Trust": "buddymatch.model",
    "UnmetNeed": "buddymatch.result",
    "verify": "buddymatch.verify",
    "Violation": "buddymatch.verify",
    "write_arrangements": "buddymatch.io",
    "write_example": "buddymatch.examples",
    "write_map": "buddymatch.render",
    "write_pairings_csv": "buddymatch.io",
    "write_policy_toml": "buddymatch.io",
    "write_problem_csv": "buddymatch.io",
    "write_problem_json": "buddymatch.io",
    "write_terms": "buddymatch.render.terms",
}

__all__ = [
    "Arrangement",
    "Assignment",
    "BuddyUse",
    "BuddymatchError",
    "BuddymatchWarning",
    "CandidateSet",
    "Coverage",
    "InputError",
    "InputProblem",
    "Need",
    "OutputError",
    "PairOverride",
    "Partnership",
    "Policy",
    "Problem",
    "Relation",
    "RematchResult",
    "Result",
    "SolveParams",
    "SolverError",
    "StraightLine",
    "Terms",
    "Tier",
    "TravelMatrix",
    "TravelModel",
    "TravelTime",
    "Trust",
    "UnmetNeed",
    "Violation",
    "__version__",
    "build_candidates",
    "example_dir",
    "explain_infeasibility",
    "explain_pair",
    "explain_result",
    "json_schema",
    "propose",
    "propose_many",
    "read_arrangements",
    "read_policy",
    "read_problem",
    "read_problem_json",
    "read_result",
    "recompute_objective",
    "rematch",
    "render_explanations_markdown",
    "render_markdown",
    "seeker_costs",
    "terms_for",
    "verify",
    "write_arrangements",
    "write_example",
    "write_map",
    "write_pairings_csv",
    "write_policy_toml",
    "write_problem_csv",
    "write_problem_json",
    "write_terms",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    # Cache it: later look-ups do not come back here.
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the public names with the module's own, loaded or not."""
    return sorted(set(globals()) | set(__all__))


class _Package(ModuleType):
    """The package module, keeping ``verify`` and ``rematch`` functions.

    ``buddymatch.verify`` and ``buddymatch.rematch`` are both submodules
    and public functions.  Importing a submodule makes the import system
    set it as an attribute of the package, which would hide the function
    of the same name once anything has imported the submodule (the eager
    ``__init__`` rebound the functions after that).  So a submodule never
    replaces a public name here; ``sys.modules`` still has it.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, ModuleType) and name in _LAZY:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
