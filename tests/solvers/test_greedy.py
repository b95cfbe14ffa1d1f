"""buddymatch.solvers.greedy: the warm start obeys every hard rule.

Needs are taken most urgent first, then fewest candidates first; each gets
its best candidates that still fit; partial cover is rolled back; pins are
honoured first; a passed deadline stops it.  Every mask is assembled and
checked by ``verify``.
"""

from __future__ import annotations

import numpy as np
import pytest

import buddymatch as bm

# Internal modules: their paths may move, so every such import is here.
from buddymatch.candidates import CandidateSet
from buddymatch.solvers.assemble import assemble, resolve_pins
from buddymatch.solvers.greedy import best_first, greedy, greedy_start
from buddymatch.solvers.room import usable_candidates
from conftest import at, buddy, make_trust, seeker


def expert(
    tid: str, minutes: float, expertise: dict[str, int], **kw: object
) -> bm.Trust:
    """A buddy *minutes* north of the base, with several areas."""
    lat, lon = at(minutes)
    kw.setdefault("capacity", 5)
    return make_trust(tid, lat, lon, expertise=expertise, **kw)  # type: ignore[arg-type]


def candidates(
    problem: bm.Problem, policy: bm.Policy | None = None
) -> CandidateSet:
    return bm.build_candidates(problem.canonical(), policy or bm.Policy())


def run(
    problem: bm.Problem, policy: bm.Policy | None = None
) -> tuple[CandidateSet, bm.Result]:
    """Greedy proposal, assembled and verified."""
    policy = policy or bm.Policy()
    cands = candidates(problem, policy)
    usable = usable_candidates(cands)
    groups, impossible = resolve_pins(cands, usable)
    assert impossible == []
    chosen = greedy(cands, usable, groups)
    assert chosen is not None
    result = assemble(cands, chosen, "feasible")
    assert bm.verify(problem, policy, result) == []
    return cands, result


def served(result: bm.Result) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for a in result.assignments:
        out.setdefault((a.seeker, a.area), []).append(a.buddy)
    return {key: sorted(value) for key, value in out.items()}


def test_best_first_ranks_each_need_by_score_then_position() -> None:
    problem = bm.Problem(
        trusts=(
            seeker("S1"),
            seeker("S2", 200, expertise={"maternity": 1}),
            buddy("B1", 60, level=3),
            buddy("B2", 60, level=5),
            # Same level and minutes as B2 (east instead of north): a tie.
            buddy("B3", 60, level=5, east=True),
        ),
        needs=(
            bm.Need(seeker="S1", area="finance"),
            bm.Need(seeker="S2", area="finance"),
        ),
        relations=(bm.Relation(a="S2", b="B2", kind="veto"),),
    )
    policy = bm.Policy(max_travel_minutes=None)
    cands = candidates(problem, policy)
    ranked, firsts = best_first(cands, np.ones(cands.n_candidates, bool))
    ids = cands.problem.trust_ids
    per_need = [
        [ids[cands.buddy[k]] for k in part]
        for part in np.split(ranked, firsts[1:])
    ]
    # B2 and B3 tie on score: the lower position (B2) first.
    assert per_need[0] == ["B2", "B3", "B1"]
    assert per_need[1][-1] == "B1"
    assert "B2" not in per_need[1]
    assert firsts.tolist() == [0, 3]
    # Ineligible pairs are left out.
    eligible = cands.buddy != ids.index("B3")
    ranked, _ = best_first(cands, eligible)
    assert ids.index("B3") not in cands.buddy[ranked].tolist()


def test_capacity_sends_the_second_need_to_the_next_best() -> None:
    problem = bm.Problem(
        trusts=(
            seeker("S1"),
            seeker("S2", 5),
            buddy("B1", 60, level=5, capacity=1),
            buddy("B2", 60, level=4, capacity=5),
        ),
        needs=(
            bm.Need(seeker="S1", area="finance"),
            bm.Need(seeker="S2", area="finance"),
        ),
    )
    _, result = run(problem)
    # Equal priority and candidate counts: input order decides.
    assert served(result) == {
        ("S1", "finance"): ["B1"],
        ("S2", "finance"): ["B2"],
    }


