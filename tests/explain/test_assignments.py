"""buddymatch.explain.assignments: why this buddy, and why not the others.

Score terms in a person's units; alternatives compared as if they took
the chosen buddy's place, each with the first reason that applies:
also assigned, capacity, partner limit, seeker limit, a pin, a lower or
equal score, or a better one the search did not find.
"""

from __future__ import annotations

import numpy as np
import pytest

import buddymatch as bm
from buddymatch.explain import (
    AssignmentExplanation,
    ProposalView,
    explain_assignment,
    explain_assignments,
)

# Internal modules: their paths may move, so every such import is here.
from buddymatch.explain.assignments import pair_terms
from buddymatch.scoring import TERMS
from buddymatch.solvers.assemble import assemble
from conftest import at, buddy, make_trust, seeker


@pytest.fixture(scope="module")
def view(
    complete_problem: bm.Problem,
    complete_policy: bm.Policy,
    complete_result: bm.Result,
) -> ProposalView:
    return ProposalView.build(
        complete_problem, complete_policy, complete_result
    )


def position(view: ProposalView, s: str, area: str, b: str) -> int:
    at_ = view.cands.position(view.need_index[(s, area)], view.trust_index[b])
    assert at_ is not None
    return at_


def explained(
    view: ProposalView, s: str, area: str, b: str, k: int = 3
) -> AssignmentExplanation:
    return explain_assignment(view, position(view, s, area, b), k)


def alternatives(e: AssignmentExplanation) -> list[tuple[str, str]]:
    return [(a.buddy, a.reason) for a in e.alternatives]


def solved_view(
    problem: bm.Problem, policy: bm.Policy | None = None
) -> ProposalView:
    policy = policy or bm.Policy()
    result = bm.propose(problem, policy, time_limit=5, deterministic=True)
    assert bm.verify(problem, policy, result) == []
    return ProposalView.build(problem, policy, result)


# -- score terms --------------------------------------------------------------


def test_an_override_is_one_term(view: ProposalView) -> None:
    (term,) = pair_terms(view, position(view, "S1", "governance", "B2"))
    assert (term.name, term.points, term.value) == ("override", 50.0, 50.0)
    assert term.words == "user-supplied score 50"


def test_computed_terms_in_their_own_units(view: ProposalView) -> None:
    at_ = position(view, "S4", "governance", "SB")
    terms = pair_terms(view, at_)
    assert tuple(t.name for t in terms) == TERMS
    by = {t.name: t for t in terms}
    # weight_expertise 8 x level 4; weight_travel 0.2 x 60 minutes;
    # bonus_preferred 12; no prior relation.
    assert (by["expertise"].value, by["expertise"].points) == (4, 32.0)
    assert (by["travel"].value, by["travel"].points) == (60.0, -12.0)
    assert (by["preferred"].value, by["preferred"].points) == (1.0, 12.0)
    assert by["prior"].words == "no prior relationship"
    assert by["travel"].words == "60 minutes' travel"
    assert sum(t.points for t in terms) == pytest.approx(
        float(view.cands.score[at_]), abs=1e-9
    )


def test_no_culture_data_is_said_so() -> None:
    problem = bm.Problem(
        trusts=(
            make_trust("S", *at(0), culture={}),
            make_trust(
                "B", *at(60), capacity=1, culture={}, expertise={"finance": 4}
            ),
        ),
        needs=(bm.Need(seeker="S", area="finance"),),
    )
    view = solved_view(problem)
    by = {t.name: t for t in pair_terms(view, 0)}
    assert by["culture"].value == 1.0
    assert by["culture"].words == "no culture data (fit counts as 1)"


# -- alternatives on the complete proposal ------------------------------------


