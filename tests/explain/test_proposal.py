"""buddymatch.explain.proposal: a result mapped onto its candidate pairs."""

from __future__ import annotations

import numpy as np
import pytest

import buddymatch as bm

# Internal modules: their paths may move, so every such import is here.
from buddymatch.explain.proposal import (
    ProposalView,
    fmt_minutes,
    fmt_value,
    names_of,
    pin_words,
)
from conftest import at, buddy, make_trust, seeker


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (None, "none"),
        (150.0, "150"),
        (3, "3"),
        (0.58, "0.58"),
        (1 / 3, "0.3333333333"),
        # A whole number in full, not as 1.25e+10.
        (12_500_000_000.0, "12500000000"),
    ],
)
def test_fmt_value_writes_policy_values_as_toml_would(
    value: object, text: str
) -> None:
    assert fmt_value(value) == text


def test_fmt_minutes_rounds_to_a_tenth() -> None:
    assert fmt_minutes(61.26) == "61.3"
    assert fmt_minutes(59.96) == "60"


@pytest.fixture(scope="module")
def view(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> ProposalView:
    return ProposalView.build(
        complete_problem, complete_policy, complete_result
    )


def tix(view: ProposalView, tid: str) -> int:
    return view.trust_index[tid]


def test_the_view_holds_the_proposal(view: ProposalView) -> None:
    assert int(view.chosen.sum()) == len(view.result.assignments)
    assert view.spent == view.result.total_fee == 168_000
    assert view.used[tix(view, "B1")] == 6
    # The override's workload (3), not the intensive tier's (6).
    assert view.used[tix(view, "B3")] == 3
    row = {s: r for r, s in enumerate(view.cands.seekers)}
    assert view.partners[tix(view, "B2")] == [row["S1"]]
    assert view.buddies_of[row["S2"]] == sorted(
        tix(view, b) for b in ("B1", "B3", "B4")
    )
    # The view works on the canonical problem; the original is kept for
    # re-solves.
    assert view.problem.trust_ids == tuple(sorted(view.original.trust_ids))
    assert view.original.trust_ids[0] == "S1"
    np.testing.assert_array_equal(view.use.used, view.used)


def test_pins_and_the_pairs_they_hold(view: ProposalView) -> None:
    assert len(view.pins) == 2 and view.impossible == []
    assert [view.problem.relations[r].kind for r in view.pin_relations] == [
        "pinned",
        "pinned",
    ]
    n = view.need_index[("S1", "finance")]
    at = view.cands.position(n, tix(view, "B2"))
    assert at is not None
    assert view.held_by_pin(at) == "pin S1 with buddy B2 in finance"
    n = view.need_index[("S2", "finance")]
    at = view.cands.position(n, tix(view, "B4"))
    assert at is not None
    assert view.held_by_pin(at) == ("pin S2 with buddy B4 (any of its needs)")
    n = view.need_index[("S2", "maternity")]
    at = view.cands.position(n, tix(view, "B1"))
    assert at is not None
    assert view.held_by_pin(at) is None


def test_partnership_lookups(view: ProposalView) -> None:
    assert view.describe_uses(tix(view, "B2")) == "S1 (finance, governance)"
    assert view.describe_uses(tix(view, "BF")) == ""
    n = view.need_index[("S1", "finance")]
    shared = view.cands.position(n, tix(view, "B2"))
    n = view.need_index[("S2", "maternity")]
    alone = view.cands.position(n, tix(view, "B1"))
    assert shared is not None and alone is not None
    assert view.shares_partnership(shared)
    assert not view.shares_partnership(alone)
    assert view.partner_limit(tix(view, "B2")) == 1  # its own
    assert view.partner_limit(tix(view, "B1")) == 2  # the policy's


def test_room_in_words(view: ProposalView) -> None:
    n = view.need_index[("S4", "finance")]
    assert view.room(n, tix(view, "B1"), 1) == (
        "capacity",
        "capacity used by its partnerships with S2 (maternity): 6 of 6 "
        "units taken, this need takes 1",
    )
    n = view.need_index[("S5", "maternity")]
    assert view.room(n, tix(view, "B2"), 6) == (
        "capacity",
        "capacity (4) is below the intensive workload (6)",
    )
    assert view.room(n, tix(view, "BF"), 6) is None
    # The room behind the words is the one of the result's unmet reasons.
    room = view.need_room(n)
    assert room.fits and room.together == 1


def limits_view(max_buddies: int | None = 1) -> ProposalView:
    """S has buddy B1 (finance); B2 partners T only (its limit)."""
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T", 5),
            buddy("B1", 60, level=5),
            buddy("B2", 60, level=4, max_partners=1, east=True),
            buddy("B3", 70, level=3),
        ),
        needs=(
            bm.Need(seeker="S", area="finance"),
            bm.Need(seeker="T", area="finance", priority=3),
        ),
        relations=(bm.Relation(a="T", b="B1", kind="veto"),),
    )
    policy = bm.Policy(max_buddies_per_seeker=max_buddies)
    result = bm.propose(problem, policy, time_limit=5)
    assert bm.verify(problem, policy, result) == []
    assert {(a.seeker, a.buddy) for a in result.assignments} == {
        ("S", "B1"),
        ("T", "B2"),
    }
    return ProposalView.build(problem, policy, result)


