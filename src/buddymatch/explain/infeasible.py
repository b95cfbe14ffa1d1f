"""Infeasible pins: the smallest set of rules that cannot hold together.

Two cases.  A pin that no candidate can honour (a hard pair rule rules the
pair out, or its need has fewer candidates than the buddies it takes)
conflicts on its own: it is named with the rule and the data.  Otherwise
a feasibility-only CP-SAT model (`buddymatch.solvers.cpsat.core`) puts
every pin, buddy capacity, partner limit, seeker buddy limit and the budget
behind an assumption, takes the core CP-SAT returns and shrinks it to a
minimal one; each rule is then said in plain words.
"""

from __future__ import annotations

import numpy as np

from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.explain.proposal import pin_words
from buddymatch.explanation import CoreMember, Infeasibility
from buddymatch.model import Policy, Problem, Relation
from buddymatch.rules import partner_limit_source
from buddymatch.solvers.api import (
    DEFAULT_CORE_TIME_LIMIT,
    CoreRule,
    coverable_candidates,
    infeasibility_core,
    resolve_pins,
    usable_candidates,
    workload_words,
)
from buddymatch.travel import TravelModel
from buddymatch.wording import area_words, plural


def _pinned_needs(cands: CandidateSet, rel: Relation) -> list[int]:
    """Return the indices of the needs a pin is about."""
    return [
        n
        for n, need in enumerate(cands.problem.needs)
        if need.seeker == rel.a and (rel.area is None or need.area == rel.area)
    ]


def _need_context(cands: CandidateSet, need_index: int) -> str:
    need = cands.problem.needs[need_index]
    tier = cands.policy.tiers[need.tier]
    return (
        f"{need.seeker}'s {area_words(need.area)} need takes exactly "
        f"{plural(need.buddies, 'buddy')}, each giving {need.tier}-tier "
        f"support ({plural(tier.workload, 'unit')} of capacity, fee "
        f"£{tier.fee:,.0f}) unless a pair override says otherwise"
    )


def _pin_member(rel: Relation) -> CoreMember:
    return CoreMember(
        kind="pin",
        seeker=rel.a,
        area=rel.area,
        buddy=rel.b,
        words=pin_words(rel),
    )


def _impossible_pin(cands: CandidateSet, relation: int) -> list[CoreMember]:
    """Name a pin no candidate can honour, with the rules that stop it."""
    rel = cands.problem.relations[relation]
    buddy = cands.problem.trust_ids.index(rel.b)
    members = [_pin_member(rel)]
    for n in _pinned_needs(cands, rel):
        need = cands.problem.needs[n]
        exclusion = cands.exclusion(n, buddy)
        if exclusion is not None:
            code, words = exclusion
        else:
            count = int((cands.need == n).sum())
            code = "too_few_candidates"
            words = (
                f"{need.seeker}'s {area_words(need.area)} need takes "
                f"{plural(need.buddies, 'buddy')} but only {count} "
                "pass the hard rules"
            )
        members.append(
            CoreMember(
                kind="hard_rule",
                seeker=need.seeker,
                area=need.area,
                buddy=rel.b,
                rule=code,
                words=f"{need.area}: {words}",
            )
        )
    return members


def _capacity_words(cands: CandidateSet, buddy: int, pinned: list[int]) -> str:
    """Name a buddy's capacity, and the workloads among *pinned* (candidate
    positions) it is too small for."""
    trust = cands.problem.trusts[buddy]
    words = f"{trust.id}'s capacity of {plural(trust.capacity, 'unit')}"
    below = [
        f"{workload_words(cands, at)} of {need.seeker}'s "
        f"{area_words(need.area)} need"
        for at in pinned
        if int(cands.buddy[at]) == buddy
        and int(cands.workload[at]) > trust.capacity
        for need in (cands.problem.needs[int(cands.need[at])],)
    ]
    if below:
        words += ", below " + " and ".join(below)
    return words


