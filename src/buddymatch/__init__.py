"""buddymatch: propose buddying arrangements between NHS trusts.

The public API is re-exported here; see ``docs/api.md``.
"""

from buddymatch.errors import (
    BuddymatchError,
    BuddymatchWarning,
    InputError,
    InputProblem,
    SolverError,
)
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
from buddymatch.result import (
    Assignment,
    Partnership,
    Result,
    UnmetNeed,
)

__version__ = "0.1.0"

__all__ = [
    "Assignment",
    "BuddymatchError",
    "BuddymatchWarning",
    "InputError",
    "InputProblem",
    "Need",
    "PairOverride",
    "Partnership",
    "Policy",
    "Problem",
    "Relation",
    "Result",
    "SolverError",
    "Tier",
    "TravelTime",
    "Trust",
    "UnmetNeed",
    "__version__",
]
