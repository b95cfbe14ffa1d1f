"""An independent check of a result against the problem and the policy.

[`verify`][buddymatch.verify.verify] recomputes every number of a
[`Result`][buddymatch.result.Result]
from the raw inputs and the rules of DESIGN.md, and lists every broken hard
rule and every reported number that does not match.  It shares *no code*
with the solver: it does not import the candidate filters, the scoring, the
travel model, the relation graph or the solver package, and it uses plain
loops over the result's assignments instead of the solver's vectorised
passes.  Two implementations that agree are much more believable than one
that agrees with itself.

Tolerances (see ``docs/verify.md``): travel minutes 0.051, culture fit
0.00051, scores 0.0011, money 0.005, objective 0.0005 per partnership plus
0.0005 (and 1e-9 relative).  The hard rules are judged on the recomputed,
rounded values, so a rule holds or breaks exactly as DESIGN.md says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from buddymatch.model import Need, PairOverride, Policy, Problem, Trust
from buddymatch.result import Assignment, Result

#: Every rule code [`verify`][buddymatch.verify.verify] may report, in a stable
#: spelling.
RULES: tuple[str, ...] = (
    "status",
    "unknown_trust",
    "unknown_need",
    "unknown_tier",
    "travel_missing",
    "self",
    "not_a_buddy",
    "expertise",
    "too_close",
    "too_far",
    "competitor",
    "tertiary",
    "acquirer",
    "veto",
    "culture",
    "coverage",
    "unmet_mismatch",
    "capacity",
    "max_partners",
    "max_buddies_per_seeker",
    "pin",
    "budget",
    "values",
    "partnerships",
    "objective",
    "coverage_count",
)

#: Mean Earth radius (IUGG), kilometres.
EARTH_RADIUS_KM = 6371.0088
#: Largest accepted difference between reported and recomputed minutes;
#: just over half the 0.1-minute rounding step.
TRAVEL_TOLERANCE = 0.051
#: Largest accepted difference in culture fit (rounded to 4 decimals).
FIT_TOLERANCE = 0.00051
#: Largest accepted difference in a score or a score term (resolution
#: 0.001).
SCORE_TOLERANCE = 0.0011
#: Largest accepted difference in a fee or a sum of fees (a penny's half).
MONEY_TOLERANCE = 0.005
#: Objective tolerance per partnership: the solver may turn
#: ``partnership_cost`` into an integer at the score resolution of 0.001,
#: which moves the objective by at most half of it per partnership.
OBJECTIVE_TOLERANCE_PER_PARTNERSHIP = 0.0005
#: Relative objective tolerance, for float summation over many scores.
OBJECTIVE_RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Violation:
    """One broken rule or one reported number that does not add up.

    Parameters
    ----------
    rule
        Stable rule code, one of `RULES`.
    message
        What is wrong, in plain English, naming the trusts involved.
    seeker, area, buddy
        The need and buddy concerned, where the rule is about one.
    """

    rule: str
    message: str
    seeker: str | None = None
    area: str | None = None
    buddy: str | None = None

    def __str__(self) -> str:
        return self.message


def round_half_even(value: float, digits: int) -> float:
    """Round *value* to *digits* decimals the way ``numpy.round`` does.

    Scale, round half to even, unscale: the same float operations as
    numpy, so a value rounded here equals one rounded by the solver even on
    a binary half-way case (where Python's ``round(x, n)``, which rounds the
    exact decimal value, can differ by one step).

    Parameters
    ----------
    value
        A finite number.
    digits
        Decimals to keep (non-negative).

    Returns
    -------
    float
        The rounded value.
    """
    scale = 10.0**digits
    return round(value * scale) / scale


def straight_line_minutes(
    seeker: Trust, buddy: Trust, policy: Policy
) -> float:
    """Return straight-line travel minutes between two trusts, unrounded.

    Haversine great-circle distance on a sphere of radius
    `EARTH_RADIUS_KM`, times ``policy.circuity`` for roads that do
    not run straight, at ``policy.speed_kmh``.

    Parameters
    ----------
    seeker, buddy
        The two trusts (the distance is symmetric).
    policy
        Supplies ``circuity`` and ``speed_kmh``.

    Returns
    -------
    float
        Minutes, not rounded.
    """
    lat1 = math.radians(seeker.lat)
    lat2 = math.radians(buddy.lat)
    dlat = lat2 - lat1
    dlon = math.radians(buddy.lon - seeker.lon)
    h = (
        math.sin(dlat / 2.0) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2.0) ** 2
    )
    km = 2.0 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))
    return km * policy.circuity / policy.speed_kmh * 60.0


def culture_fit(
    seeker: Trust, buddy: Trust, dimensions: Sequence[str]
) -> float:
    """Return the culture fit of two trusts, rounded to 4 decimals.

    1 − RMS(difference of the two profiles) ÷ 10, so identical profiles
    fit 1; with no culture dimensions every pair fits 1.

    Parameters
    ----------
    seeker, buddy
        The two trusts.
    dimensions
        The culture dimensions shared by all trusts.

    Returns
    -------
    float
        The fit, 0-1, rounded to 4 decimals.
    """
    if not dimensions:
        return 1.0
    squares = 0.0
    for dim in dimensions:
        squares += (seeker.culture[dim] - buddy.culture[dim]) ** 2
    rms = math.sqrt(squares / len(dimensions))
    return round_half_even(1.0 - rms / 10.0, 4)


@dataclass(frozen=True)
class _Expected:
    """What an assignment's numbers should be, recomputed from the inputs."""

    tier: str
    minutes: float | None  # None: the travel matrix lacks the pair
    fit: float
    expertise: int
    seeker_expertise: int
    workload: int
    fee: float
    months: int
    terms: dict[str, float] | None  # None: unscorable (travel missing)
    score: float | None


