"""The score of a (need, buddy) pair, term by term.

A pair's score is the sum of five terms, each in *points* and rounded to
0.001 (the resolution of every score):

``expertise``  ``weight_expertise`` × the buddy's level (0-5) in the area;
``culture``    ``weight_culture`` × culture fit (0-1);
``travel``     − ``weight_travel`` × travel minutes (the soft side of the
               travel window: shorter is better);
``preferred``  ``bonus_preferred`` for a ``preferred`` relation;
``prior``      ``bonus_prior`` for a ``prior`` relationship.

A user-supplied override score replaces all five.  Points become integers
for the solver in one place only, `to_units`.
"""

from __future__ import annotations

from typing import overload

import numpy as np
from numpy.typing import NDArray

from buddymatch.model import CULTURE_MAX, Policy
from buddymatch.rules import SCORE_TERMS

#: Integer units per point: the ONE place float points become integers
#: (``int(round(points * POINTS_SCALE))``), so scores resolve to 0.001.
POINTS_SCALE = 1000
#: Decimals every score and term is rounded to (matches POINTS_SCALE).
SCORE_DECIMALS = 3
#: The pair-score terms, in the order they are summed.
TERMS: tuple[str, ...] = SCORE_TERMS

# Pairs are computed in row blocks of about this many elements.
_BLOCK_ELEMENTS = 1 << 16

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@overload
def to_units(points: float) -> int: ...
@overload
def to_units(points: NDArray[np.floating]) -> IntArray: ...
def to_units(points: float | NDArray[np.floating]) -> int | IntArray:
    """Return points as integer solver units (round half to even).

    Parameters
    ----------
    points
        A score or an array of scores, in points.

    Returns
    -------
    int or numpy.ndarray
        ``round(points * POINTS_SCALE)``: an ``int`` for a scalar, an int64
        array for an array.
    """
    if isinstance(points, np.ndarray):
        units: IntArray = np.rint(points * POINTS_SCALE).astype(np.int64)
        return units
    return round(float(points) * POINTS_SCALE)


def from_units(units: int | np.integer) -> float:
    """Return integer solver units as points.

    Parameters
    ----------
    units
        Units, as made by `to_units`.

    Returns
    -------
    float
        ``units / POINTS_SCALE``, rounded to the score resolution.
    """
    return round(int(units) / POINTS_SCALE, SCORE_DECIMALS)


def round_points(points: NDArray[np.floating]) -> FloatArray:
    """Round points to the score resolution, with no negative zeros.

    Parameters
    ----------
    points
        Scores or terms.

    Returns
    -------
    numpy.ndarray
        float64, rounded to `SCORE_DECIMALS` decimals.
    """
    rounded: FloatArray = np.asarray(
        np.round(points.astype(np.float64), SCORE_DECIMALS), np.float64
    )
    # -0.0 + 0.0 is 0.0: a zero travel term should print as 0, not -0.
    rounded += 0.0
    return rounded


def pair_terms(
    expertise_level: NDArray[np.integer],
    fit: FloatArray,
    minutes: FloatArray,
    preferred: NDArray[np.bool_],
    prior: NDArray[np.bool_],
    policy: Policy,
) -> dict[str, FloatArray]:
    """Return the score terms of pairs, each rounded to 0.001.

    Parameters
    ----------
    expertise_level
        The buddy's level (0-5) in the need's area, per pair.
    fit
        Culture fit (0-1, already rounded to 4 decimals), per pair.
    minutes
        Travel minutes (already rounded to 0.1), per pair.
    preferred, prior
        Whether a ``preferred`` / ``prior`` relation joins the pair.
    policy
        Weights and bonuses.

    Returns
    -------
    dict
        One float64 array per name of `TERMS`, in that order.
    """
    # Levels are 0-5 and the bonuses all-or-nothing: round each possible
    # value once and look it up, rather than rounding per pair.
    levels = np.asarray(expertise_level, dtype=np.int64)
    top = int(levels.max(initial=0)) + 1
    by_level = round_points(policy.weight_expertise * np.arange(top))
    return {
        "expertise": by_level[levels],
        "culture": round_points(policy.weight_culture * fit),
        "travel": round_points(-policy.weight_travel * minutes),
        "preferred": _bonus(policy.bonus_preferred, preferred),
        "prior": _bonus(policy.bonus_prior, prior),
    }


def _bonus(points: float, flags: NDArray[np.bool_]) -> FloatArray:
    value = float(round_points(np.asarray(points)))
    result: FloatArray = np.where(flags, value, 0.0)
    return result


def sum_terms(terms: dict[str, FloatArray]) -> FloatArray:
    """Return the pair scores: the terms summed in `TERMS` order.

    Parameters
    ----------
    terms
        As from `pair_terms`.

    Returns
    -------
    numpy.ndarray
        Scores rounded to 0.001.
    """
    total = np.zeros_like(terms[TERMS[0]])
    for name in TERMS:
        total += terms[name]
    return round_points(total)


def culture_fit(
    profiles_a: NDArray[np.floating],
    profiles_b: NDArray[np.floating],
) -> FloatArray:
    """Return the culture fit of every pair of profiles.

    Fit = 1 − RMS(difference of the two profiles) ÷ 10, so 1 means
    identical profiles and 0 the largest possible difference on the 0-10
    scale.  With no dimensions every fit is 1 (culture plays no part).

    Parameters
    ----------
    profiles_a
        ``(n_a, d)`` culture scores.
    profiles_b
        ``(n_b, d)`` culture scores, same dimensions in the same order.

    Returns
    -------
    numpy.ndarray
        float64 ``(n_a, n_b)``, unrounded.

    Raises
    ------
    ValueError
        If the two have different numbers of dimensions.
    """
    a = np.asarray(profiles_a, dtype=np.float64)
    b = np.asarray(profiles_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            f"profiles must be (n, d) with the same d, not {a.shape} and "
            f"{b.shape}"
        )
    n_a, n_dims = a.shape
    n_b = b.shape[0]
    result = np.empty((n_a, n_b))
    if n_dims == 0:
        result.fill(1.0)
        return result
    if result.size == 0:
        return result
    # Blocks of rows keep the temporaries small and in cache.  One dimension
    # at a time, element by element: exact and independent of the order of
    # the trusts (a matrix product would sum in blocks).
    rows = max(1, _BLOCK_ELEMENTS // n_b)
    diff = np.empty((rows, n_b))
    for start in range(0, n_a, rows):
        stop = min(start + rows, n_a)
        block = result[start:stop]
        tmp = diff[: stop - start]
        block.fill(0.0)
        for k in range(n_dims):
            np.subtract(a[start:stop, k, None], b[None, :, k], out=tmp)
            np.square(tmp, out=tmp)
            block += tmp
        block /= n_dims
        np.sqrt(block, out=block)
        block /= -CULTURE_MAX
        block += 1.0
    return result
