"""buddymatch.solvers.room: the room a proposal leaves for a need.

The first limit in order wins (whole capacity below the workload, capacity
taken, partner limit, seeker limit); the seeker's buddy limit couples the
new buddies of a need.
"""

from __future__ import annotations

import numpy as np
import pytest

import buddymatch as bm

# Internal modules: their paths may move, so every such import is here.
from buddymatch.candidates import CandidateSet
from buddymatch.solvers.room import BLOCKS, NeedRoom, ProposalUse
from conftest import buddy, seeker


def need_room(
    block: list[int],
    partner: list[bool],
    slack: int | None,
    wanted: int,
) -> NeedRoom:
    n = len(block)
    return NeedRoom(
        buddy=np.arange(n, dtype=np.int64),
        workload=np.ones(n, dtype=np.int64),
        block=np.asarray(block, dtype=np.int64),
        partner=np.asarray(partner, dtype=bool),
        mine=(),
        slack=slack,
        wanted=wanted,
    )


def test_block_codes_name_the_limits_in_order() -> None:
    assert BLOCKS == (
        "",
        "workload",
        "capacity",
        "max_partners",
        "max_buddies_per_seeker",
    )


def test_need_room_counts() -> None:
    room = need_room(
        block=[0, 1, 2, 3, 4, 0],
        partner=[True, False, False, False, False, False],
        slack=1,
        wanted=3,
    )
    assert [room.code(i) for i in range(6)] == [
        None,
        "workload",
        "capacity",
        "max_partners",
        "max_buddies_per_seeker",
        None,
    ]
    assert room.fitting == 5  # all but the one short of whole capacity
    # Free: room but for the seeker's limit (positions 0, 4 and 5).
    assert room.free.tolist() == [True, False, False, False, True, True]
    assert (room.existing, room.fresh) == (1, 2)
    # The seeker's limit lets one of the two fresh buddies join.
    assert (room.new, room.together, room.fits) == (1, 2, False)


@pytest.mark.parametrize(
    ("slack", "new"),
    [(None, 3), (5, 3), (2, 2), (0, 0), (-1, 0)],
)
def test_the_seeker_limit_caps_new_buddies(
    slack: int | None, new: int
) -> None:
    # A negative slack (a seeker over its limit, e.g. kept ongoing pairs)
    # must not subtract from the existing buddies.
    room = need_room([0, 0, 0], [False, False, False], slack, wanted=2)
    assert room.new == new
    assert room.together == new
    assert room.fits is (new >= 2)


def test_existing_partners_are_not_capped_by_the_seeker_limit() -> None:
    room = need_room([0, 0], [True, True], slack=0, wanted=2)
    assert (room.existing, room.new, room.fits) == (2, 0, True)


# -- ProposalUse --------------------------------------------------------------


def five_buddies() -> tuple[bm.Problem, CandidateSet]:
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T", 5),
            buddy("B1", 60, capacity=1),
            buddy("B2", 60, capacity=3),
            buddy("B3", 60, capacity=5, max_partners=1),
            buddy("B4", 60, capacity=5),
            buddy("B5", 60, capacity=5),
        ),
        needs=(
            bm.Need(seeker="S", area="finance", tier="programme"),
            bm.Need(seeker="T", area="finance"),
        ),
        overrides=(
            bm.PairOverride(
                seeker="T", area="finance", buddy="B2", workload=2
            ),
        ),
    )
    policy = bm.Policy(max_partners=None, max_buddies_per_seeker=1)
    return problem, bm.build_candidates(problem.canonical(), policy)


def index(cands: CandidateSet, tid: str) -> int:
    return cands.problem.trust_ids.index(tid)


def pick(cands: CandidateSet, seeker_id: str, buddy_id: str) -> int:
    n = next(
        i
        for i, need in enumerate(cands.problem.needs)
        if need.seeker == seeker_id
    )
    at = cands.position(n, index(cands, buddy_id))
    assert at is not None
    return at