def test_a_pinned_assignment_sharing_its_partnership(
    view: ProposalView,
) -> None:
    e = explained(view, "S1", "finance", "B2")
    assert e.pinned and e.candidates == 4
    # The partnership with S1 is shared with governance: no cost here.
    assert e.terms[-1].name == "partnership"
    assert e.terms[-1].points == 0.0
    assert e.net == e.score == 33.0
    assert alternatives(e) == [
        ("B1", "capacity"),
        ("B4", "capacity"),
        ("B5", "lower_score"),
    ]
    b1, b4, b5 = e.alternatives
    assert b1.difference == 22.0
    assert b1.words == (
        "capacity used by its partnerships with S2 (maternity): 6 of 6 "
        "units taken, this need takes 3; it would score 22 higher"
    )
    assert b4.words == "capacity (1) is below the programme workload (3)"
    # Largest effect first: the partnership cost (4), travel (2), culture.
    assert b5.words == (
        "lower score by 6.414: would add a partnership (-4 points) where "
        "the chosen buddy already partners S1, 10 minutes further, "
        "culture fit 0.93 vs 0.95"
    )
    assert "held by the pin S1 with buddy B2 in finance" in e.words


def test_the_other_buddy_of_a_two_buddy_need_is_also_assigned(
    view: ProposalView,
) -> None:
    e = explained(view, "S2", "maternity", "B1")
    assert not e.pinned
    assert e.net == e.score - 4.0  # starts the partnership S2-B1
    assert ("B3", "also_assigned") in alternatives(e)
    b3 = next(a for a in e.alternatives if a.buddy == "B3")
    assert b3.words == "also serves this need (it takes 2 buddies)"


def test_alternatives_come_best_net_first(view: ProposalView) -> None:
    e = explained(view, "S4", "governance", "SB")
    assert [a.buddy for a in e.alternatives] == ["B3", "B2", "B1"]
    nets = [a.net for a in e.alternatives]
    assert nets == sorted(nets, reverse=True)


def test_an_alternative_partnering_the_seeker_adds_no_cost(
    view: ProposalView,
) -> None:
    # B1 partners S2 already (maternity): taking B4's place in finance
    # costs no partnership, and B4's own partnership would end.
    e = explained(view, "S2", "finance", "B4")
    b1 = e.alternatives[0]
    assert b1.buddy == "B1"
    assert b1.net == b1.score
    assert b1.difference == 16.0


def test_k_limits_the_alternatives_listed(view: ProposalView) -> None:
    all_three = explained(view, "S1", "finance", "B2", k=3)
    one = explained(view, "S1", "finance", "B2", k=1)
    assert one.alternatives == all_three.alternatives[:1]
    assert one.candidates == all_three.candidates


def test_k_zero_does_not_claim_there_is_no_other_buddy(
    view: ProposalView,
) -> None:
    e = explained(view, "S1", "finance", "B2", k=0)
    assert e.alternatives == ()
    assert "No other buddy passes the hard rules" not in e.words
    assert e.words.endswith(
        "3 other buddies also pass the hard rules (none listed)"
    )


def test_explain_assignments_covers_the_proposal_in_order(
    view: ProposalView,
) -> None:
    every = explain_assignments(view, k=2)
    keys = [(e.seeker, e.area, e.buddy) for e in every]
    assert keys == sorted(
        (a.seeker, a.area, a.buddy) for a in view.result.assignments
    )
    assert all(len(e.alternatives) <= 2 for e in every)


# -- alternatives on small proposals ------------------------------------------


def test_an_alternative_at_its_partner_limit() -> None:
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T"),  # on S's site: the same minutes to each buddy
            buddy("B1", 60, level=5, max_partners=1),
            buddy("B2", 60, level=3, east=True),
        ),
        needs=(
            bm.Need(seeker="S", area="finance", priority=3),
            bm.Need(seeker="T", area="finance"),
        ),
        # S gains most from B1: the optimum is S-B1, T-B2.
        relations=(bm.Relation(a="S", b="B1", kind="preferred"),),
    )
    view = solved_view(problem)
    assert view.result.assignments[1].buddy == "B2"
    e = explained(view, "T", "finance", "B2")
    (alt,) = e.alternatives
    assert (alt.buddy, alt.reason) == ("B1", "max_partners")
    assert alt.words == (
        "would exceed B1's limit of 1 partner (S); it would score 20 higher"
    )


