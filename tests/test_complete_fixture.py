"""The complete fixture keeps using every feature of the model and policy.

``complete_problem`` / ``complete_policy`` (conftest.py) are shared by the
module tests; these checks fail as soon as an edit to the fixture drops a
feature, so its coverage cannot be lost silently.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

import buddymatch as bm
from buddymatch.candidates import REASONS
from buddymatch.model import (
    DEFAULT_TIER_NAMES,
    RELATION_KINDS,
    TRUST_KINDS,
    Policy,
)
from buddymatch.result import UnmetReason

#: Unmet reasons a feasible proposal can give (``pinned_conflict`` and
#: ``not_solved`` need an infeasible or unsolved result).
PROPOSAL_REASONS = ("no_candidate", "too_few_candidates", "capacity", "budget")


def test_every_hard_pair_rule_excludes_some_pair(
    complete_problem: bm.Problem, complete_policy: bm.Policy
) -> None:
    cands = bm.build_candidates(complete_problem.canonical(), complete_policy)
    found = {REASONS[k - 1] for k in np.unique(cands.reason) if k}
    assert found == set(REASONS)


def test_both_forms_of_the_expertise_rule_apply(
    complete_problem: bm.Problem, complete_policy: bm.Policy
) -> None:
    cands = bm.build_candidates(complete_problem.canonical(), complete_policy)
    words = {
        exclusion[1].split(" ")[2]
        for n in range(len(cands.problem.needs))
        for t in range(len(cands.problem.trusts))
        if (exclusion := cands.exclusion(n, t)) and exclusion[0] == "expertise"
    }
    # "expertise 2 < required 3" and "expertise 3 <= seeker's own 3".
    assert words == {"<", "<="}


def test_the_proposal_has_an_unmet_need_of_every_proposal_reason(
    complete_result: bm.Result,
) -> None:
    assert complete_result.status == "optimal"
    reasons = sorted(u.reason for u in complete_result.unmet)
    assert reasons == sorted(PROPOSAL_REASONS)
    # The two left out need a result without a proposal.
    every: tuple[str, ...] = UnmetReason.__args__  # type: ignore[attr-defined]
    assert set(every) - set(PROPOSAL_REASONS) == {
        "pinned_conflict",
        "not_solved",
    }


def test_the_data_model_is_used_whole(complete_problem: bm.Problem) -> None:
    p = complete_problem
    assert {t.kind for t in p.trusts} == set(TRUST_KINDS)
    assert {r.kind for r in p.relations} == set(RELATION_KINDS)
    pins = [r for r in p.relations if r.kind == "pinned"]
    assert {r.area is None for r in pins} == {True, False}
    assert any(r.note for r in p.relations)
    assert {t.region is None for t in p.trusts} == {True, False}
    assert len(p.culture_dimensions) >= 2
    assert {n.area for n in p.needs} == set(p.areas)
    assert {n.priority for n in p.needs} == {1, 2, 3}
    assert {n.tier for n in p.needs} >= set(DEFAULT_TIER_NAMES)
    assert max(n.buddies for n in p.needs) >= 2
    assert 0 in {t.capacity for t in p.trusts if t.id not in p.seeker_ids}
    assert {t.max_partners for t in p.trusts} >= {None, 0, 1}
    # A seeker that is also a buddy.
    assert any(t.capacity > 0 for t in p.trusts if t.id in p.seeker_ids)
    kinds = {
        (o.score is not None, o.workload is not None) for o in p.overrides
    }
    assert kinds == {(True, False), (False, True), (True, True)}
    assert any(o.score is not None and o.score < 0 for o in p.overrides)
    # A partial matrix (the rest falls back), one entry one way round.
    assert p.travel is not None and 0 < len(p.travel) < len(p.trusts) ** 2
    given = {(e.origin, e.destination) for e in p.travel}
    assert any(d in p.seeker_ids and (d, o) not in given for o, d in given)


def test_the_policy_sets_every_field(complete_policy: bm.Policy) -> None:
    default = Policy()
    unchanged = [
        name
        for name in Policy.model_fields
        if getattr(complete_policy, name) == getattr(default, name)
    ]
    # These keep their default on purpose: the defaults are what the
    # fixture's rules need (changing them would drop a reason code).
    assert sorted(unchanged) == [
        "allow_acquirer_buddies",
        "max_travel_minutes",
        "min_expertise",
        "min_travel_minutes",
    ]
    assert set(complete_policy.tiers) - set(DEFAULT_TIER_NAMES)
    assert complete_policy.tiers["programme"] != default.tiers["programme"]


def test_the_proposal_shows_every_kind_of_assignment(
    complete_result: bm.Result,
) -> None:
    a = complete_result.assignments
    assert any(x.pinned for x in a)
    assert any("override" in x.terms for x in a)
    assert any(x.terms.get("preferred") for x in a)
    assert any(x.terms.get("prior") for x in a)
    # A workload set by an override (B3 gives 3, not the intensive 6).
    assert any(
        x.workload != complete_result.policy.tiers[x.tier].workload for x in a
    )
    assert {x.tier for x in a} >= {"light", "programme", "intensive"}
    assert any(len(p.areas) > 1 for p in complete_result.partnerships)
    # A seeker at its buddy limit, a buddy full, one at its partner limit.
    limit = complete_result.policy.max_buddies_per_seeker
    buddies = Counter(p.seeker for p in complete_result.partnerships)
    assert limit in buddies.values()
    # One buddy full, one at its own partner limit.
    use = {u.buddy: u for u in complete_result.utilisation}
    assert any(u.workload == u.capacity > 0 for u in use.values())
    assert any(
        u.max_partners is not None and u.partners == u.max_partners
        for u in use.values()
    )
