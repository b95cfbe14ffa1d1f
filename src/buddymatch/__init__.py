"""buddymatch: propose buddying arrangements between NHS trusts.

The public API is re-exported here; see ``docs/api.md``::

    import buddymatch as bm

    problem = bm.read_problem("trusts.csv", relations="relations.csv")
    policy = bm.Policy(max_travel_minutes=150)
    result = bm.propose(problem, policy, time_limit=10)
    assert bm.verify(problem, policy, result) == []
"""

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
    render_explanations_markdown,
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
from buddymatch.mapping import read_result, write_map
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
from buddymatch.rematch import Arrangement, RematchResult, rematch
from buddymatch.report import render_markdown
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
from buddymatch.terms import Terms, seeker_costs, terms_for, write_terms
from buddymatch.travel import StraightLine, TravelMatrix, TravelModel
from buddymatch.verify import Violation, recompute_objective, verify

__version__ = "0.1.0"

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
