"""Every hard rule is one rule: the candidates or the engine make it, the
verifier checks it, and the explanations have words for it.

:mod:`buddymatch.rules` names the rules once.  A rule added there (or to
the verifier, or to an explanation) and not to the others fails here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import math
from typing import get_args

import numpy as np
import pytest
from ortools.sat.python import cp_model

import buddymatch as bm
import buddymatch.synth
from buddymatch.candidates import REASONS, build_candidates
from buddymatch.explain.infeasible import _member
from buddymatch.explain.unmet import STEP_PARAMETERS, STEP_RULES
from buddymatch.explanation import AlternativeReason, MemberKind
from buddymatch.model import RELATION_KINDS
from buddymatch.rules import (
    CORE_RULES,
    LIMITS,
    PAIR_RULES,
    ROOM_LIMITS,
    RULE_NAMES,
    RULES,
)
from buddymatch.solvers.api import (
    BLOCKS,
    CoreRule,
    ProposalUse,
    resolve_pins,
    usable_candidates,
)
from buddymatch.solvers.cpsat.constraints import Constraints
from buddymatch.solvers.cpsat.variables import Variables
from buddymatch.solvers.greedy import greedy
from buddymatch.solvers.room import Ledger
from conftest import make_trust

#: The verifier's module (``buddymatch.verify`` the attribute is the
#: function).
verify_module = importlib.import_module("buddymatch.verify")
#: Codes verify reports that are not hard rules: the result's own
#: bookkeeping (status, ids, numbers, cover).
VERIFY_BOOKKEEPING = {
    "status",
    "unknown_trust",
    "unknown_need",
    "unknown_tier",
    "travel_missing",
    "coverage",
    "unmet_mismatch",
    "values",
    "partnerships",
    "objective",
    "coverage_count",
}

LAT, LON = 52.0, -1.5


def _north(minutes: float) -> float:
    """Latitude *minutes* due north of (LAT, LON), by the straight line."""
    policy = bm.Policy()
    km = minutes * policy.speed_kmh / (policy.circuity * 60.0)
    return LAT + math.degrees(km / 6371.0088)


def _buddy(tid: str, minutes: float = 60.0, **kwargs: object) -> bm.Trust:
    kwargs.setdefault("capacity", 1)
    kwargs.setdefault("expertise", {"finance": 5, "governance": 5})
    return make_trust(
        tid,
        _north(minutes),
        LON,
        **kwargs,  # type: ignore[arg-type]
    )


def every_rule_problem() -> tuple[bm.Problem, bm.Policy]:
    """A problem in which every hard rule excludes a pair or can bind."""
    trusts = (
        make_trust("S1", LAT, LON, expertise={"finance": 1}),
        make_trust("S2", LAT, LON, expertise={"finance": 1}),
        _buddy("IDLE", capacity=0),  # not_a_buddy
        _buddy("WEAK", expertise={"finance": 1, "governance": 1}),
        _buddy("NEAR", 10),  # too_close
        _buddy("FAR", 300),  # too_far
        _buddy("RIVAL"),  # competitor
        _buddy("REFER"),  # tertiary
        _buddy("TAKER"),  # acquirer
        _buddy("NO"),  # veto
        _buddy("COLD", culture={"openness": 0.0}),  # culture
        _buddy("B1"),
        _buddy("B2"),
        _buddy("B3"),
    )
    relations = (
        bm.Relation(a="S1", b="RIVAL", kind="competitor"),
        bm.Relation(a="S1", b="REFER", kind="tertiary"),
        bm.Relation(a="S1", b="TAKER", kind="acquirer"),
        bm.Relation(a="S1", b="NO", kind="veto"),
        bm.Relation(a="S1", b="B1", kind="pinned", area="finance"),
    )
    needs = (
        bm.Need(seeker="S1", area="finance"),
        bm.Need(seeker="S1", area="governance"),
        bm.Need(seeker="S2", area="finance"),
    )
    policy = bm.Policy(
        min_culture_fit=0.9,
        max_partners=1,
        max_buddies_per_seeker=1,
        budget=10_000.0,
    )
    return bm.Problem(trusts=trusts, needs=needs, relations=relations), policy


def test_rules_are_named_once() -> None:
    assert tuple(RULES) == RULE_NAMES
    assert len(set(RULE_NAMES)) == len(RULE_NAMES)
    assert (*PAIR_RULES, *LIMITS, "pin") == RULE_NAMES
    assert set(CORE_RULES) == {*LIMITS, "pin"}
    assert set(ROOM_LIMITS) < set(LIMITS)
    policy_fields = set(bm.Policy.model_fields)
    trust_fields = set(bm.Trust.model_fields)
    for rule in RULES.values():
        assert rule.words, rule.name
        assert set(rule.parameters) <= policy_fields, rule.name
        assert rule.trust_field is None or rule.trust_field in trust_fields
        assert rule.relation is None or rule.relation in RELATION_KINDS
    kinds = {rule.name: rule.kind for rule in RULES.values()}
    assert [n for n, k in kinds.items() if k == "pair"] == list(PAIR_RULES)
    assert [n for n, k in kinds.items() if k == "limit"] == list(LIMITS)


# -- (a) the candidates or the engine make every rule -----------------------


def test_the_candidates_apply_every_pair_rule() -> None:
    problem, policy = every_rule_problem()
    cands = build_candidates(problem.canonical(), policy)
    assert REASONS == PAIR_RULES
    made = {REASONS[code - 1] for code in np.unique(cands.reason) if code}
    assert made == set(PAIR_RULES)


def test_the_engine_adds_every_limit_and_pin() -> None:
    problem, policy = every_rule_problem()
    cands = build_candidates(problem.canonical(), policy)
    usable = usable_candidates(cands)
    pins, impossible = resolve_pins(cands, usable)
    assert pins and not impossible
    model = cp_model.CpModel()
    added: list[CoreRule] = []

    def record(rule: CoreRule) -> None:
        added.append(rule)

    Constraints(
        model, cands, Variables(model, cands, usable), pins, guard=record
    ).add_all()
    assert {rule.kind for rule in added} == set(CORE_RULES)


def test_the_room_and_the_ledger_know_every_limit() -> None:
    assert BLOCKS[2:] == ROOM_LIMITS
    ledger: Ledger[str] = Ledger([1, 1], [1, 1], 1, 10.0)
    ledger.take(0, "S2", 1, 5.0)
    ledger.take(1, "S1", 0, 5.0)
    assert ledger.fits(1, "S1", 1, 0.0)
    assert ledger.broken(0, "S1", 1, 1.0) == list(LIMITS)


# -- (b) the verifier checks every rule, on its own --------------------------


def test_verify_checks_every_rule_with_its_own_names() -> None:
    checked = set(verify_module.RULES)
    assert set(RULE_NAMES) <= checked
    # Every code verify reports is a rule here or the result's bookkeeping.
    assert checked - VERIFY_BOOKKEEPING == set(RULE_NAMES)


def test_verify_does_not_import_the_rules() -> None:
    """verify shares no code with the solver, rule names included."""
    tree = ast.parse(inspect.getsource(verify_module))
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert imported <= {
        "__future__",
        "math",
        "collections.abc",
        "dataclasses",
        "buddymatch.model",
        "buddymatch.result",
    }


# -- (c) the explanations have words for every rule --------------------------


def test_the_funnel_names_every_pair_rule_and_limit() -> None:
    named = {rule for rules in STEP_RULES.values() for rule in rules}
    # ``self`` is the funnel's first step (every trust but the seeker).
    assert named == (set(PAIR_RULES) - {"self"}) | set(LIMITS)
    # Relaxations try the parameters of the step's own rules only.
    for step, parameters in STEP_PARAMETERS.items():
        own = {p for rule in STEP_RULES[step] for p in RULES[rule].parameters}
        assert set(parameters) <= own, step


def test_every_pair_rule_has_exclusion_words() -> None:
    problem, policy = every_rule_problem()
    cands = build_candidates(problem.canonical(), policy)
    words: dict[str, str] = {}
    for n, t in zip(*np.nonzero(cands.reason), strict=True):
        found = cands.exclusion(int(n), int(t))
        assert found is not None
        words.setdefault(found[0], found[1])
    assert set(words) == set(PAIR_RULES)
    assert all(words.values())


def test_every_limit_and_pin_has_conflict_words() -> None:
    assert set(get_args(MemberKind)) >= {*LIMITS, "pin"}
    assert set(get_args(AlternativeReason)) >= set(ROOM_LIMITS)
    problem, policy = every_rule_problem()
    cands = build_candidates(problem.canonical(), policy)
    pins = [r for r in cands.problem.relations if r.kind == "pinned"]
    for kind in CORE_RULES:
        member = _member(cands, CoreRule(kind, 0, 1.0), pins, [])
        assert member.kind == kind
        assert member.words


# -- the room, pair by pair and many at once ---------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_the_ledger_and_the_room_agree(seed: int) -> None:
    """The greedy's ledger and the vectorised room of the unmet reasons
    and explanations judge every candidate of every need alike."""
    problem = buddymatch.synth.generate(
        8, (1, 3), 30, seed=seed, regions=("Midlands",)
    )
    policy = bm.Policy(max_partners=2, max_buddies_per_seeker=2)
    cands = build_candidates(problem.canonical(), policy)
    chosen = greedy(cands, usable_candidates(cands), [])
    assert chosen is not None
    picks = np.flatnonzero(chosen)
    ledger = Ledger.of_picks(cands, picks)
    use = ProposalUse.of(cands, picks)
    checked = 0
    for need in range(len(cands.problem.needs)):
        pairs = cands.pairs_of_need(need)
        fresh = pairs[~chosen[pairs]]
        room = use.room(cands, need, cands.buddy[fresh], cands.workload[fresh])
        row = int(cands.need_seeker[need])
        for i, k in enumerate(fresh.tolist()):
            broken = ledger.broken(
                int(cands.buddy[k]), row, int(cands.workload[k]), 0.0
            )
            code = room.code(i)
            expected = "capacity" if code == "workload" else code
            assert (broken[0] if broken else None) == expected
            checked += 1
    assert checked
