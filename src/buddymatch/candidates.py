"""The candidate stage: which buddies may serve which needs, and why not.

Every hard pair rule is applied here, vectorised over needs × trusts, in the
order of `REASONS`; each excluded pair records the *first* rule that
excludes it.  The pairs that pass are the candidates the solver chooses
from, each with its travel minutes, culture fit, expertise, workload, fee
and score terms.

Numbers are rounded once, here: minutes to 0.1 and culture fit to 4
decimals; every rule compares the rounded values, and so does ``verify``.

Travel and culture fit are computed for seekers × trusts only, and only
towards trusts that the rules before the travel window (``self``,
``not_a_buddy``, ``expertise``) leave open for at least one need: the
columns of the others are NaN in `CandidateSet.minutes` and
`CandidateSet.fit` (their reason never depends on them).  With a user
travel matrix, only pairs open for at least one of *that seeker's* needs
must have a time; the others are NaN too and are reported under the earlier
rule, so a matrix need not list pairs that could never be partners.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from buddymatch.conflicts import (
    Ban,
    banned_pairs,
    neighbour_mask,
    too_far_mask,
)
from buddymatch.errors import InputError, InputProblem
from buddymatch.model import Policy, Problem, Trust
from buddymatch.rules import PAIR_RULES, RELATION_RULES
from buddymatch.scoring import (
    TERMS,
    culture_fit,
    pair_terms,
    round_points,
    sum_terms,
)
from buddymatch.travel import (
    StraightLine,
    TravelMatrix,
    TravelModel,
    travel_model,
)

#: Exclusion reasons in rule order (the hard pair rules of
#: `buddymatch.rules`); reason code k (1-based) is REASONS[k-1] and 0
#: means "candidate".
REASONS: tuple[str, ...] = PAIR_RULES
#: Reason name -> code.
REASON_CODE: dict[str, int] = {name: k for k, name in enumerate(REASONS, 1)}
#: Decimals of rounded travel minutes and culture fit.
MINUTES_DECIMALS = 1
FIT_DECIMALS = 4
#: The key of the override term in `CandidateSet.terms`.
OVERRIDE_TERM = "override"

# Matrices are filled in row blocks of about this many elements.
_BLOCK_ELEMENTS = 1 << 16

_CODE = {name: np.int8(code) for name, code in REASON_CODE.items()}

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Int32Array = NDArray[np.int32]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class CandidateSet:
    """The candidate (need, buddy) pairs and the exclusion of every other.

    Every array is read-only.  Trust indices are positions in
    ``problem.trusts``; need indices are positions in ``problem.needs``.

    Attributes
    ----------
    problem, policy
        What the set was built from.
    seekers
        Seeker ids in order of first need.
    need_seeker
        int32 ``(n_needs,)``: the row in ``seekers`` of each need.
    minutes
        float64 ``(n_seekers, n_trusts)``: travel minutes from each seeker
        to each trust, rounded to 0.1.  NaN where never computed: towards a
        trust that ``self``, ``not_a_buddy`` or ``expertise`` excludes for
        every need, and, with a travel matrix, for a pair excluded so for
        every need of that seeker.  Never NaN for a candidate.
    fit
        float64 ``(n_seekers, n_trusts)``: culture fit rounded to 4 dp;
        NaN in the same columns as ``minutes``.
    reason
        int8 ``(n_needs, n_trusts)``: the first rule excluding the pair, as
        a code into `REASONS` (1-based); 0 = candidate.
    need, buddy
        int32 ``(k,)``: the candidate pairs, sorted by need then trust.
    expertise
        int64 ``(k,)``: the buddy's level in the need's area.
    workload
        int64 ``(k,)``: the override's workload where given, else the
        tier's.
    fee
        float64 ``(k,)``: the tier's fee.
    terms
        ``name -> float64 (k,)`` for every name of
        `TERMS` plus ``"override"``.  Where a pair
        is overridden, the computed terms are 0 and ``"override"`` holds
        the override score; elsewhere ``"override"`` is 0.  So the terms
        always sum to ``score``.
    overridden
        bool ``(k,)``: the pair's score is user-supplied.
    score
        float64 ``(k,)``: the sum of the terms, rounded to 0.001.
    bans
        ``(seeker_id, buddy_id) -> Ban`` from the relations, for
        explanations.
    """

    problem: Problem
    policy: Policy
    seekers: tuple[str, ...]
    need_seeker: Int32Array
    minutes: FloatArray
    fit: FloatArray
    reason: NDArray[np.int8]
    need: Int32Array
    buddy: Int32Array
    expertise: IntArray
    workload: IntArray
    fee: FloatArray
    terms: dict[str, FloatArray]
    overridden: BoolArray
    score: FloatArray
    bans: dict[tuple[str, str], Ban]

    @property
    def n_candidates(self) -> int:
        """The number of candidate pairs."""
        return int(self.need.size)

    def pairs_of_need(self, need_index: int) -> NDArray[np.intp]:
        """Return the positions of the candidate pairs of one need.

        Parameters
        ----------
        need_index
            Position of the need in ``problem.needs``.

        Returns
        -------
        numpy.ndarray
            Positions into the pair arrays, in trust order.
        """
        # Keys of the array's own dtype: int64 keys made numpy convert the
        # whole int32 array on every call (9 ms at 4.3 million pairs).
        keys = np.array([need_index, need_index + 1], dtype=self.need.dtype)
        lo, hi = np.searchsorted(self.need, keys)
        return np.arange(lo, hi)

    def position(self, need_index: int, trust_index: int) -> int | None:
        """Return the position of the pair (need, trust), if a candidate.

        Parameters
        ----------
        need_index
            Position of the need in ``problem.needs``.
        trust_index
            Position of the buddy in ``problem.trusts``.

        Returns
        -------
        int or None
            Position into the pair arrays, or ``None`` if excluded.
        """
        return _position(self.need, self.buddy, need_index, trust_index)

    def reason_counts(self, need_index: int) -> dict[str, int]:
        """Return how many trusts each rule excludes for one need.

        Parameters
        ----------
        need_index
            Position of the need in ``problem.needs``.

        Returns
        -------
        dict
            Reason name -> count, in `REASONS` order, non-zero only.
        """
        counts = np.bincount(
            self.reason[need_index], minlength=len(REASONS) + 1
        )
        return {
            name: int(counts[code])
            for name, code in REASON_CODE.items()
            if counts[code]
        }

    def exclusion(
        self, need_index: int, trust_index: int
    ) -> tuple[str, str] | None:
        """Say why a trust may not serve a need, with the data.

        Parameters
        ----------
        need_index
            Position of the need in ``problem.needs``.
        trust_index
            Position of the trust in ``problem.trusts``.

        Returns
        -------
        tuple or None
            ``(code, words)``, e.g. ``("too_close", "travel 19.0 min <
            neighbour threshold 30 min")``; ``None`` for a candidate.
        """
        code = int(self.reason[need_index, trust_index])
        if code == 0:
            return None
        name = REASONS[code - 1]
        need = self.problem.needs[need_index]
        trust = self.problem.trusts[trust_index]
        row = int(self.need_seeker[need_index])
        policy = self.policy
        if name == "self":
            words = f"{trust.id} cannot be its own buddy"
        elif name == "not_a_buddy":
            words = _not_a_buddy_words(trust, self.seekers, policy)
        elif name == "expertise":
            level = trust.expertise[need.area]
            if level < policy.min_expertise:
                words = (
                    f"expertise {level} < required {policy.min_expertise} "
                    f"in {need.area}"
                )
            else:
                own = self.problem.trust(need.seeker).expertise[need.area]
                words = (
                    f"expertise {level} <= seeker's own {own} in {need.area} "
                    "(policy.require_stronger_than_seeker is on)"
                )
        elif name == "too_close":
            words = (
                f"travel {self.minutes[row, trust_index]:.1f} min < "
                f"neighbour threshold {policy.min_travel_minutes:g} min"
            )
        elif name == "too_far":
            words = (
                f"travel {self.minutes[row, trust_index]:.1f} min > "
                f"maximum {policy.max_travel_minutes:g} min"
            )
        elif name in RELATION_RULES:
            words = self.bans[(need.seeker, trust.id)].words()
        else:
            words = (
                f"culture fit {self.fit[row, trust_index]:g} < floor "
                f"{policy.min_culture_fit:g}"
            )
        return name, words


def _not_a_buddy_words(
    trust: Trust, seekers: Sequence[str], policy: Policy
) -> str:
    if trust.capacity == 0:
        return "capacity 0: not a buddy"
    if trust.max_partners == 0:
        return "max_partners 0: not a buddy"
    if trust.max_partners is None and policy.max_partners == 0:
        return "policy.max_partners 0: no trust may buddy"
    if trust.id in seekers and not policy.seekers_can_buddy:
        return (
            f"{trust.id} has needs of its own and policy.seekers_can_buddy "
            "is off"
        )
    raise AssertionError(f"{trust.id} is a buddy")  # pragma: no cover


def _check_tiers(problem: Problem, policy: Policy) -> None:
    problems = [
        InputProblem(
            "<problem>",
            f"needs.{i}.tier",
            None,
            f"need {need.seeker}/{need.area} has tier {need.tier!r}, which "
            "the policy does not define",
            f"use one of {', '.join(policy.tiers)}, or define "
            f"[tiers.{need.tier}] (workload, months, fee) in the policy",
        )
        for i, need in enumerate(problem.needs)
        if need.tier not in policy.tiers
    ]
    if problems:
        raise InputError(problems)


def _rounded(
    values: NDArray[Any], decimals: int, *, in_place: bool
) -> FloatArray:
    """Return float64 *values* rounded to *decimals* (in place if asked)."""
    result: FloatArray = (
        np.asarray(values, dtype=np.float64)
        if in_place
        else np.array(values, dtype=np.float64)
    )
    np.round(result, decimals, out=result)
    return result


def _widen(
    values: FloatArray, columns: NDArray[np.intp], n_columns: int
) -> FloatArray:
    """Return *values* placed at *columns* of a NaN matrix."""
    if columns.size == n_columns:
        return values  # every column: the same matrix
    result = np.empty((values.shape[0], n_columns))
    if values.size == 0:
        result.fill(np.nan)
        return result
    # Gather (not scatter) row block by row block, in cache: each wide
    # column takes an open column (any, for closed ones), then closed
    # columns are multiplied by NaN and open ones by 1 (exact).
    source = np.zeros(n_columns, dtype=np.intp)
    source[columns] = np.arange(columns.size)
    factor = np.full(n_columns, np.nan)
    factor[columns] = 1.0
    rows = max(1, _BLOCK_ELEMENTS // n_columns)
    for start in range(0, values.shape[0], rows):
        block = result[start : start + rows]
        np.take(values[start : start + rows], source, axis=1, out=block)
        block *= factor
    return result


def _read_only(*arrays: NDArray[Any]) -> None:
    for array in arrays:
        array.setflags(write=False)


def _any_per_seeker(
    open_pairs: BoolArray, need_seeker: Int32Array, n_seekers: int
) -> BoolArray:
    """OR the rows of needs into rows of their seekers."""
    if n_seekers == 0:
        return np.zeros((0, open_pairs.shape[1]), dtype=bool)
    order = np.argsort(need_seeker, kind="stable")
    starts = np.searchsorted(need_seeker[order], np.arange(n_seekers))
    result: BoolArray = np.logical_or.reduceat(
        open_pairs[order], starts, axis=0
    )
    return result


def _overwrite(codes: NDArray[np.int8], mask: BoolArray, reason: str) -> None:
    """Set *codes* to the code of *reason* where *mask* holds, in place.

    Arithmetic rather than a masked copy: numpy's masked copies branch per
    element and run several times slower on irregular masks.
    """
    codes *= ~mask
    codes += mask.view(np.int8) * _CODE[reason]


def _early_codes(
    problem: Problem,
    policy: Policy,
    levels: NDArray[np.int8],
    need_area: NDArray[np.intp],
    need_trust: NDArray[np.intp],
) -> NDArray[np.int8]:
    """Return (n_needs, n_trusts) codes of the rules before travel.

    ``not_a_buddy`` (per trust) and ``expertise`` (per area and trust, or
    per need with ``require_stronger_than_seeker``); 0 elsewhere.  The
    ``self`` rule is applied by the caller, last, so that it wins.
    """
    trusts = problem.trusts
    n_trusts = len(trusts)
    capacity = np.fromiter((t.capacity for t in trusts), np.int64, n_trusts)
    default_partners = (
        -1 if policy.max_partners is None else policy.max_partners
    )
    max_partners = np.fromiter(
        (
            default_partners if t.max_partners is None else t.max_partners
            for t in trusts
        ),
        np.int64,
        n_trusts,
    )
    not_a_buddy = (capacity == 0) | (max_partners == 0)
    if not policy.seekers_can_buddy:
        not_a_buddy[need_trust] = True
    # One row of codes per area, then one row per need: rows are copied
    # whole, which is much cheaper than per-pair work.
    by_area = np.where(
        policy.min_expertise > levels.T, _CODE["expertise"], np.int8(0)
    ).astype(np.int8)
    by_area[:, not_a_buddy] = _CODE["not_a_buddy"]
    early = by_area[need_area]
    if policy.require_stronger_than_seeker:
        own = levels[need_trust, need_area]
        weaker = levels.T[need_area] <= own[:, None]
        weaker[:, not_a_buddy] = False
        _overwrite(early, weaker, "expertise")
    return early


def _late_codes(
    minutes: FloatArray,
    fit: FloatArray,
    bans: dict[tuple[str, str], Ban],
    seeker_row: dict[str, int],
    trust_index: dict[str, int],
    policy: Policy,
) -> NDArray[np.int8]:
    """Return (n_seekers, n_trusts) codes of the travel, relation and
    culture rules; 0 where none applies.

    Written last-rule-first, so the first rule that applies is the one left
    standing.
    """
    late = np.zeros(minutes.shape, dtype=np.int8)
    if policy.min_culture_fit > 0:
        _overwrite(late, fit < policy.min_culture_fit, "culture")
    rows, cols, codes = [], [], []
    for (seeker_id, buddy_id), ban in bans.items():
        if seeker_id in seeker_row:
            rows.append(seeker_row[seeker_id])
            cols.append(trust_index[buddy_id])
            codes.append(REASON_CODE[ban.code])
    # banned_pairs already gives each pair its first kind only.
    late[rows, cols] = np.asarray(codes, dtype=np.int8)
    _overwrite(late, too_far_mask(minutes, policy), "too_far")
    _overwrite(late, neighbour_mask(minutes, policy), "too_close")
    return late


def _relation_flags(
    problem: Problem,
    seeker_row: dict[str, int],
    trust_index: dict[str, int],
    pair_flat: IntArray,
) -> tuple[BoolArray, BoolArray]:
    """Return whether each pair is ``preferred`` and ``prior``.

    *pair_flat* holds ``seeker_row * n_trusts + trust_index`` per pair.
    ``preferred`` reads "seeker a with buddy b"; ``prior`` either way.
    """
    shape = (len(seeker_row), len(trust_index))
    preferred = np.zeros(shape, dtype=bool)
    prior = np.zeros(shape, dtype=bool)
    for rel in problem.relations:
        if rel.kind == "preferred" and rel.a in seeker_row:
            preferred[seeker_row[rel.a], trust_index[rel.b]] = True
        elif rel.kind == "prior":
            for seeker, other in ((rel.a, rel.b), (rel.b, rel.a)):
                if seeker in seeker_row:
                    prior[seeker_row[seeker], trust_index[other]] = True
    return (
        np.take(preferred.reshape(-1), pair_flat),
        np.take(prior.reshape(-1), pair_flat),
    )


def _position(
    need: Int32Array, buddy: Int32Array, need_index: int, trust_index: int
) -> int | None:
    """Return the position of (need, trust) in the sorted pairs, or None."""
    keys = np.array([need_index, need_index + 1], dtype=need.dtype)
    lo, hi = np.searchsorted(need, keys)
    # (The slice is one need's pairs: its dtype costs nothing.)
    at = int(lo + np.searchsorted(buddy[lo:hi], trust_index))
    if at < hi and buddy[at] == trust_index:
        return at
    return None


def build_candidates(
    problem: Problem,
    policy: Policy,
    *,
    travel: TravelModel | None = None,
) -> CandidateSet:
    """Apply every hard pair rule and score the pairs that pass.

    Rules, in order (the first that applies is the pair's reason):
    ``self``; ``not_a_buddy`` (capacity 0, max_partners 0, or a trust with
    needs when ``policy.seekers_can_buddy`` is off); ``expertise`` (below
    ``min_expertise``, or not above the seeker's own level when
    ``require_stronger_than_seeker``); ``too_close`` (minutes <
    ``min_travel_minutes``); ``too_far`` (minutes > ``max_travel_minutes``);
    ``competitor``; ``tertiary``; ``acquirer`` (unless
    ``allow_acquirer_buddies``); ``veto``; ``culture`` (fit <
    ``min_culture_fit``).  Overrides change scores and workloads of
    candidates only; they never bring back an excluded pair.

    Parameters
    ----------
    problem
        The problem.
    policy
        The rules and weights.
    travel
        The travel model; by default the one
        [`travel_model`][buddymatch.travel.travel_model] selects.

    Returns
    -------
    CandidateSet
        The candidates, and the reason for every excluded pair.

    Raises
    ------
    InputError
        If a need's tier is not defined by the policy, or a travel matrix
        lacks needed pairs and the policy allows no fallback.
    """
    _check_tiers(problem, policy)
    trusts = problem.trusts
    n_trusts = len(trusts)
    trust_index = {t.id: j for j, t in enumerate(trusts)}
    needs = problem.needs
    n_needs = len(needs)
    seekers = problem.seeker_ids
    n_seekers = len(seekers)
    seeker_row = {sid: r for r, sid in enumerate(seekers)}
    need_seeker = np.fromiter(
        (seeker_row[n.seeker] for n in needs), np.int32, n_needs
    )
    seeker_trust = np.fromiter(
        (trust_index[s] for s in seekers), np.intp, n_seekers
    )
    need_trust = seeker_trust[need_seeker]
    areas = problem.areas
    area_col = {area: c for c, area in enumerate(areas)}
    need_area = np.fromiter(
        (area_col[n.area] for n in needs), np.intp, n_needs
    )
    levels = np.array(
        [[t.expertise[a] for a in areas] for t in trusts], dtype=np.int8
    ).reshape(n_trusts, len(areas))
    need_rows = np.arange(n_needs)

    early = _early_codes(problem, policy, levels, need_area, need_trust)

    # Travel and fit are computed for seekers × open trusts only: trusts
    # that the rules above leave open for at least one need.  The others
    # stay NaN; their reason never depends on them.
    open_pairs = early == 0
    open_pairs[need_rows, need_trust] = False
    open_cols = np.flatnonzero(open_pairs.any(axis=0))
    model = travel if travel is not None else travel_model(problem, policy)
    seeker_trusts = [trusts[j] for j in seeker_trust]
    open_trusts = [trusts[j] for j in open_cols]
    if isinstance(model, TravelMatrix):
        needed = _any_per_seeker(
            open_pairs[:, open_cols], need_seeker, n_seekers
        )
        raw_minutes = model.minutes(seeker_trusts, open_trusts, needed=needed)
        del needed
    else:
        raw_minutes = model.minutes(seeker_trusts, open_trusts)
    del open_pairs
    if raw_minutes.shape != (n_seekers, open_cols.size):
        raise ValueError(
            f"the travel model returned shape {raw_minutes.shape}, not "
            f"{(n_seekers, open_cols.size)}"
        )
    # Our own models return a fresh array, rounded in place to save memory;
    # another model's array may be shared, so it is copied.
    own = isinstance(model, TravelMatrix | StraightLine)
    minutes = _widen(
        _rounded(raw_minutes, MINUTES_DECIMALS, in_place=own),
        open_cols,
        n_trusts,
    )
    del raw_minutes

    # Sorted dimensions: the fit must not depend on which trust comes first.
    dims = sorted(problem.culture_dimensions)
    profiles = np.array(
        [[t.culture[d] for d in dims] for t in trusts], dtype=np.float64
    ).reshape(n_trusts, len(dims))
    fit = _widen(
        _rounded(
            culture_fit(profiles[seeker_trust], profiles[open_cols]),
            FIT_DECIMALS,
            in_place=True,
        ),
        open_cols,
        n_trusts,
    )

    bans = banned_pairs(problem, policy)
    late = _late_codes(minutes, fit, bans, seeker_row, trust_index, policy)
    reason = late[need_seeker]
    del late
    # Where an earlier rule applies (early != 0) its code replaces the
    # later one: branch-free, as in _overwrite.
    reason *= early == 0
    reason += early
    del early
    reason[need_rows, need_trust] = _CODE["self"]

    # Flat positions in (need, trust) order: sorted by need then trust.
    flat = np.flatnonzero(reason == 0)
    need_wide = flat // n_trusts
    buddy = (flat - need_wide * n_trusts).astype(np.int32)
    need = need_wide.astype(np.int32)
    del flat, need_wide
    pair_flat = need_seeker[need].astype(np.int64) * n_trusts + buddy
    pair_minutes = np.take(minutes.reshape(-1), pair_flat)
    if np.isnan(pair_minutes).any():
        raise ValueError("the travel model gave NaN minutes for a candidate")
    pair_fit = np.take(fit.reshape(-1), pair_flat)
    expertise = levels[buddy, need_area[need]].astype(np.int64)
    preferred, prior = _relation_flags(
        problem, seeker_row, trust_index, pair_flat
    )
    del pair_flat
    terms = pair_terms(
        expertise, pair_fit, pair_minutes, preferred, prior, policy
    )
    del pair_minutes, pair_fit, preferred, prior
    score = sum_terms(terms)

    tiers = [policy.tiers[n.tier] for n in needs]
    workload = np.fromiter((t.workload for t in tiers), np.int64, n_needs)[
        need
    ]
    fee = np.fromiter((t.fee for t in tiers), np.float64, n_needs)[need]

    overridden = np.zeros(need.size, dtype=bool)
    override = np.zeros(need.size)
    need_index = (
        {(n.seeker, n.area): i for i, n in enumerate(needs)}
        if problem.overrides
        else {}
    )
    for ov in problem.overrides:
        at = _position(
            need,
            buddy,
            need_index[(ov.seeker, ov.area)],
            trust_index[ov.buddy],
        )
        if at is None:
            continue  # excluded by a hard rule: overrides never bypass one
        if ov.workload is not None:
            workload[at] = ov.workload
        if ov.score is not None:
            overridden[at] = True
            override[at] = ov.score
    if overridden.any():
        for name in TERMS:
            terms[name][overridden] = 0.0
        override = round_points(override)
        score[overridden] = override[overridden]
    terms[OVERRIDE_TERM] = override

    _read_only(
        need_seeker,
        minutes,
        fit,
        reason,
        need,
        buddy,
        expertise,
        workload,
        fee,
        overridden,
        score,
        *terms.values(),
    )
    return CandidateSet(
        problem=problem,
        policy=policy,
        seekers=seekers,
        need_seeker=need_seeker,
        minutes=minutes,
        fit=fit,
        reason=reason,
        need=need,
        buddy=buddy,
        expertise=expertise,
        workload=workload,
        fee=fee,
        terms=terms,
        overridden=overridden,
        score=score,
        bans=bans,
    )


@dataclass(frozen=True)
class AreaSummary:
    """The needs of one area and how well buddies can serve them.

    Attributes
    ----------
    area
        The expertise area.
    needs
        Needs in the area.
    fewest_candidates
        The fewest candidate buddies any of those needs has.
    """

    area: str
    needs: int
    fewest_candidates: int


@dataclass(frozen=True)
class InstanceSummary:
    """What a problem holds, and what the hard pair rules leave of it.

    Attributes
    ----------
    trusts, seekers, needs
        How many of each the problem has.
    buddies
        Trusts that may be buddies: capacity above 0, and not seekers
        unless the policy lets seekers buddy.
    capacity
        Their workload units together.
    areas
        The areas with needs, sorted by name.
    excluded
        ``(rule, pairs)``: need-buddy pairs excluded by each rule first,
        in rule order; rules that exclude none are left out, and so is
        ``self`` (a trust is never a pair with itself).
    candidates
        Candidate pairs: every need-buddy pair no rule excludes.
    """

    trusts: int
    seekers: int
    needs: int
    buddies: int
    capacity: int
    areas: tuple[AreaSummary, ...]
    excluded: tuple[tuple[str, int], ...]
    candidates: int


def summarise(cands: CandidateSet) -> InstanceSummary:
    """Return the summary of the instance *cands* was built from.

    Parameters
    ----------
    cands
        The candidate pairs of a problem under a policy.

    Returns
    -------
    InstanceSummary
        Counts of trusts, seekers, needs and buddies, the fewest
        candidate buddies of a need per area, and the pairs each rule
        excludes.
    """
    problem, policy = cands.problem, cands.policy
    seekers = set(problem.seeker_ids)
    buddies = [
        t
        for t in problem.trusts
        if t.capacity > 0 and (policy.seekers_can_buddy or t.id not in seekers)
    ]
    per_need = np.bincount(cands.need, minlength=len(problem.needs))
    fewest: dict[str, int] = {}
    needs: dict[str, int] = {}
    for i, n in enumerate(problem.needs):
        count = int(per_need[i])
        fewest[n.area] = min(fewest.get(n.area, count), count)
        needs[n.area] = needs.get(n.area, 0) + 1
    reasons = np.bincount(cands.reason.ravel(), minlength=len(REASONS) + 1)
    return InstanceSummary(
        trusts=len(problem.trusts),
        seekers=len(seekers),
        needs=len(problem.needs),
        buddies=len(buddies),
        capacity=sum(t.capacity for t in buddies),
        areas=tuple(
            AreaSummary(area, needs[area], fewest[area])
            for area in sorted(needs)
        ),
        excluded=tuple(
            (name, int(reasons[code]))
            for name, code in REASON_CODE.items()
            if reasons[code] and name != "self"
        ),
        candidates=cands.n_candidates,
    )
