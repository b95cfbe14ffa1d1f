"""Settings and outcome of a search, as plain data (no solver loaded).

[`buddymatch.solvers.propose`][buddymatch.solvers.propose] builds the settings
and records them in
the result before it knows whether a search is needed at all: the
min-cost-flow path must not load CP-SAT, so these types live here rather
than in `cpsat.solve`, which re-exports them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import numpy as np

__all__ = ["Outcome", "SolverSettings"]


@dataclass
class SolverSettings:
    """CP-SAT settings of one call of `solve`."""

    time_limit: float
    seed: int
    workers: int
    deterministic: bool
    log_search: bool = False
    stop: threading.Event | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: A ``time.perf_counter()`` time no stage may run past (outside
    #: deterministic mode): the caller's whole-call limit, less what it
    #: keeps for itself.  ``time_limit`` still caps the stages' own time.
    deadline: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the settings for the result's ``solver`` field.

        Everything a deterministic answer depends on besides the input:
        time limit, seed, workers, mode and the OR-Tools version.
        """
        return {
            "backend": "ortools-cpsat",
            "ortools": version("ortools"),
            "time_limit": self.time_limit,
            "seed": self.seed,
            "workers": self.workers,
            "deterministic": self.deterministic,
            **{f"cpsat.{k}": v for k, v in self.extra.items()},
        }


@dataclass
class Outcome:
    """What the solver found, as plain data."""

    status: str  # optimal | feasible | infeasible | no_solution
    chosen: np.ndarray  # bool mask over all candidate pairs
    bound: float | None = None
    stages: list[dict[str, Any]] = field(default_factory=list)
    #: Proven upper bound on each priority's cover (priority -> needs),
    #: given at least the proposal's cover of every higher priority;
    #: empty when the model is a shortlist (its bounds prove nothing).
    cover_bounds: dict[int, int] = field(default_factory=dict)
    #: Set when a shortlist was modelled (see solvers.shortlist).
    shortlist: dict[str, int | bool] | None = None