def test_the_most_urgent_need_goes_first() -> None:
    problem = bm.Problem(
        trusts=(
            seeker("S1"),
            seeker("S2", 5),
            buddy("B1", 60, level=5, capacity=1),
        ),
        needs=(
            bm.Need(seeker="S1", area="finance", priority=1),
            bm.Need(seeker="S2", area="finance", priority=3),
        ),
    )
    _, result = run(problem)
    # Input order would give B1 to S1.
    assert served(result) == {("S2", "finance"): ["B1"]}


def test_the_need_with_fewest_candidates_goes_first() -> None:
    problem = bm.Problem(
        trusts=(
            seeker("S1"),
            seeker("S2", 5),
            expert("B1", 60, {"finance": 5, "maternity": 4}, capacity=1),
            buddy("B2", 60, level=4),
        ),
        needs=(
            bm.Need(seeker="S1", area="finance"),
            bm.Need(seeker="S2", area="maternity"),  # only B1
        ),
    )
    _, result = run(problem)
    # Input order would give B1 to S1 and leave S2 unmet.
    assert served(result) == {
        ("S1", "finance"): ["B2"],
        ("S2", "maternity"): ["B1"],
    }
    assert result.unmet == ()


def test_a_partial_cover_is_rolled_back_whole() -> None:
    problem = bm.Problem(
        trusts=(
            seeker("S1"),
            seeker("S2", 5),
            expert("B1", 60, {"finance": 5, "maternity": 4}, capacity=1),
            buddy("B2", 60, level=4),
        ),
        needs=(
            # Two light fees (10,000) do not fit the budget: the first
            # buddy taken must be given back, fee and capacity.
            bm.Need(seeker="S1", area="finance", buddies=2, priority=3),
            bm.Need(seeker="S2", area="maternity", priority=1),  # only B1
        ),
    )
    _, result = run(problem, bm.Policy(budget=7_000))
    assert served(result) == {("S2", "maternity"): ["B1"]}
    assert result.total_fee == 5_000


def test_partner_and_seeker_limits_hold() -> None:
    problem = bm.Problem(
        trusts=(
            seeker("S1"),
            seeker("S2", 5),
            expert("B1", 60, {"finance": 5, "maternity": 3}, max_partners=1),
            expert("B2", 60, {"finance": 4, "maternity": 5}),
        ),
        needs=(
            bm.Need(seeker="S1", area="finance"),
            bm.Need(seeker="S1", area="maternity"),
            bm.Need(seeker="S2", area="finance"),
        ),
    )
    _, result = run(problem, bm.Policy(max_buddies_per_seeker=1))
    # S1 keeps to one buddy (B1, also for maternity though B2 scores
    # higher); B1 partners S1 only, so S2 gets B2.
    assert served(result) == {
        ("S1", "finance"): ["B1"],
        ("S1", "maternity"): ["B1"],
        ("S2", "finance"): ["B2"],
    }


def pinned_problem(*pins: bm.Relation) -> bm.Problem:
    return bm.Problem(
        trusts=(
            seeker("S1"),
            seeker("S2", 5),
            buddy("B1", 60, level=5, capacity=1),
            buddy("B2", 60, level=3, capacity=1),
        ),
        needs=(
            bm.Need(seeker="S1", area="finance"),
            bm.Need(seeker="S2", area="finance", priority=3),
        ),
        relations=pins,
    )


def test_a_pin_is_honoured_before_the_needs() -> None:
    problem = pinned_problem(
        bm.Relation(a="S1", b="B2", kind="pinned", area="finance")
    )
    _, result = run(problem)
    # The worse buddy, by the pin; the priority-3 need takes B1.
    assert served(result) == {
        ("S1", "finance"): ["B2"],
        ("S2", "finance"): ["B1"],
    }