class _Inputs:
    """The problem's inputs, indexed for look-ups by id."""

    def __init__(self, problem: Problem) -> None:
        self.trusts: dict[str, Trust] = {t.id: t for t in problem.trusts}
        self.needs: dict[tuple[str, str], Need] = {
            (n.seeker, n.area): n for n in problem.needs
        }
        self.need_order: tuple[Need, ...] = problem.needs
        self.seekers: frozenset[str] = frozenset(
            n.seeker for n in problem.needs
        )
        self.dimensions: tuple[str, ...] = problem.culture_dimensions
        self.overrides: dict[tuple[str, str, str], PairOverride] = {
            (o.seeker, o.area, o.buddy): o for o in problem.overrides
        }
        # Symmetric relations are stored both ways round, directed ones
        # (veto, preferred) only as "seeker a with buddy b".
        self.relations: dict[str, set[tuple[str, str]]] = {}
        for rel in problem.relations:
            pairs = self.relations.setdefault(rel.kind, set())
            pairs.add((rel.a, rel.b))
            if rel.kind in ("competitor", "tertiary", "acquirer", "prior"):
                pairs.add((rel.b, rel.a))
        self.pins = tuple(r for r in problem.relations if r.kind == "pinned")
        self.matrix: dict[tuple[str, str], float] | None = None
        if problem.travel is not None:
            self.matrix = {
                (e.origin, e.destination): e.minutes for e in problem.travel
            }

    def related(self, kind: str, seeker: str, buddy: str) -> bool:
        return (seeker, buddy) in self.relations.get(kind, set())

    def minutes(
        self, seeker: Trust, buddy: Trust, policy: Policy
    ) -> float | None:
        """Travel minutes seeker -> buddy, rounded to 0.1; None if missing."""
        if self.matrix is not None:
            given = self.matrix.get((seeker.id, buddy.id))
            if given is None:
                # One direction given serves both (DESIGN.md).
                given = self.matrix.get((buddy.id, seeker.id))
            if given is not None:
                return round_half_even(given, 1)
            if not policy.travel_fallback:
                return None
        return round_half_even(straight_line_minutes(seeker, buddy, policy), 1)

    def expect(self, policy: Policy, a: Assignment) -> _Expected:
        """Recompute every number of an assignment with known ids."""
        need = self.needs[(a.seeker, a.area)]
        seeker = self.trusts[a.seeker]
        buddy = self.trusts[a.buddy]
        tier = policy.tiers[need.tier]
        override = self.overrides.get((a.seeker, a.area, a.buddy))
        minutes = self.minutes(seeker, buddy, policy)
        fit = culture_fit(seeker, buddy, self.dimensions)
        level = buddy.expertise.get(a.area, 0)
        workload = tier.workload
        if override is not None and override.workload is not None:
            workload = override.workload
        terms: dict[str, float] | None
        if override is not None and override.score is not None:
            score: float | None = round_half_even(override.score, 3)
            terms = {"override": round_half_even(override.score, 3)}
        elif minutes is None:
            score, terms = None, None
        else:
            # Each term is rounded on its own, then the sum (DESIGN.md).
            terms = {
                "expertise": policy.weight_expertise * level,
                "culture": policy.weight_culture * fit,
                "travel": -policy.weight_travel * minutes,
            }
            if self.related("preferred", a.seeker, a.buddy):
                terms["preferred"] = policy.bonus_preferred
            if self.related("prior", a.seeker, a.buddy):
                terms["prior"] = policy.bonus_prior
            terms = {k: round_half_even(v, 3) for k, v in terms.items()}
            total = 0.0
            for value in terms.values():
                total += value
            score = round_half_even(total, 3)
        return _Expected(
            tier=need.tier,
            minutes=minutes,
            fit=fit,
            expertise=level,
            seeker_expertise=seeker.expertise.get(a.area, 0),
            workload=workload,
            fee=tier.fee,
            months=tier.months,
            terms=terms,
            score=score,
        )