def _member(
    cands: CandidateSet,
    rule: CoreRule,
    pins: list[Relation],
    pinned: list[int],
) -> CoreMember:
    problem, policy = cands.problem, cands.policy
    if rule.kind == "pin":
        return _pin_member(pins[rule.index])
    if rule.kind == "capacity":
        trust = problem.trusts[rule.index]
        return CoreMember(
            kind="capacity",
            buddy=trust.id,
            limit=rule.limit,
            words=_capacity_words(cands, rule.index, pinned),
        )
    if rule.kind == "max_partners":
        trust = problem.trusts[rule.index]
        limit = int(rule.limit or 0)
        source = partner_limit_source(trust)
        return CoreMember(
            kind="max_partners",
            buddy=trust.id,
            limit=rule.limit,
            words=f"{trust.id}'s limit of {plural(limit, 'partner')} "
            f"({source})",
        )
    if rule.kind == "max_buddies_per_seeker":
        seeker = cands.seekers[rule.index]
        limit = int(rule.limit or 0)
        return CoreMember(
            kind="max_buddies_per_seeker",
            seeker=seeker,
            limit=rule.limit,
            words=f"{seeker}'s limit of {plural(limit, 'buddy')} "
            "(policy.max_buddies_per_seeker)",
        )
    budget = float(policy.budget or 0.0)
    return CoreMember(
        kind="budget", limit=budget, words=f"the budget of £{budget:,.0f}"
    )


def _summary(members: list[CoreMember], minimal: bool) -> str:
    text = "These rules cannot all hold together: " + "; ".join(
        m.words for m in members
    )
    if minimal:
        text += ". Without any one of them the others can hold: relax or "
        text += "remove one"
    return text + "."


def explain_infeasibility(
    problem: Problem,
    policy: Policy | None = None,
    *,
    time_limit: float = DEFAULT_CORE_TIME_LIMIT,
    travel: TravelModel | None = None,
    candidates: CandidateSet | None = None,
) -> Infeasibility | None:
    """Name a smallest set of pins and limits that cannot hold together.

    Parameters
    ----------
    problem
        The problem (its pins are the forced rules).
    policy
        The policy; ``None`` means the defaults.
    time_limit
        Seconds per feasibility solve (one worker, presolve off).
    travel
        The travel model (default: the one the policy selects).
    candidates
        Pre-built candidates of ``problem.canonical()`` and *policy*.

    Returns
    -------
    Infeasibility or None
        The conflict; ``None`` when every pin and limit can hold.

    Raises
    ------
    InputError
        As for [`buddymatch.propose`][buddymatch.propose].
    SolverError
        If CP-SAT reports the model invalid.
    """
    policy = policy or Policy()
    cands = candidates or build_candidates(
        problem.canonical(), policy, travel=travel
    )
    # A pin can only fail on its own for a hard pair rule, or a need with
    # fewer candidates than buddies.  A pair whose workload exceeds the
    # buddy's whole capacity is still a candidate (the pair rules are about
    # the pair): only the capacity stops it, so it is a core member.
    coverable = coverable_candidates(cands)
    groups, impossible = resolve_pins(cands, coverable)
    if impossible:
        first, *rest = impossible
        members = _impossible_pin(cands, first[0])
        return Infeasibility(
            status="infeasible",
            members=tuple(members),
            minimal=True,
            also=tuple(words for _, words in rest),
            words=(
                f"The {members[0].words} cannot hold: "
                + "; ".join(m.words for m in members[1:])
                + "."
            ),
        )
    pins = [rel for rel in cands.problem.relations if rel.kind == "pinned"]
    # The engine's own variables (usable pairs), plus every candidate of a
    # pinned need: only those can help a pin hold, and the capacity rules
    # (behind their assumptions) forbid the ones that do not fit.
    pinned_needs = np.unique(
        cands.need[np.asarray([k for g in groups for k in g], dtype=np.intp)]
    )
    mask = usable_candidates(cands) | (
        coverable & np.isin(cands.need, pinned_needs)
    )
    outcome = infeasibility_core(cands, mask, groups, time_limit=time_limit)
    if outcome.status == "feasible":
        return None
    if outcome.status == "unknown":
        return Infeasibility(
            status="unknown",
            words=(
                "No conflict was isolated within the time limit of "
                f"{time_limit:g} s per solve; allow more time"
            ),
        )
    # Every candidate of a pinned need of the core: a capacity below one
    # of their workloads is said with the workload.
    core_needs = {
        int(cands.need[k])
        for rule in outcome.core
        if rule.kind == "pin"
        for k in groups[rule.index]
    }
    pinned = [
        int(k)
        for n in sorted(core_needs)
        for k in cands.pairs_of_need(n).tolist()
    ]
    members = [_member(cands, rule, pins, pinned) for rule in outcome.core]
    context: list[str] = []
    for rule in outcome.core:
        if rule.kind != "pin":
            continue
        for n in sorted({int(cands.need[k]) for k in groups[rule.index]}):
            line = _need_context(cands, n)
            if line not in context:
                context.append(line)
    return Infeasibility(
        status="infeasible",
        members=tuple(members),
        minimal=outcome.minimal,
        context=tuple(context),
        words=_summary(members, outcome.minimal),
    )