def test_an_alternative_beyond_the_seekers_buddy_limit() -> None:
    # B1 serves both of S's areas; B3 in its place for one area would be
    # S's second buddy.
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T"),
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
    view = solved_view(problem, bm.Policy(max_buddies_per_seeker=1))
    e = explained(view, "S", "finance", "B1")
    (alt,) = e.alternatives
    assert (alt.buddy, alt.reason) == ("B3", "max_buddies_per_seeker")
    assert alt.words == "would exceed S's limit of 1 buddy (B1)"
    # T's only need: B3 would replace B1, within T's limit.
    e = explained(view, "T", "finance", "B1")
    (alt,) = e.alternatives
    assert (alt.buddy, alt.reason) == ("B3", "lower_score")


def pinned_or_free(pin: bool) -> tuple[bm.Problem, bm.Policy]:
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            buddy("B1", 60, level=5),
            buddy("B2", 60, level=3, east=True),
        ),
        needs=(bm.Need(seeker="S", area="finance"),),
        relations=(
            (bm.Relation(a="S", b="B2", kind="pinned", area="finance"),)
            if pin
            else ()
        ),
    )
    return problem, bm.Policy()


def test_a_better_alternative_kept_out_by_a_pin() -> None:
    problem, policy = pinned_or_free(pin=True)
    view = solved_view(problem, policy)
    e = explained(view, "S", "finance", "B2")
    (alt,) = e.alternatives
    assert (alt.buddy, alt.reason, alt.difference) == ("B1", "pinned", 20.0)
    assert alt.words == (
        "higher score by 20 (expertise 5 vs 3), but the pin S with buddy "
        "B2 in finance holds the chosen buddy"
    )


def test_a_better_alternative_the_search_did_not_find() -> None:
    # The same choice without the pin, handed over as a feasible result.
    problem, policy = pinned_or_free(pin=False)
    cands = bm.build_candidates(problem.canonical(), policy)
    chosen = np.zeros(cands.n_candidates, dtype=bool)
    chosen[cands.position(0, cands.problem.trust_ids.index("B2"))] = True
    result = assemble(cands, chosen, "feasible", bound=50.0)
    assert bm.verify(problem, policy, result) == []
    view = ProposalView.build(problem, policy, result)
    e = explained(view, "S", "finance", "B2")
    (alt,) = e.alternatives
    assert (alt.buddy, alt.reason) == ("B1", "not_found")
    assert alt.words.startswith(
        "higher score by 20 (expertise 5 vs 3) and has room: the search "
        "stopped before finding it (result feasible, gap 0."
    )


def test_an_equal_alternative_is_a_tie() -> None:
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            buddy("B1", 60, level=4),
            buddy("B2", 60, level=4, east=True),  # the same score
        ),
        needs=(bm.Need(seeker="S", area="finance"),),
    )
    view = solved_view(problem)
    (chosen,) = view.result.assignments
    e = explained(view, "S", "finance", chosen.buddy)
    (alt,) = e.alternatives
    assert (alt.reason, alt.difference) == ("equal_score", 0.0)
    assert alt.words == "equal score; the tie went to the chosen buddy"
    assert e.words.endswith(
        f"Next best: {alt.buddy} (+0): equal score; the tie went to the "
        "chosen buddy"
    )


def test_sentences_name_areas_in_words_not_ids() -> None:
    # People read these sentences: "quality and safety need", not the
    # id "quality_safety" (which the JSON fields keep).
    folder = bm.example_dir()
    policy = bm.read_policy(folder / "policy.toml")
    problem = bm.read_problem(
        folder / "trusts.csv", relations=folder / "relations.csv"
    )
    result = bm.propose(problem, policy, deterministic=True)
    assert bm.verify(problem, policy, result) == []
    explained = bm.explain_result(problem, policy, result, relax=False)
    words = [e.words for e in explained.assignments]
    assert any("quality and safety need" in w for w in words)
    assert not any("quality_safety need" in w for w in words)
    assert any(e.area == "quality_safety" for e in explained.assignments)