def test_proposal_use_of_picks() -> None:
    _, cands = five_buddies()
    picks = np.array(
        [pick(cands, "T", "B2"), pick(cands, "T", "B3")], dtype=np.int64
    )
    use = ProposalUse.of(cands, picks)
    b2, b3, b4 = (index(cands, t) for t in ("B2", "B3", "B4"))
    # The override's workload counts, not the light tier's.
    assert use.used[b2] == 2 and use.used[b3] == 1 and use.used[b4] == 0
    assert use.partners[b2] == use.partners[b3] == 1
    # Own limit where set; -1 for none (policy.max_partners is off).
    assert use.limit[b3] == 1 and use.limit[b4] == -1
    assert use.capacity[index(cands, "B1")] == 1
    row_t = cands.seekers.index("T")
    assert use.buddies_of == {row_t: {b2, b3}}


def test_room_names_the_first_limit_that_blocks() -> None:
    _, cands = five_buddies()
    use = ProposalUse.of(
        cands,
        np.array(
            [pick(cands, "T", "B2"), pick(cands, "T", "B3")], dtype=np.int64
        ),
    )
    s_need = 0 if cands.problem.needs[0].seeker == "S" else 1
    ids = ["B1", "B2", "B3", "B4", "B5"]
    room = use.need_room(cands, s_need)
    got = {
        cands.problem.trust_ids[int(b)]: room.code(i)
        for i, b in enumerate(room.buddy.tolist())
    }
    assert set(got) == set(ids)
    # Programme workload 3: B1's whole capacity (1) is too small; B2 has
    # 1 of 3 left; B3 is at its own limit of one partner (T); B4 and B5
    # are free (S has no buddy yet, its limit is 1).
    assert got == {
        "B1": "workload",
        "B2": "capacity",
        "B3": "max_partners",
        "B4": None,
        "B5": None,
    }
    assert room.workload.tolist() == [3] * 5
    # Two free, but S may take one new buddy only.
    assert (room.fresh, room.new, room.slack) == (2, 1, 1)


def test_a_partner_of_the_seeker_ignores_the_limits_on_new_partners() -> None:
    _, cands = five_buddies()
    use = ProposalUse.of(
        cands, np.array([pick(cands, "S", "B3")], dtype=np.int64)
    )
    s_need = 0 if cands.problem.needs[0].seeker == "S" else 1
    t_need = 1 - s_need
    ids = ["B3", "B4"]
    buddies = np.array([index(cands, t) for t in ids], dtype=np.int64)
    ones = np.ones(2, dtype=np.int64)
    # For S, B3 is a partner already: its partner limit does not apply.
    assert use.room(cands, s_need, buddies, ones).code(0) is None
    # For T, B3 is at its limit (S); B4 is free.
    room = use.room(cands, t_need, buddies, ones)
    assert [room.code(0), room.code(1)] == ["max_partners", None]
    # S is at its limit of one buddy: a new buddy has no room ...
    room = use.room(cands, s_need, buddies, ones)
    assert room.code(1) == "max_buddies_per_seeker"
    # ... unless the caller ends one of its partnerships first.
    room = use.room(cands, s_need, buddies, ones, freed=1)
    assert room.code(1) is None


def test_workload_is_checked_before_the_partner_limit() -> None:
    _, cands = five_buddies()
    use = ProposalUse.of(
        cands, np.array([pick(cands, "T", "B3")], dtype=np.int64)
    )
    s_need = 0 if cands.problem.needs[0].seeker == "S" else 1
    b3 = np.array([index(cands, "B3")], dtype=np.int64)
    # B3 is at its partner limit and also too small for 9 units.
    assert use.room(cands, s_need, b3, np.array([9])).code(0) == "workload"
    assert use.room(cands, s_need, b3, np.array([1])).code(0) == (
        "max_partners"
    )


def test_fees_in_pence_are_the_same_one_by_one_and_all_at_once() -> None:
    import numpy as np

    from buddymatch.solvers.room import fee_units, fee_units_of

    fees = np.random.default_rng(0).uniform(0, 1e5, 10_000).round(3)
    # Halves of a penny, which both round to even.
    fees = np.r_[fees, [0.005, 0.015, 0.025, 1.005, 2.675, 5000.0, 0.0]]
    assert fee_units_of(fees).tolist() == [fee_units(float(f)) for f in fees]