def test_room_names_the_partner_and_seeker_limits() -> None:
    view = limits_view()
    n = view.need_index[("S", "finance")]
    assert view.room(n, tix(view, "B2"), 1) == (
        "max_partners",
        "would exceed B2's limit of 1 partner (T)",
    )
    assert view.room(n, tix(view, "B3"), 1) == (
        "max_buddies_per_seeker",
        "would exceed S's limit of 1 buddy (B1)",
    )
    # Replacing B1 in its only area ends that partnership: room again.
    at = view.cands.position(n, tix(view, "B1"))
    assert view.room(n, tix(view, "B3"), 1, replacing=at) is None
    assert limits_view(None).room(n, tix(view, "B3"), 1) is None


def test_a_replaced_buddy_frees_room_only_if_it_ends_a_partnership() -> None:
    # B1 serves both of S's areas and T's one; S and T may have one buddy.
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T", 5),
            make_trust(
                "B1",
                *at(60),
                capacity=5,
                expertise={"finance": 5, "maternity": 5},
            ),
            make_trust(
                "B3",
                *at(70),
                capacity=5,
                expertise={"finance": 3, "maternity": 3},
            ),
        ),
        needs=(
            bm.Need(seeker="S", area="finance"),
            bm.Need(seeker="S", area="maternity"),
            bm.Need(seeker="T", area="finance"),
        ),
    )
    policy = bm.Policy(max_buddies_per_seeker=1)
    result = bm.propose(problem, policy, time_limit=5)
    assert bm.verify(problem, policy, result) == []
    assert {a.buddy for a in result.assignments} == {"B1"}
    view = ProposalView.build(problem, policy, result)
    b1, b3 = tix(view, "B1"), tix(view, "B3")
    s_fin = view.need_index[("S", "finance")]
    t_fin = view.need_index[("T", "finance")]
    s_pair = view.cands.position(s_fin, b1)
    t_pair = view.cands.position(t_fin, b1)
    assert s_pair is not None and t_pair is not None
    # B1 serves T too, but the partnership S-B1 is shared by S's areas
    # only.
    assert view.shares_partnership(s_pair)
    assert not view.shares_partnership(t_pair)
    # B3 in B1's place for S's finance: S keeps B1 (maternity), so B3
    # would be a second buddy; for T, B1's partnership ends.
    assert view.room(s_fin, b3, 1, replacing=s_pair) == (
        "max_buddies_per_seeker",
        "would exceed S's limit of 1 buddy (B1)",
    )
    assert view.room(t_fin, b3, 1, replacing=t_pair) is None


def test_a_result_of_other_inputs_is_refused(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> None:
    # Without seekers_can_buddy, SB may not serve S4: the result's pair
    # is not a candidate of these inputs.
    policy = bm.Policy(
        **{**complete_policy.model_dump(), "seekers_can_buddy": False}
    )
    with pytest.raises(bm.InputError, match="assigns SB to S4's governance"):
        ProposalView.build(complete_problem, policy, complete_result)


def test_pin_words_and_names() -> None:
    assert pin_words(bm.Relation(a="S", b="B", kind="pinned")) == (
        "pin S with buddy B (any of its needs)"
    )
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            bm.Trust(**{**seeker("B", 30).model_dump(), "name": ""}),
            buddy("A", 60),
        )
    )
    # Sorted by id; the id stands in for an empty name.
    assert list(names_of(problem, ["S", "B", "A", "Z"]).items()) == [
        ("A", "A NHS Trust"),
        ("B", "B"),
        ("S", "S NHS Trust"),
    ]