def _who(a: Assignment) -> str:
    return f"{a.buddy} buddying {a.seeker} in {a.area}"


def _flag(rule: str, message: str, a: Assignment) -> Violation:
    return Violation(rule, message, a.seeker, a.area, a.buddy)


def _close(reported: float, expected: float, tolerance: float) -> bool:
    return abs(reported - expected) <= tolerance + 1e-9 * abs(expected)


def _effective_max_partners(buddy: Trust, policy: Policy) -> int | None:
    # A trust's own limit wins over the policy default (DESIGN.md).
    if buddy.max_partners is not None:
        return buddy.max_partners
    return policy.max_partners


def _unknown(
    inputs: _Inputs, policy: Policy, a: Assignment
) -> Violation | None:
    """Return why an assignment cannot be checked at all, if it cannot."""
    for role, tid in (("seeker", a.seeker), ("buddy", a.buddy)):
        if tid not in inputs.trusts:
            return _flag(
                "unknown_trust",
                f"{_who(a)}: the {role} {tid!r} is not a trust of the problem",
                a,
            )
    need = inputs.needs.get((a.seeker, a.area))
    if need is None:
        return _flag(
            "unknown_need",
            f"{_who(a)}: {a.seeker} has no need in {a.area}",
            a,
        )
    if need.tier not in policy.tiers:
        return _flag(
            "unknown_tier",
            f"{_who(a)}: the need's tier {need.tier!r} is not a tier of "
            "the policy",
            a,
        )
    return None


