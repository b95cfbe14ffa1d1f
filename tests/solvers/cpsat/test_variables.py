"""buddymatch.solvers.cpsat.variables: variables for usable pairs only."""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

import buddymatch as bm

# Internal modules: their paths may move, so every such import is here.
from buddymatch.candidates import CandidateSet
from buddymatch.solvers.cpsat.variables import Variables
from buddymatch.solvers.room import usable_candidates
from conftest import at, buddy, make_trust, seeker


def problem() -> bm.Problem:
    return bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T", 5),
            make_trust(
                "B1",
                *at(60),
                capacity=5,
                expertise={"finance": 4, "maternity": 4},
            ),
            buddy("B2", 70),
            buddy("B3", 80, capacity=1),
        ),
        needs=(
            bm.Need(seeker="S", area="finance"),
            bm.Need(seeker="S", area="maternity"),
            bm.Need(seeker="T", area="finance", tier="programme"),
            # Two buddies wanted, only B1 passes: never coverable.
            bm.Need(seeker="T", area="maternity", buddies=2),
        ),
    )


def build(usable: np.ndarray | None = None) -> tuple[CandidateSet, Variables]:
    cands = bm.build_candidates(problem().canonical(), bm.Policy())
    if usable is None:
        usable = usable_candidates(cands)
    return cands, Variables(cp_model.CpModel(), cands, usable)


def names(cands: CandidateSet, k: int) -> tuple[str, str, str]:
    need = cands.problem.needs[int(cands.need[k])]
    return need.seeker, need.area, cands.problem.trust_ids[int(cands.buddy[k])]


def test_one_assignment_variable_per_usable_pair() -> None:
    cands, variables = build()
    usable = usable_candidates(cands)
    assert variables.positions.tolist() == np.flatnonzero(usable).tolist()
    assert len(variables.assign) == len(variables.positions)
    # T's programme need cannot use B3 (one unit); T's maternity need is
    # hopeless: neither gets a variable.
    got = sorted(names(cands, int(k)) for k in variables.positions)
    assert got == [
        ("S", "finance", "B1"),
        ("S", "finance", "B2"),
        ("S", "finance", "B3"),
        ("S", "maternity", "B1"),
        ("T", "finance", "B1"),
        ("T", "finance", "B2"),
    ]


def test_cover_variables_only_for_needs_with_usable_pairs() -> None:
    cands, variables = build()
    covered = {
        (cands.problem.needs[n].seeker, cands.problem.needs[n].area)
        for n in variables.covered
    }
    assert covered == {("S", "finance"), ("S", "maternity"), ("T", "finance")}


def test_one_partnership_per_seeker_and_buddy() -> None:
    cands, variables = build()
    ids = cands.problem.trust_ids
    keys = [(cands.seekers[s], ids[b]) for s, b in variables.partner_keys]
    assert keys == sorted(keys)
    assert sorted(keys) == [
        ("S", "B1"),
        ("S", "B2"),
        ("S", "B3"),
        ("T", "B1"),
        ("T", "B2"),
    ]
    assert len(variables.partner) == len(keys)
    # Each assignment points at its own partnership; S's two areas with
    # B1 share one.
    for i, k in enumerate(variables.positions.tolist()):
        s, _, b = names(cands, k)
        assert keys[variables.pair_partner[i]] == (s, b)
    shared = [
        variables.pair_partner[i]
        for i, k in enumerate(variables.positions.tolist())
        if names(cands, k)[0::2] == ("S", "B1")
    ]
    assert len(shared) == 2 and shared[0] == shared[1]


def test_nothing_usable_gives_an_empty_model() -> None:
    cands = bm.build_candidates(problem().canonical(), bm.Policy())
    variables = Variables(
        cp_model.CpModel(), cands, np.zeros(cands.n_candidates, dtype=bool)
    )
    assert variables.assign == [] and variables.partner == []
    assert variables.covered == {}
    assert variables.partner_keys == []
    assert variables.pair_partner.shape == (0,)