def test_pins_the_greedy_cannot_honour_give_no_start() -> None:
    problem = pinned_problem(
        bm.Relation(a="S1", b="B1", kind="pinned"),
        bm.Relation(a="S2", b="B1", kind="pinned"),  # B1 holds one unit
    )
    cands = candidates(problem)
    usable = usable_candidates(cands)
    groups, _ = resolve_pins(cands, usable)
    start = greedy_start(cands, usable, groups)
    assert start.chosen is None
    assert not start.untried.any()


def test_a_passed_deadline_leaves_the_rest_untried() -> None:
    problem = pinned_problem(
        bm.Relation(a="S1", b="B2", kind="pinned", area="finance")
    )
    cands = candidates(problem)
    usable = usable_candidates(cands)
    groups, _ = resolve_pins(cands, usable)
    start = greedy_start(
        cands, usable, groups, deadline=1.0, clock=lambda: 2.0
    )
    assert start.chosen is not None
    # The pin is still honoured; S2's need is not even tried.
    s2 = [
        n for n, need in enumerate(cands.problem.needs) if need.seeker == "S2"
    ]
    assert start.untried[s2].all()
    result = assemble(cands, start.chosen, "feasible", untried=start.untried)
    assert bm.verify(problem, bm.Policy(), result) == []
    assert served(result) == {("S1", "finance"): ["B2"]}
    (left,) = result.unmet
    assert (left.seeker, left.reason) == ("S2", "not_solved")
    # Before the deadline, everything is tried.
    start = greedy_start(
        cands, usable, groups, deadline=3.0, clock=lambda: 2.0
    )
    assert not start.untried.any()


@pytest.mark.parametrize("deadline", [None, 0.0])
def test_the_complete_problem_gives_a_valid_start(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    deadline: float | None,
) -> None:
    cands = candidates(complete_problem, complete_policy)
    usable = usable_candidates(cands)
    groups, _ = resolve_pins(cands, usable)
    start = greedy_start(
        cands, usable, groups, deadline=deadline, clock=lambda: 1.0
    )
    assert start.chosen is not None
    result = assemble(cands, start.chosen, "feasible", untried=start.untried)
    assert bm.verify(complete_problem, complete_policy, result) == []
    assert all(a.pinned is False for a in result.assignments)
    assert result.total_fee <= (complete_policy.budget or 0)


def _position(cands: CandidateSet, need: int, trust: str) -> int:
    index = [t.id for t in cands.problem.trusts].index(trust)
    return int(
        np.flatnonzero((cands.need == need) & (cands.buddy == index))[0]
    )


def test_a_guide_is_followed_where_it_fits() -> None:
    # Alone, the greedy gives S1 its best buddy B1 (capacity 1), and S2,
    # which only B1 can serve, goes without.  Guided by a rounding that
    # gives B1 to S2 first, both needs are met.
    problem = bm.Problem(
        trusts=(
            seeker("S1"),
            seeker("S2", 5),
            expert("B1", 60, {"finance": 5, "maternity": 5}, capacity=1),
            expert("B2", 60, {"finance": 3}),
        ),
        needs=(
            bm.Need(seeker="S1", area="finance", priority=3),
            bm.Need(seeker="S2", area="maternity"),
        ),
    )
    cands, alone = run(problem)
    assert served(alone) == {("S1", "finance"): ["B1"]}
    usable = usable_candidates(cands)
    guide = [np.array([_position(cands, 1, "B1")])]
    chosen = greedy_start(cands, usable, [], guide=guide).chosen
    assert chosen is not None
    result = assemble(cands, chosen, "feasible")
    assert bm.verify(problem, bm.Policy(), result) == []
    assert served(result) == {
        ("S1", "finance"): ["B2"],
        ("S2", "maternity"): ["B1"],
    }