def _pair_rules(
    inputs: _Inputs, policy: Policy, a: Assignment, exp: _Expected
) -> list[Violation]:
    """Check the hard pair rules of DESIGN.md "Solving", step 1."""
    out: list[Violation] = []
    buddy = inputs.trusts[a.buddy]
    if a.seeker == a.buddy:
        out.append(_flag("self", f"{_who(a)}: a trust cannot buddy itself", a))
    why_not: list[str] = []
    if buddy.capacity == 0:
        why_not.append("its capacity is 0")
    if _effective_max_partners(buddy, policy) == 0:
        why_not.append("it may have no partners")
    if a.buddy in inputs.seekers and not policy.seekers_can_buddy:
        why_not.append("it has needs of its own and seekers_can_buddy is off")
    if why_not:
        out.append(
            _flag(
                "not_a_buddy",
                f"{_who(a)}: {a.buddy} is not a buddy ("
                + "; ".join(why_not)
                + ")",
                a,
            )
        )
    if exp.expertise < policy.min_expertise:
        out.append(
            _flag(
                "expertise",
                f"{_who(a)}: {a.buddy}'s expertise in {a.area} is "
                f"{exp.expertise}, below min_expertise {policy.min_expertise}",
                a,
            )
        )
    elif (
        policy.require_stronger_than_seeker
        and exp.expertise <= exp.seeker_expertise
    ):
        out.append(
            _flag(
                "expertise",
                f"{_who(a)}: {a.buddy}'s expertise in {a.area} "
                f"({exp.expertise}) is not above {a.seeker}'s own "
                f"({exp.seeker_expertise})",
                a,
            )
        )
    if exp.minutes is None:
        out.append(
            _flag(
                "travel_missing",
                f"{_who(a)}: the travel matrix has no time between "
                f"{a.seeker} and {a.buddy} and travel_fallback is off",
                a,
            )
        )
    else:
        if exp.minutes < policy.min_travel_minutes:
            out.append(
                _flag(
                    "too_close",
                    f"{_who(a)}: {exp.minutes:g} minutes apart, closer "
                    f"than min_travel_minutes {policy.min_travel_minutes:g}",
                    a,
                )
            )
        limit = policy.max_travel_minutes
        if limit is not None and exp.minutes > limit:
            out.append(
                _flag(
                    "too_far",
                    f"{_who(a)}: {exp.minutes:g} minutes apart, farther "
                    f"than max_travel_minutes {limit:g}",
                    a,
                )
            )
    for kind, words in (
        ("competitor", "competitors"),
        ("tertiary", "joined by a tertiary relation"),
    ):
        if inputs.related(kind, a.seeker, a.buddy):
            out.append(_flag(kind, f"{_who(a)}: the two are {words}", a))
    if (
        inputs.related("acquirer", a.seeker, a.buddy)
        and not policy.allow_acquirer_buddies
    ):
        out.append(
            _flag(
                "acquirer",
                f"{_who(a)}: the two are joined by an acquirer relation "
                "and allow_acquirer_buddies is off",
                a,
            )
        )
    if inputs.related("veto", a.seeker, a.buddy):
        out.append(_flag("veto", f"{_who(a)}: {a.seeker} vetoed {a.buddy}", a))
    if policy.min_culture_fit > 0 and exp.fit < policy.min_culture_fit:
        out.append(
            _flag(
                "culture",
                f"{_who(a)}: culture fit {exp.fit:g} is below "
                f"min_culture_fit {policy.min_culture_fit:g}",
                a,
            )
        )
    return out


def _value_checks(a: Assignment, exp: _Expected) -> list[Violation]:
    """Compare an assignment's reported numbers with the recomputed ones."""
    wrong: list[str] = []
    if a.tier != exp.tier:
        wrong.append(f"tier {a.tier!r} should be {exp.tier!r}")
    if exp.minutes is not None and not _close(
        a.travel_minutes, exp.minutes, TRAVEL_TOLERANCE
    ):
        wrong.append(
            f"travel_minutes {a.travel_minutes:g} should be {exp.minutes:g}"
        )
    if not _close(a.culture_fit, exp.fit, FIT_TOLERANCE):
        wrong.append(f"culture_fit {a.culture_fit:g} should be {exp.fit:g}")
    if a.expertise != exp.expertise:
        wrong.append(f"expertise {a.expertise} should be {exp.expertise}")
    if a.workload != exp.workload:
        wrong.append(f"workload {a.workload} should be {exp.workload}")
    if not _close(a.fee, exp.fee, MONEY_TOLERANCE):
        wrong.append(f"fee {a.fee:g} should be {exp.fee:g}")
    if exp.score is not None and not _close(
        a.score, exp.score, SCORE_TOLERANCE
    ):
        wrong.append(f"score {a.score:g} should be {exp.score:g}")
    if exp.terms is not None:
        # A zero term may be reported or left out; both read the same.
        for name in sorted(set(exp.terms) | set(a.terms)):
            got = a.terms.get(name, 0.0)
            want = exp.terms.get(name, 0.0)
            if not _close(got, want, SCORE_TOLERANCE):
                wrong.append(f"score term {name} {got:g} should be {want:g}")
    if not wrong:
        return []
    return [_flag("values", f"{_who(a)}: " + "; ".join(wrong), a)]


