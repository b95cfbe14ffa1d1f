"""The lexicographic objective: cover by priority, then quality.

Cover comes first, priority by priority (3, then 2, then 1): a feasible
full cover is never given up for a better score.  Each stage is a solve of
its own whose result is fixed for the next; the last stage maximises
quality = sum of assignment scores - partnership_cost x partnerships.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from buddymatch.candidates import CandidateSet
from buddymatch.errors import InputError, InputProblem
from buddymatch.scoring import POINTS_SCALE, to_units
from buddymatch.solvers.cpsat.variables import Variables
from buddymatch.solvers.tally import PRIORITY_ORDER

__all__ = [
    "PRIORITY_ORDER",
    "check_range",
    "cover_terms",
    "fix_cover",
    "maximize",
    "quality_coefficients",
    "set_cover_objective",
    "set_quality_objective",
]


def cover_terms(
    cands: CandidateSet, variables: Variables, priority: int
) -> list[cp_model.IntVar]:
    """Return the cover variables of the needs of *priority*."""
    needs = cands.problem.needs
    return [
        var
        for n, var in variables.covered.items()
        if needs[n].priority == priority
    ]


def maximize(
    model: cp_model.CpModel, variables: list[int], coefficients: list[int]
) -> None:
    """Ensures that the next solve maximises sum(coefficient x variable).

    Written straight into the objective message, as CP-SAT's own
    ``maximize`` writes it (a minimisation of the negated sum, scaled by
    -1), because ``maximize`` appends one term per Python call: 1.1 s of
    the 2.2 s model build on "national".
    """
    model.clear_objective()
    objective = model.proto.objective
    objective.vars.extend(variables)
    objective.coeffs.extend([-c for c in coefficients])
    objective.scaling_factor = -1.0


def set_cover_objective(
    model: cp_model.CpModel, terms: list[cp_model.IntVar]
) -> None:
    """Ensures that the next solve maximises the number of *terms* met."""
    maximize(model, [v.index for v in terms], [1] * len(terms))


def fix_cover(
    model: cp_model.CpModel, terms: list[cp_model.IntVar], covered: int
) -> None:
    """Ensures that later stages keep at least *covered* of *terms*."""
    model.add(cp_model.LinearExpr.sum(terms) >= covered)


#: CP-SAT works in 64-bit integers; keep every sum well inside them.
MAX_OBJECTIVE_UNITS = 2**62


def check_range(scores: np.ndarray, partnership: float, partners: int) -> None:
    """Raise if the objective could overflow 64-bit integer arithmetic.

    Checked on the points, before they become integers.  Only pair scores
    supplied by the user (``pairs.csv``) can get near the limit: computed
    scores stay below 10^8 units each.
    """
    total = float(np.abs(scores).sum()) + abs(partnership) * partners
    if not total * POINTS_SCALE < MAX_OBJECTIVE_UNITS:
        largest = float(np.abs(scores).max()) if len(scores) else 0.0
        raise InputError(
            [
                InputProblem(
                    "pairs",
                    None,
                    "score",
                    f"pair scores are too large to add up exactly (largest "
                    f"{largest:.3g} points; the scores and partnership "
                    f"costs together may not exceed "
                    f"{MAX_OBJECTIVE_UNITS / POINTS_SCALE:.3g} points)",
                    "scale your pair scores down, e.g. to 0-1000",
                )
            ]
        )


def quality_coefficients(
    cands: CandidateSet, variables: Variables
) -> tuple[list[int], int]:
    """Return integer score units per assignment variable, and the cost of
    one partnership in the same units (see `buddymatch.scoring`)."""
    check_range(
        cands.score[variables.positions],
        cands.policy.partnership_cost,
        len(variables.partner),
    )
    scores = np.asarray(to_units(cands.score[variables.positions]))
    partnership = int(to_units(cands.policy.partnership_cost))
    return [int(s) for s in scores.tolist()], partnership


def set_quality_objective(
    model: cp_model.CpModel, cands: CandidateSet, variables: Variables
) -> None:
    """Ensures that the next solve maximises quality points."""
    scores, partnership = quality_coefficients(cands, variables)
    indices = [v.index for v in variables.assign]
    if partnership and variables.partner:
        # Only added when non-zero: a zero term would just enlarge the model.
        indices += [v.index for v in variables.partner]
        scores = scores + [-partnership] * len(variables.partner)
    maximize(model, indices, scores)
