"""An unmet need's funnel and its reason never contradict each other.

Both come from one computation of the room a proposal leaves for a need
(:class:`buddymatch.solvers.room.ProposalUse`): the funnel's ``workload``
and ``capacity`` steps count what it counts, and ``UnmetNeed.reason`` is
decided from the same counts.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import buddymatch as bm
from buddymatch.explain import explain_result
from buddymatch.explain.proposal import ProposalView
from buddymatch.explain.unmet import funnel
from buddymatch.explanation import FunnelStep, FunnelStepName
from buddymatch.result import UnmetReason
from buddymatch.solvers.assemble import assemble
from buddymatch.verify import verify
from conftest import buddy, seeker, solve_verified
from explain.test_explain import need

#: The funnel steps that apply hard pair rules.
HARD_STEPS: tuple[FunnelStepName, ...] = (
    "expertise",
    "service",
    "travel",
    "conflicts",
    "culture",
)


def seeker_limit_problem() -> tuple[bm.Problem, bm.Policy]:
    """S keeps G for governance (priority 3); its 2-buddy finance need has
    two candidates with room, but S's limit of 2 buddies leaves room for
    one more, and the budget is short as well."""
    problem = bm.Problem(
        trusts=(
            seeker(),
            buddy("G", 50, area="governance"),
            buddy("B2", 60),
            buddy("B3", 70),
        ),
        needs=(
            need(area="governance", priority=3, tier="light"),
            need(buddies=2, priority=1, tier="light"),
        ),
    )
    return problem, bm.Policy(max_buddies_per_seeker=2, budget=10_000)


def test_a_need_blocked_by_the_seeker_limit_is_not_a_budget_bottleneck() -> (
    None
):
    problem, policy = seeker_limit_problem()
    result = solve_verified(problem, policy, deterministic=True)
    (unmet,) = result.unmet
    assert (unmet.seeker, unmet.area) == ("S", "finance")
    assert unmet.reason == "capacity"
    assert "S's limit of 2 buddies leaves room for 1 more" in unmet.detail
    assert "beyond the budget" in unmet.detail
    # Lifting the budget alone does not cover it: the reason is right.
    free = policy.model_copy(update={"budget": None})
    lifted = solve_verified(problem, free, deterministic=True)
    assert [(u.seeker, u.area) for u in lifted.unmet] == [("S", "finance")]

    e = explain_result(problem, policy, result, relax=False)
    (u,) = e.unmet
    assert u.reason == "capacity"
    assert u.bottleneck == "capacity"  # was "budget"
    steps = {s.step: s for s in u.funnel}
    assert steps["capacity"].remaining == 1
    assert steps["capacity"].removed == 1
    assert steps["capacity"].examples[0] == (
        "S's limit of 2 buddies (G already) leaves room for 1 more of the "
        "2 with room"
    )
    assert steps["budget"].remaining == 0
    assert "after the capacity rule" in u.words


def test_the_seeker_limit_words_match_when_the_seeker_is_at_it() -> None:
    # Limit 1: no room at all for a new buddy; every one is removed by
    # name, as before.
    problem, policy = seeker_limit_problem()
    policy = policy.model_copy(update={"max_buddies_per_seeker": 1})
    result = solve_verified(problem, policy, deterministic=True)
    e = explain_result(problem, policy, result, relax=False)
    (u,) = e.unmet
    assert (u.reason, u.bottleneck) == ("capacity", "capacity")
    capacity = next(s for s in u.funnel if s.step == "capacity")
    assert capacity.remaining == 0
    assert capacity.examples == (
        "B2: would exceed S's limit of 1 buddy (G)",
        "B3: would exceed S's limit of 1 buddy (G)",
    )


def test_the_funnel_counts_who_can_take_the_workload_at_all() -> None:
    # ROOMY (10) can take the intensive workload (6); SMALL (1) never.
    problem = bm.Problem(
        trusts=(
            seeker(),
            buddy("ROOMY", 60, capacity=10),
            buddy("SMALL", 70, capacity=1),
        ),
        needs=(need(tier="intensive", buddies=2),),
    )
    result = solve_verified(problem, deterministic=True)
    e = explain_result(problem, None, result, relax=False)
    (u,) = e.unmet
    names = [s.step for s in u.funnel]
    assert names[-3:] == ["culture", "workload", "capacity"]
    workload = u.funnel[-2]
    assert (workload.remaining, workload.removed) == (1, 1)
    assert workload.examples == (
        "SMALL: capacity (1) is below the intensive workload (6)",
    )
    assert (u.reason, u.bottleneck) == ("capacity", "workload")
    assert "1 buddy is left after the workload rule" in u.words


def expected_reason(steps: tuple[FunnelStep, ...], wanted: int) -> str:
    """The reason a funnel implies (see the property test)."""
    for step in steps[1:]:
        if step.remaining >= wanted:
            continue
        if step.step in HARD_STEPS:
            culture = next(s for s in steps if s.step == "culture")
            return (
                "no_candidate"
                if culture.remaining == 0
                else ("too_few_candidates")
            )
        return step.step if step.step == "budget" else "capacity"
    return "capacity"


def _brute_force_room(
    problem: bm.Problem,
    policy: bm.Policy,
    cands: bm.CandidateSet,
    chosen: np.ndarray,
    need_index: int,
) -> bool:
    """Whether some way of adding the need to the proposal breaks no rule
    but the budget (checked by ``verify`` on the raw inputs)."""
    free = policy.model_copy(update={"budget": None})
    wanted = cands.problem.needs[need_index].buddies
    for combo in itertools.combinations(
        cands.pairs_of_need(need_index).tolist(), wanted
    ):
        mask = chosen.copy()
        mask[list(combo)] = True
        if verify(problem, free, assemble(cands, mask, "feasible")) == []:
            return True
    return False


POLICIES = (
    bm.Policy(max_partners=2, budget=60_000, max_travel_minutes=240),
    bm.Policy(max_buddies_per_seeker=2, budget=30_000, max_travel_minutes=240),
    bm.Policy(
        max_buddies_per_seeker=3,
        max_partners=2,
        budget=45_000,
        max_travel_minutes=240,
    ),
)


def random_instance(seed: int) -> tuple[bm.Problem, bm.Policy]:
    """A small synthetic problem whose needs take 1-3 buddies each."""
    from buddymatch.synth import generate

    problem = generate(4, (1, 3), 10, seed=seed, capacity_ratio=0.8, n_areas=3)
    rng = np.random.default_rng(seed)
    needs = tuple(
        n.model_copy(update={"buddies": int(rng.integers(1, 4))})
        for n in problem.needs
    )
    return problem.replace(needs=needs), POLICIES[seed % len(POLICIES)]


@pytest.mark.parametrize("seed", range(16))
def test_funnel_and_reason_agree_on_random_instances(seed: int) -> None:
    """For every unmet need of a seeded small random instance, the funnel
    and ``UnmetNeed.reason`` agree.

    "Agree" means: let the bottleneck be the first funnel step after
    ``trusts`` that leaves fewer buddies than the need takes (the
    ``bottleneck`` field, which must be exactly that step). Then

    * a hard-rule step (expertise, service, travel, conflicts, culture)
      goes with ``no_candidate`` when no buddy is left after culture, and
      with ``too_few_candidates`` otherwise;
    * ``workload``, ``capacity`` or no bottleneck at all goes with
      ``capacity``;
    * ``budget`` goes with ``budget`` — and ``budget`` is the bottleneck
      exactly when the reason is ``budget``.

    Independently, the capacity step leaves at least as many buddies as
    the need takes exactly when some way of adding the need to the
    proposal as it stands breaks no rule but the budget (brute force,
    checked by ``verify``).
    """
    problem, policy = random_instance(seed)
    result = solve_verified(problem, policy, deterministic=True)
    e = explain_result(problem, policy, result, relax=False)
    view = ProposalView.build(problem, policy, result)
    reasons: dict[tuple[str, str], UnmetReason] = {
        (u.seeker, u.area): u.reason for u in result.unmet
    }
    assert len(e.unmet) == len(reasons)
    for u in e.unmet:
        key = (u.seeker, u.area)
        assert u.reason == reasons[key]
        steps = u.funnel
        assert [s.remaining for s in steps] == [
            s.remaining for s in funnel(view, view.need_index[key])
        ]
        first = next(
            (s.step for s in steps[1:] if s.remaining < u.buddies), None
        )
        assert u.bottleneck == first, key
        assert u.reason == expected_reason(steps, u.buddies), (key, steps)
        assert (u.bottleneck == "budget") == (u.reason == "budget"), key
        capacity = next(s for s in steps if s.step == "capacity")
        workload = next(s for s in steps if s.step == "workload")
        if workload.remaining >= u.buddies:
            n = view.need_index[key]
            fits = _brute_force_room(
                problem, policy, view.cands, view.chosen, n
            )
            assert (capacity.remaining >= u.buddies) == fits, (key, steps)


@pytest.mark.parametrize("seed", [237, 275, 324])
def test_budget_with_buddies_rearranged_is_the_funnel_bottleneck(
    seed: int,
) -> None:
    """Needs that no buddy has room for in the proposal as it stands, but
    that lifting the budget alone lets be met with buddies rearranged (the
    brute force's seeds where this happens): the reason is ``budget``, and
    the funnel names ``budget`` as its bottleneck instead of capacity."""
    from test_bruteforce import make_instance

    problem, policy = make_instance(seed)
    result = solve_verified(problem, policy, deterministic=True)
    rearranged = {
        (u.seeker, u.area)
        for u in result.unmet
        if "buddies rearranged" in u.detail
    }
    assert rearranged
    assert all(
        u.reason == "budget"
        for u in result.unmet
        if (u.seeker, u.area) in rearranged
    )
    explanation = explain_result(problem, policy, result, workers=1)
    for u in explanation.unmet:
        if (u.seeker, u.area) in rearranged:
            assert u.bottleneck == "budget", u.words
            assert "lifting the budget alone" in u.words


def test_budget_checks_are_capped_in_deterministic_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Deterministic mode has no wall-clock end, so the feasibility solves
    behind ``budget`` share a cap of deterministic time; past it a need
    blocked in the proposal keeps ``capacity`` with the budget named too,
    never a ``budget`` the check did not establish."""
    from buddymatch import solvers
    from test_bruteforce import make_instance

    problem, policy = make_instance(237)
    monkeypatch.setattr(solvers, "BUDGET_CHECK_TOTAL_SECONDS", 0.0)
    result = solve_verified(problem, policy, deterministic=True)
    blocked = [u for u in result.unmet if "none has room" in u.detail]
    assert blocked
    for u in blocked:
        assert u.reason == "capacity"
        assert "buddies rearranged" not in u.detail
        assert "beyond the budget" in u.detail