def _checked_assignments(
    inputs: _Inputs,
    policy: Policy,
    result: Result,
    out: list[Violation] | None,
) -> list[tuple[Assignment, _Expected]]:
    """Return the checkable assignments with their recomputed numbers.

    Assignments naming an unknown trust, need or tier, and repeats of an
    earlier (seeker, area, buddy), are reported into *out* (when given)
    and left out: every later check counts each assignment once.
    """
    checked: list[tuple[Assignment, _Expected]] = []
    seen: set[tuple[str, str, str]] = set()
    for a in result.assignments:
        unknown = _unknown(inputs, policy, a)
        if unknown is not None:
            if out is not None:
                out.append(unknown)
            continue
        key = (a.seeker, a.area, a.buddy)
        if key in seen:
            if out is not None:
                out.append(
                    _flag(
                        "coverage",
                        f"{_who(a)}: the assignment is listed more than once",
                        a,
                    )
                )
            continue
        seen.add(key)
        checked.append((a, inputs.expect(policy, a)))
    return checked


def _objective(
    checked: Sequence[tuple[Assignment, _Expected]], policy: Policy
) -> float | None:
    """Σ recomputed scores − partnership_cost × partnerships (or None)."""
    total = 0.0
    partnerships: set[tuple[str, str]] = set()
    for a, exp in checked:
        if exp.score is None:
            return None
        total += exp.score
        partnerships.add((a.seeker, a.buddy))
    return total - policy.partnership_cost * len(partnerships)


def recompute_objective(
    problem: Problem, policy: Policy | None, result: Result
) -> float:
    """Recompute a result's objective from the inputs alone.

    The sum of the assignment scores, each recomputed from the problem and
    the policy (the reported scores are ignored), minus
    ``policy.partnership_cost`` per distinct seeker-buddy pair.  A repeated
    (seeker, area, buddy) counts once.

    Parameters
    ----------
    problem
        The problem the result answers.
    policy
        The policy it was solved under; ``None`` means ``Policy()``.
    result
        The result to score.

    Returns
    -------
    float
        The objective in score points.

    Raises
    ------
    ValueError
        If an assignment names an unknown trust, need or tier, or its
        travel time is missing from the matrix (run
        [`verify`][buddymatch.verify.verify] for
        the details).
    """
    policy = policy if policy is not None else Policy()
    inputs = _Inputs(problem)
    problems: list[Violation] = []
    checked = _checked_assignments(inputs, policy, result, problems)
    problems = [v for v in problems if v.rule != "coverage"]
    for a, exp in checked:
        if exp.score is None:
            problems.append(
                _flag("travel_missing", f"{_who(a)}: no travel time", a)
            )
    objective = _objective(checked, policy)
    if problems or objective is None:
        raise ValueError(
            "cannot score the result: "
            + "; ".join(v.message for v in problems)
        )
    return objective


def verify(
    problem: Problem, policy: Policy | None, result: Result
) -> list[Violation]:
    """Check a result against every hard rule and recompute its numbers.

    Written from DESIGN.md without the solver's code.  A feasible result is
    checked for: assignments naming unknown trusts, needs or tiers; the
    hard pair rules (self, not a buddy, expertise, travel window, missing
    travel time, competitor, tertiary, acquirer, veto, culture floor);
    each need having exactly ``need.buddies`` distinct buddies or none,
    and being listed unmet exactly when it is not covered; buddy capacity
    and partner limits; buddies per seeker; pins; the budget; every
    reported number (assignment values, total fee, utilisation,
    partnerships, coverage counts, objective).  A result with no solution
    must hold no assignments.

    Parameters
    ----------
    problem
        The problem the result answers.
    policy
        The policy it was solved under; ``None`` means ``Policy()``.
    result
        The result to check.

    Returns
    -------
    list of Violation
        Every violation found, in a stable order (assignments in result
        order, then needs, buddies, seekers, pins, totals); empty when the
        result holds.
    """
    policy = policy if policy is not None else Policy()
    out: list[Violation] = []
    if not result.is_feasible():
        if result.assignments or result.partnerships:
            out.append(
                Violation(
                    "status",
                    f"the result is {result.status} but lists "
                    f"{len(result.assignments)} assignments and "
                    f"{len(result.partnerships)} partnerships",
                )
            )
        return out

    inputs = _Inputs(problem)
    checked = _checked_assignments(inputs, policy, result, out)
    for a, exp in checked:
        out.extend(_pair_rules(inputs, policy, a, exp))
        out.extend(_value_checks(a, exp))

    covered = _check_needs(inputs, result, checked, out)
    _check_buddies(inputs, policy, checked, out)
    _check_seekers(policy, checked, out)
    _check_pins(inputs, checked, out)
    _check_money(policy, result, checked, out)
    _check_utilisation(inputs, result, checked, out)
    _check_partnerships(result, checked, out)
    _check_coverage_count(inputs, result, covered, out)

    objective = _objective(checked, policy)
    if result.objective is None:
        out.append(
            Violation(
                "objective",
                f"the result is {result.status} but reports no objective",
            )
        )
    elif objective is not None:
        partnerships = len({(a.seeker, a.buddy) for a, _ in checked})
        tolerance = OBJECTIVE_TOLERANCE_PER_PARTNERSHIP * (1 + partnerships)
        if abs(result.objective - objective) > (
            tolerance + OBJECTIVE_RELATIVE_TOLERANCE * abs(objective)
        ):
            out.append(
                Violation(
                    "objective",
                    f"the reported objective {result.objective:.6f} "
                    f"differs from the recomputed {objective:.6f}",
                )
            )
    return out