def test_a_guide_never_leaves_a_need_half_served() -> None:
    # The guide gives the two-buddy need one buddy only and a pair that
    # no longer fits: the half-served need is let go, then the greedy
    # serves it whole, and every rule holds.
    problem = bm.Problem(
        trusts=(
            seeker("S1"),
            buddy("B1", 60, level=5, capacity=1),
            buddy("B2", 60, level=4, capacity=1),
        ),
        needs=(bm.Need(seeker="S1", area="finance", buddies=2),),
    )
    cands = candidates(problem)
    usable = usable_candidates(cands)
    b1 = _position(cands, 0, "B1")
    guide = [np.array([b1]), np.array([b1])]
    ledger_free = greedy_start(cands, usable, [], guide=guide)
    assert ledger_free.chosen is not None
    result = assemble(cands, ledger_free.chosen, "feasible")
    assert bm.verify(problem, bm.Policy(), result) == []
    assert served(result) == {("S1", "finance"): ["B1", "B2"]}
    # Within a budget of one fee, the need cannot be served whole: the
    # guide's first pair is let go again, and nothing is kept.
    policy = bm.Policy(budget=7_000)
    cands = candidates(problem, policy)
    usable = usable_candidates(cands)
    chosen = greedy_start(
        cands, usable, [], guide=[np.flatnonzero(usable)]
    ).chosen
    assert chosen is not None and not chosen.any()
    result = assemble(cands, chosen, "feasible")
    assert bm.verify(problem, policy, result) == []


def test_letting_go_of_a_guided_pair_keeps_the_partnership_counted() -> None:
    # B1 may partner one seeker.  The guide gives it S1's two-buddy need
    # (half served: let go) and S1's other need (kept).  Letting go of the
    # first pair must not forget that B1 partners S1, or S2's need would
    # take B1 too (a second partner).
    problem = bm.Problem(
        trusts=(
            seeker("S1"),
            seeker("S2", 5),
            expert("B1", 60, {"finance": 5, "maternity": 5}, max_partners=1),
            expert("B2", 60, {"finance": 4}),
        ),
        needs=(
            bm.Need(seeker="S1", area="finance", buddies=2, priority=1),
            bm.Need(seeker="S1", area="maternity", priority=2),
            bm.Need(seeker="S2", area="maternity", priority=3),
        ),
    )
    cands = candidates(problem)
    usable = usable_candidates(cands)
    guide = [np.array([_position(cands, 0, "B1"), _position(cands, 1, "B1")])]
    chosen = greedy_start(cands, usable, [], guide=guide).chosen
    assert chosen is not None
    result = assemble(cands, chosen, "feasible")
    assert bm.verify(problem, bm.Policy(), result) == []
    # The greedy then serves the finance need whole (B1 already partners
    # S1); S2 goes without.
    assert served(result) == {
        ("S1", "finance"): ["B1", "B2"],
        ("S1", "maternity"): ["B1"],
    }


@pytest.mark.parametrize("block", range(4))
def test_any_guide_gives_a_proposal_obeying_every_rule(block: int) -> None:
    # Random guides (the usable pairs shuffled, cut into columns) on small
    # random problems with every limit in play.
    import random

    from solvers.test_decomposition import tiny_problem

    for seed in range(block * 100, block * 100 + 100):
        problem, policy = tiny_problem(seed)
        cands = candidates(problem, policy)
        usable = usable_candidates(cands)
        rng = random.Random(seed)
        pairs = np.flatnonzero(usable).tolist() * 2
        rng.shuffle(pairs)
        cuts = sorted(rng.sample(range(len(pairs) + 1), min(3, len(pairs))))
        guide = [
            np.array(pairs[a:b], dtype=np.int64)
            for a, b in zip([0, *cuts], [*cuts, len(pairs)], strict=True)
        ]
        groups, _ = resolve_pins(cands, usable)
        chosen = greedy_start(cands, usable, groups, guide=guide).chosen
        if chosen is None:
            continue
        result = assemble(cands, chosen, "feasible")
        assert bm.verify(problem, policy, result) == [], seed