def _check_needs(
    inputs: _Inputs,
    result: Result,
    checked: Sequence[tuple[Assignment, _Expected]],
    out: list[Violation],
) -> set[tuple[str, str]]:
    """Check each need's buddy count and its unmet listing.

    Returns the (seeker, area) of every covered need.
    """
    buddies: dict[tuple[str, str], list[str]] = {}
    for a, _ in checked:
        buddies.setdefault((a.seeker, a.area), []).append(a.buddy)
    listed: dict[tuple[str, str], int] = {}
    for u in result.unmet:
        key = (u.seeker, u.area)
        need = inputs.needs.get(key)
        if need is None:
            out.append(
                Violation(
                    "unknown_need",
                    f"unmet need {u.seeker}/{u.area} is not a need of the "
                    "problem",
                    u.seeker,
                    u.area,
                )
            )
            continue
        listed[key] = listed.get(key, 0) + 1
        if listed[key] == 2:
            out.append(
                Violation(
                    "unmet_mismatch",
                    f"{u.seeker}'s need in {u.area} is listed unmet more "
                    "than once",
                    u.seeker,
                    u.area,
                )
            )
        wrong: list[str] = []
        if u.tier != need.tier:
            wrong.append(f"tier {u.tier!r} should be {need.tier!r}")
        if u.priority != need.priority:
            wrong.append(f"priority {u.priority} should be {need.priority}")
        if u.buddies != need.buddies:
            wrong.append(f"buddies {u.buddies} should be {need.buddies}")
        if wrong:
            out.append(
                Violation(
                    "values",
                    f"unmet need {u.seeker}/{u.area}: " + "; ".join(wrong),
                    u.seeker,
                    u.area,
                )
            )

    covered: set[tuple[str, str]] = set()
    for need in inputs.need_order:
        key = (need.seeker, need.area)
        # Repeats were dropped already, so each buddy here is distinct.
        count = len(buddies.get(key, []))
        where = f"{need.seeker}'s need in {need.area}"
        if count == need.buddies:
            covered.add(key)
        elif count:
            out.append(
                Violation(
                    "coverage",
                    f"{where} has {count} buddies "
                    f"({', '.join(buddies[key])}) but needs exactly "
                    f"{need.buddies}; a partly met need keeps none",
                    need.seeker,
                    need.area,
                )
            )
        if key in covered and key in listed:
            out.append(
                Violation(
                    "unmet_mismatch",
                    f"{where} is covered but also listed unmet",
                    need.seeker,
                    need.area,
                )
            )
        elif key not in covered and key not in listed:
            out.append(
                Violation(
                    "unmet_mismatch",
                    f"{where} is not covered and not listed unmet",
                    need.seeker,
                    need.area,
                )
            )
    return covered


def _check_buddies(
    inputs: _Inputs,
    policy: Policy,
    checked: Sequence[tuple[Assignment, _Expected]],
    out: list[Violation],
) -> None:
    """Check each buddy's capacity and partner limit (trust order)."""
    workload: dict[str, int] = {}
    partners: dict[str, list[str]] = {}
    for a, exp in checked:
        workload[a.buddy] = workload.get(a.buddy, 0) + exp.workload
        seekers = partners.setdefault(a.buddy, [])
        if a.seeker not in seekers:
            seekers.append(a.seeker)
    for buddy in inputs.trusts.values():
        if buddy.id not in workload:
            continue
        if workload[buddy.id] > buddy.capacity:
            out.append(
                Violation(
                    "capacity",
                    f"{buddy.id} carries {workload[buddy.id]} workload "
                    f"units, above its capacity of {buddy.capacity}",
                    buddy=buddy.id,
                )
            )
        limit = _effective_max_partners(buddy, policy)
        if limit is not None and len(partners[buddy.id]) > limit:
            out.append(
                Violation(
                    "max_partners",
                    f"{buddy.id} buddies {len(partners[buddy.id])} seekers "
                    f"({', '.join(partners[buddy.id])}), above its limit "
                    f"of {limit}",
                    buddy=buddy.id,
                )
            )


def _check_seekers(
    policy: Policy,
    checked: Sequence[tuple[Assignment, _Expected]],
    out: list[Violation],
) -> None:
    """Check the number of distinct buddies per seeker."""
    limit = policy.max_buddies_per_seeker
    if limit is None:
        return
    buddies: dict[str, list[str]] = {}
    for a, _ in checked:
        mine = buddies.setdefault(a.seeker, [])
        if a.buddy not in mine:
            mine.append(a.buddy)
    for seeker, mine in buddies.items():
        if len(mine) > limit:
            out.append(
                Violation(
                    "max_buddies_per_seeker",
                    f"{seeker} has {len(mine)} buddies ({', '.join(mine)}), "
                    f"above max_buddies_per_seeker {limit}",
                    seeker=seeker,
                )
            )


def _check_pins(
    inputs: _Inputs,
    checked: Sequence[tuple[Assignment, _Expected]],
    out: list[Violation],
) -> None:
    """Check that every pinned relation is honoured."""
    triples = {(a.seeker, a.area, a.buddy) for a, _ in checked}
    pairs = {(a.seeker, a.buddy) for a, _ in checked}
    for pin in inputs.pins:
        if pin.area is not None:
            if (pin.a, pin.area, pin.b) not in triples:
                out.append(
                    Violation(
                        "pin",
                        f"{pin.a}'s need in {pin.area} is pinned to "
                        f"{pin.b}, but {pin.b} is not assigned to it",
                        pin.a,
                        pin.area,
                        pin.b,
                    )
                )
        elif (pin.a, pin.b) not in pairs:
            out.append(
                Violation(
                    "pin",
                    f"{pin.a} is pinned to {pin.b}, but {pin.b} buddies "
                    f"none of {pin.a}'s needs",
                    pin.a,
                    buddy=pin.b,
                )
            )


def _check_money(
    policy: Policy,
    result: Result,
    checked: Sequence[tuple[Assignment, _Expected]],
    out: list[Violation],
) -> None:
    """Check the budget and the reported total fee."""
    total = 0.0
    for _, exp in checked:
        total += exp.fee
    if policy.budget is not None and total > policy.budget + MONEY_TOLERANCE:
        out.append(
            Violation(
                "budget",
                f"total fees {total:,.2f} exceed the budget of "
                f"{policy.budget:,.2f}",
            )
        )
    if not _close(result.total_fee, total, MONEY_TOLERANCE):
        out.append(
            Violation(
                "values",
                f"the reported total fee {result.total_fee:,.2f} should be "
                f"{total:,.2f}",
            )
        )


def _check_utilisation(
    inputs: _Inputs,
    result: Result,
    checked: Sequence[tuple[Assignment, _Expected]],
    out: list[Violation],
) -> None:
    """Check each reported buddy use against the assignments."""
    # Totals per buddy in one pass: a scan per buddy took 16 s at
    # "programme" size (3,000 buddies x 5,000 assignments).
    loads: dict[str, int] = {}
    partners: dict[str, set[str]] = {}
    for a, exp in checked:
        loads[a.buddy] = loads.get(a.buddy, 0) + exp.workload
        partners.setdefault(a.buddy, set()).add(a.seeker)
    for use in result.utilisation:
        buddy = inputs.trusts.get(use.buddy)
        if buddy is None:
            out.append(
                Violation(
                    "unknown_trust",
                    f"utilisation names {use.buddy!r}, which is not a trust "
                    "of the problem",
                    buddy=use.buddy,
                )
            )
            continue
        workload = loads.get(use.buddy, 0)
        seekers = partners.get(use.buddy, set())
        wrong: list[str] = []
        if use.capacity != buddy.capacity:
            wrong.append(f"capacity {use.capacity} should be {buddy.capacity}")
        if use.workload != workload:
            wrong.append(f"workload {use.workload} should be {workload}")
        if use.partners != len(seekers):
            wrong.append(f"partners {use.partners} should be {len(seekers)}")
        if wrong:
            out.append(
                Violation(
                    "values",
                    f"utilisation of {use.buddy}: " + "; ".join(wrong),
                    buddy=use.buddy,
                )
            )


def _check_partnerships(
    result: Result,
    checked: Sequence[tuple[Assignment, _Expected]],
    out: list[Violation],
) -> None:
    """Check the partnership list against the assignments."""
    expected: dict[tuple[str, str], list[tuple[Assignment, _Expected]]] = {}
    for a, exp in checked:
        expected.setdefault((a.seeker, a.buddy), []).append((a, exp))
    reported: set[tuple[str, str]] = set()
    for p in result.partnerships:
        key = (p.seeker, p.buddy)
        name = f"partnership {p.seeker}-{p.buddy}"
        if key in reported:
            out.append(
                Violation(
                    "partnerships",
                    f"{name} is listed more than once",
                    p.seeker,
                    buddy=p.buddy,
                )
            )
            continue
        reported.add(key)
        members = expected.get(key)
        if members is None:
            out.append(
                Violation(
                    "partnerships",
                    f"{name} has no assignments",
                    p.seeker,
                    buddy=p.buddy,
                )
            )
            continue
        areas = sorted(a.area for a, _ in members)
        tiers = {a.area: exp.tier for a, exp in members}
        workload = sum(exp.workload for _, exp in members)
        fee = 0.0
        for _, exp in members:
            fee += exp.fee
        # A partnership runs as long as its longest area's tier.
        months = max(exp.months for _, exp in members)
        wrong: list[str] = []
        if sorted(p.areas) != areas:
            wrong.append(f"areas {sorted(p.areas)} should be {areas}")
        if p.tiers != tiers:
            wrong.append(f"tiers {p.tiers} should be {tiers}")
        if p.workload != workload:
            wrong.append(f"workload {p.workload} should be {workload}")
        if not _close(p.fee, fee, MONEY_TOLERANCE):
            wrong.append(f"fee {p.fee:g} should be {fee:g}")
        if p.months != months:
            wrong.append(f"months {p.months} should be {months}")
        if wrong:
            out.append(
                Violation(
                    "partnerships",
                    f"{name}: " + "; ".join(wrong),
                    p.seeker,
                    buddy=p.buddy,
                )
            )
    for seeker, buddy in expected:
        if (seeker, buddy) not in reported:
            out.append(
                Violation(
                    "partnerships",
                    f"{buddy} buddies {seeker}, but the partnership is not "
                    "listed",
                    seeker,
                    buddy=buddy,
                )
            )


def _check_coverage_count(
    inputs: _Inputs,
    result: Result,
    covered: set[tuple[str, str]],
    out: list[Violation],
) -> None:
    """Check the reported needs covered per priority."""
    counts: dict[int, list[int]] = {}
    for need in inputs.need_order:
        tally = counts.setdefault(need.priority, [0, 0])
        tally[1] += 1
        if (need.seeker, need.area) in covered:
            tally[0] += 1
    seen: set[int] = set()
    for c in result.coverage:
        covered_n, total = counts.get(c.priority, [0, 0])
        if c.priority in seen:
            out.append(
                Violation(
                    "coverage_count",
                    f"priority {c.priority} is reported more than once",
                )
            )
        elif (c.covered, c.total) != (covered_n, total):
            out.append(
                Violation(
                    "coverage_count",
                    f"priority {c.priority}: reported {c.covered} of "
                    f"{c.total} needs covered, but the assignments cover "
                    f"{covered_n} of {total}",
                )
            )
        seen.add(c.priority)
    for priority in sorted(counts, reverse=True):
        if priority not in seen:
            out.append(
                Violation(
                    "coverage_count",
                    f"priority {priority} has needs but no coverage entry",
                )
            )
