"""Re-matching: ongoing arrangements kept, ended pairs banned, a diff out.

Every re-match result goes through the independent verifier on the
problem the engine solved (``check``), and each test is built so that it
fails if its rule were dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections import Counter
from pathlib import Path

import pytest

import buddymatch as bm
from buddymatch.io import read_arrangements, write_arrangements
from buddymatch.rematch import (
    CHANGE_COLUMNS,
    Arrangement,
    RematchResult,
    change_rows,
    rematch,
    render_rematch_markdown,
    write_rematch,
)
from buddymatch.synth import generate
from buddymatch.verify import recompute_objective, verify
from conftest import make_trust, solve_verified

BASE_LAT, BASE_LON = 52.0, -1.5
#: Minutes of straight-line travel per degree of latitude (default policy).
MIN_PER_DEG = 6371.0088 * math.pi / 180 * 1.3


def place(minutes: float, east: bool = False) -> tuple[float, float]:
    """Coordinates *minutes* of travel north (or east) of the base."""
    if east:
        dlon = minutes / MIN_PER_DEG / math.cos(math.radians(BASE_LAT))
        return BASE_LAT, BASE_LON + dlon
    return BASE_LAT + minutes / MIN_PER_DEG, BASE_LON


def seeker(tid: str, minutes: float = 0.0) -> bm.Trust:
    return make_trust(tid, *place(minutes, east=True))


def buddy(
    tid: str, minutes: float, *, capacity: int = 6, **levels: int
) -> bm.Trust:
    return make_trust(
        tid,
        *place(minutes),
        capacity=capacity,
        expertise=levels or {"finance": 4},
    )


def ongoing(seeker_id: str, area: str, buddy_id: str) -> Arrangement:
    return Arrangement(
        seeker=seeker_id, area=area, buddy=buddy_id, status="ongoing"
    )


def ended(seeker_id: str, area: str, buddy_id: str) -> Arrangement:
    return Arrangement(
        seeker=seeker_id, area=area, buddy=buddy_id, status="ended"
    )


def check(rm: RematchResult) -> RematchResult:
    """Assert the engine's result verifies on the problem it solved."""
    policy = rm.result.policy
    violations = verify(rm.problem, policy, rm.result)
    assert violations == [], "\n".join(map(str, violations))
    if rm.result.objective is not None:
        assert rm.result.objective == pytest.approx(
            recompute_objective(rm.problem, policy, rm.result), abs=1e-6
        )
    return rm


def run(
    problem: bm.Problem,
    policy: bm.Policy | None,
    arrangements: list[Arrangement],
) -> RematchResult:
    return check(
        rematch(problem, policy, arrangements, time_limit=20, workers=2)
    )


def triples(changes: tuple[bm.rematch.Change, ...]) -> set[tuple[str, ...]]:
    return {(c.seeker, c.area, c.buddy) for c in changes}


def assigned(result: bm.Result) -> set[tuple[str, str, str]]:
    return {(a.seeker, a.area, a.buddy) for a in result.assignments}


# ---------------------------------------------------------------------------
# The bundled example: end one arrangement, add a seeker
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> tuple[bm.Problem, bm.Policy, bm.Result]:
    folder = bm.example_dir()
    policy = bm.read_policy(folder / "policy.toml")
    problem = bm.read_problem(
        folder / "trusts.csv",
        relations=folder / "relations.csv",
        policy=policy,
    )
    # Feasible is enough (the arrangements only need to be valid ones);
    # deterministic, so the newcomer always meets the same arrangements.
    result = solve_verified(
        problem, policy, time_limit=0.5, workers=2, deterministic=True
    )
    return problem, policy, result


def test_example_rematch_keeps_bans_and_verifies(
    example: tuple[bm.Problem, bm.Policy, bm.Result],
) -> None:
    problem, policy, baseline = example
    pairs = Counter((a.seeker, a.buddy) for a in baseline.assignments)
    # End a one-area partnership whose need stays, so it must be re-matched.
    gone = next(
        a for a in baseline.assignments if pairs[(a.seeker, a.buddy)] == 1
    )
    arrangements = [
        ended(a.seeker, a.area, a.buddy)
        if a is gone
        else ongoing(a.seeker, a.area, a.buddy)
        for a in baseline.assignments
    ]
    bath = problem.trust("RBW4")  # a trust with no needs and no capacity
    newcomer = bath.model_copy(update={"id": "NEW1", "name": "New Trust"})
    grown = problem.replace(
        trusts=(*problem.trusts, newcomer),
        needs=(
            *problem.needs,
            bm.Need(
                seeker="NEW1", area="finance", tier="programme", priority=3
            ),
        ),
    )

    rm = run(grown, policy, arrangements)

    still = {
        (a.seeker, a.area, a.buddy)
        for a in arrangements
        if a.status == "ongoing"
    }
    assert triples(rm.kept) == still
    assert still <= assigned(rm.result)  # every other pair is kept
    assert all(c.kept_as == "pinned" and not c.flags for c in rm.kept)
    assert triples(rm.ended) == {(gone.seeker, gone.area, gone.buddy)}
    # The ended pair is proposed in no area at all.
    assert all(
        (a.seeker, a.buddy) != (gone.seeker, gone.buddy)
        for a in rm.result.assignments
    )
    # Its need and the newcomer's are served anew (or reported unmet).
    for need in ((gone.seeker, gone.area), ("NEW1", "finance")):
        new = {(c.seeker, c.area) for c in rm.new}
        unmet = {(u.seeker, u.area) for u in rm.unmet}
        assert need in new or need in unmet
    assert ("NEW1", "finance") in {(c.seeker, c.area) for c in rm.new}
    assert triples(rm.new) == assigned(rm.result) - still
    # Ongoing workload counts against capacity: the pins are in the result.
    assert rm.total_fee == pytest.approx(rm.result.total_fee)
    # The next arrangements file: kept and new ongoing, ended still ended.
    after = rm.arrangements()
    assert {
        (a.seeker, a.area, a.buddy) for a in after if a.status == "ongoing"
    } == assigned(rm.result)
    assert next(a for a in after if a.status == "ended").buddy == gone.buddy
    new_starts = {
        a.start
        for a in after
        if (a.seeker, a.area, a.buddy) in triples(rm.new)
    }
    assert new_starts == {dt.date(2026, 4, 1)}  # the example's start_date


def test_example_rematch_twice_changes_nothing(
    example: tuple[bm.Problem, bm.Policy, bm.Result],
) -> None:
    problem, policy, baseline = example
    arrangements = [
        ongoing(a.seeker, a.area, a.buddy) for a in baseline.assignments
    ]
    rm = run(problem, policy, arrangements)
    assert rm.new == ()
    assert assigned(rm.result) == assigned(baseline)
    assert [u.area for u in rm.unmet] == [u.area for u in baseline.unmet]


# ---------------------------------------------------------------------------
# Small problems, one rule each
# ---------------------------------------------------------------------------


def two_buddies(old_score: float, new_score: float) -> bm.Problem:
    """One need; OLD is in place, BETTER scores *new_score*."""
    return bm.Problem(
        trusts=(seeker("S"), buddy("OLD", 60), buddy("BETTER", 90)),
        needs=(bm.Need(seeker="S", area="finance"),),
        overrides=(
            bm.PairOverride(
                seeker="S", area="finance", buddy="OLD", score=old_score
            ),
            bm.PairOverride(
                seeker="S", area="finance", buddy="BETTER", score=new_score
            ),
        ),
    )


def test_pinned_keeps_even_a_worse_arrangement() -> None:
    problem = two_buddies(10.0, 60.0)
    rm = run(problem, bm.Policy(), [ongoing("S", "finance", "OLD")])
    assert assigned(rm.result) == {("S", "finance", "OLD")}
    assert rm.kept[0].kept_as == "pinned"
    assert rm.result.assignments[0].pinned


@pytest.mark.parametrize(
    ("disruption", "keeps"), [(15.0, True), (9.0, False), (0.0, False)]
)
def test_soft_drops_only_when_worth_more_than_disruption(
    disruption: float, keeps: bool
) -> None:
    # BETTER is worth 10 points more; keeping OLD costs 10 points.
    problem = two_buddies(50.0, 60.0)
    policy = bm.Policy(keep_ongoing="soft", disruption_cost=disruption)
    rm = run(problem, policy, [ongoing("S", "finance", "OLD")])
    if keeps:
        assert triples(rm.kept) == {("S", "finance", "OLD")}
        assert rm.kept[0].kept_as == "soft"
        assert rm.new == () and rm.dropped == ()
        assert rm.disruption == 0
    else:
        assert triples(rm.dropped) == {("S", "finance", "OLD")}
        assert triples(rm.new) == {("S", "finance", "BETTER")}
        assert rm.dropped[0].disruption == disruption
        assert rm.disruption == disruption
        assert "disruption cost" in rm.dropped[0].note
        # A dropped arrangement is not banned: it leaves the file.
        assert all(a.buddy != "OLD" for a in rm.arrangements())


def test_soft_keeps_the_users_own_override_workload() -> None:
    problem = two_buddies(50.0, 60.0).replace(
        overrides=(
            bm.PairOverride(
                seeker="S",
                area="finance",
                buddy="OLD",
                score=50.0,
                workload=2,
            ),
        )
    )
    policy = bm.Policy(keep_ongoing="soft", disruption_cost=100.0)
    rm = run(problem, policy, [ongoing("S", "finance", "OLD")])
    (given,) = rm.problem.overrides
    assert given.workload == 2
    assert given.score == pytest.approx(150.0)
    assert rm.kept[0].workload == 2


def test_ended_pair_is_banned_in_every_area() -> None:
    # B is the best buddy for both areas; the finance arrangement ended.
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            buddy("B", 60, finance=5, governance=5),
            buddy("C", 120, finance=3, governance=3),
        ),
        needs=(
            bm.Need(seeker="S", area="finance"),
            bm.Need(seeker="S", area="governance"),
        ),
    )
    assert {a.buddy for a in solve_verified(problem).assignments} == {"B"}
    rm = run(problem, None, [ended("S", "finance", "B")])
    assert assigned(rm.result) == {
        ("S", "finance", "C"),
        ("S", "governance", "C"),
    }
    assert any(
        r.kind == "veto" and (r.a, r.b) == ("S", "B")
        for r in rm.problem.relations
    )


def test_an_ended_need_may_be_gone_from_the_trusts_file() -> None:
    problem = bm.Problem(
        trusts=(seeker("S"), buddy("B", 60, finance=5, governance=5)),
        needs=(bm.Need(seeker="S", area="finance"),),
    )
    rm = run(problem, None, [ended("S", "governance", "B")])
    assert rm.result.assignments == ()
    assert rm.ended[0].tier is None
    assert rm.unmet[0].reason == "no_candidate"


def test_rule_breaker_is_kept_flagged_and_its_workload_counts() -> None:
    # B is now too close for S1 (a stricter neighbour rule); it is kept
    # and flagged, and its 3 units leave B no room for S2.
    problem = bm.Problem(
        trusts=(
            seeker("S1"),
            seeker("S2", 5),
            buddy("B", 40, capacity=4),
            buddy("C", 120, capacity=4),
        ),
        needs=(
            bm.Need(seeker="S1", area="finance", tier="programme"),
            bm.Need(seeker="S2", area="finance", tier="programme"),
        ),
    )
    policy = bm.Policy(min_travel_minutes=45)
    rm = run(problem, policy, [ongoing("S1", "finance", "B")])
    (kept,) = rm.kept
    assert kept.kept_as == "outside"
    assert [f.rule for f in kept.flags] == ["too_close"]
    assert "45" in kept.flags[0].detail
    assert rm.flagged == (kept,)
    assert rm.problem.trust("B").capacity == 1  # 4 - 3 units kept outside
    assert assigned(rm.result) == {("S2", "finance", "C")}
    # S1's need is served by the kept arrangement, not proposed again.
    assert "S1" not in {n.seeker for n in rm.problem.needs}
    assert [(c.priority, c.covered) for c in rm.coverage] == [(2, 2)]
    assert rm.total_fee == pytest.approx(40_000)


def test_ongoing_overrun_flags_the_latest_not_infeasible() -> None:
    # B's capacity has shrunk to 3: two programme arrangements overrun it.
    problem = bm.Problem(
        trusts=(seeker("S1"), seeker("S2", 5), buddy("B", 60, capacity=3)),
        needs=(
            bm.Need(seeker="S1", area="finance", tier="programme"),
            bm.Need(seeker="S2", area="finance", tier="programme"),
        ),
    )
    arrangements = [
        ongoing("S2", "finance", "B").model_copy(
            update={"start": dt.date(2025, 6, 1)}
        ),
        ongoing("S1", "finance", "B").model_copy(
            update={"start": dt.date(2025, 1, 1)}
        ),
    ]
    rm = run(problem, None, arrangements)
    assert rm.status == "optimal"
    by_seeker = {c.seeker: c for c in rm.kept}
    assert by_seeker["S1"].kept_as == "pinned"  # the older one
    assert by_seeker["S2"].kept_as == "outside"
    assert [f.rule for f in by_seeker["S2"].flags] == ["capacity"]
    assert rm.all_met()


def test_part_of_a_need_continues_and_the_rest_is_found() -> None:
    # The need asks for two buddies; A continues, B ended.  The engine
    # must find one more, and never A a second time.
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            buddy("A", 60, finance=5),
            buddy("B", 70, finance=5),
            buddy("C", 140, finance=3),
        ),
        needs=(bm.Need(seeker="S", area="finance", buddies=2),),
    )
    rm = run(
        problem,
        None,
        [ongoing("S", "finance", "A"), ended("S", "finance", "B")],
    )
    assert rm.kept[0].kept_as == "outside"
    assert not rm.kept[0].flags
    assert rm.problem.needs[0].buddies == 1
    assert assigned(rm.result) == {("S", "finance", "C")}
    assert rm.all_met()
    assert [(c.priority, c.covered) for c in rm.coverage] == [(2, 1)]


def test_part_of_a_need_unmet_reports_the_whole_need() -> None:
    problem = bm.Problem(
        trusts=(seeker("S"), buddy("A", 60, finance=5)),
        needs=(bm.Need(seeker="S", area="finance", buddies=2),),
    )
    rm = run(problem, None, [ongoing("S", "finance", "A")])
    (unmet,) = rm.unmet
    assert unmet.buddies == 2
    assert "1 of its 2 buddies continue" in unmet.detail
    assert triples(rm.kept) == {("S", "finance", "A")}
    assert rm.status == "optimal"


def test_kept_buddies_count_against_the_seekers_limit() -> None:
    # S keeps OLD outside the model (too close now); with a limit of 2
    # buddies it may take only one new buddy for its two other needs.
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            buddy("OLD", 40, maternity=5),
            buddy("F", 60, finance=5),
            buddy("G", 70, governance=5),
            buddy("FG", 140, finance=3, governance=3),
        ),
        needs=(
            bm.Need(seeker="S", area="maternity"),
            bm.Need(seeker="S", area="finance", priority=3),
            bm.Need(seeker="S", area="governance", priority=1),
        ),
    )
    policy = bm.Policy(min_travel_minutes=45, max_buddies_per_seeker=2)
    rm = run(problem, policy, [ongoing("S", "maternity", "OLD")])
    buddies = {c.buddy for c in (*rm.kept, *rm.new)}
    assert len(buddies) <= 2
    assert "OLD" in buddies
    # Both needs fit with FG alone; the repair must not lose cover.
    assert rm.all_met()
    assert {c.buddy for c in rm.new} == {"FG"}


def test_kept_buddies_that_fill_the_limit_block_new_ones() -> None:
    problem = bm.Problem(
        trusts=(
            seeker("S"),
            buddy("OLD", 40, maternity=5),
            buddy("F", 60, finance=5),
        ),
        needs=(
            bm.Need(seeker="S", area="maternity"),
            bm.Need(seeker="S", area="finance"),
        ),
    )
    policy = bm.Policy(min_travel_minutes=45, max_buddies_per_seeker=1)
    rm = run(problem, policy, [ongoing("S", "maternity", "OLD")])
    assert rm.new == ()
    assert [u.area for u in rm.unmet] == ["finance"]
    assert any("no new buddy" in note for note in rm.notes)


def test_budget_counts_fees_of_arrangements_kept_outside() -> None:
    problem = bm.Problem(
        trusts=(
            seeker("S1"),
            seeker("S2", 5),
            buddy("B", 40),
            buddy("C", 120),
        ),
        needs=(
            bm.Need(seeker="S1", area="finance", tier="programme"),
            bm.Need(seeker="S2", area="finance", tier="programme"),
        ),
    )
    # 20,000 is committed to S1's kept arrangement; 10,000 is left.
    policy = bm.Policy(min_travel_minutes=45, budget=30_000)
    rm = run(problem, policy, [ongoing("S1", "finance", "B")])
    assert rm.result.policy.budget == pytest.approx(10_000)
    assert rm.new == ()
    assert rm.unmet[0].reason == "budget"
    assert rm.total_fee <= 30_000
    assert "total fees 20,000 (budget 30,000)" in rm.summary()


def test_user_pin_on_a_need_served_outside_is_set_aside() -> None:
    problem = bm.Problem(
        trusts=(seeker("S"), buddy("B", 40)),
        needs=(bm.Need(seeker="S", area="finance"),),
        relations=(bm.Relation(a="S", b="B", kind="pinned", area="finance"),),
    )
    policy = bm.Policy(min_travel_minutes=45)
    rm = run(problem, policy, [ongoing("S", "finance", "B")])
    assert rm.problem.relations == ()
    assert any("set aside" in note for note in rm.notes)
    assert rm.kept[0].flags[0].rule == "too_close"


def test_a_term_that_has_run_out_is_noted() -> None:
    problem = bm.Problem(
        trusts=(seeker("S"), buddy("B", 60)),
        needs=(bm.Need(seeker="S", area="finance"),),
    )
    old = ongoing("S", "finance", "B").model_copy(
        update={"start": dt.date(2025, 1, 15)}
    )
    policy = bm.Policy(start_date=dt.date(2026, 4, 1))
    rm = run(problem, policy, [old])
    assert "term ended on 2025-07-14" in rm.kept[0].note
    assert rm.arrangements()[0].start == dt.date(2025, 1, 15)


# ---------------------------------------------------------------------------
# Bad arrangements
# ---------------------------------------------------------------------------


@pytest.fixture
def small() -> bm.Problem:
    return bm.Problem(
        trusts=(seeker("S"), buddy("B", 60), buddy("C", 90)),
        needs=(bm.Need(seeker="S", area="finance"),),
        relations=(bm.Relation(a="S", b="C", kind="pinned"),),
    )


@pytest.mark.parametrize(
    ("rows", "column", "words"),
    [
        ([ongoing("X", "finance", "B")], "seeker", "not a trust"),
        ([ongoing("S", "finance", "NOPE")], "buddy", "not a trust"),
        ([ongoing("S", "finance", "S")], "buddy", "itself"),
        ([ongoing("S", "dentistry", "B")], "area", "no expertise data"),
        ([ongoing("S", "governance", "B")], "area", "does not list"),
        (
            [ongoing("S", "finance", "B"), ongoing("S", "finance", "B")],
            "buddy",
            "more than once",
        ),
        (
            [ongoing("S", "finance", "B"), ended("S", "governance", "B")],
            "status",
            "banned in every area",
        ),
        ([ended("S", "finance", "C")], "status", "pin"),
    ],
)
def test_bad_arrangements_are_input_errors(
    small: bm.Problem, rows: list[Arrangement], column: str, words: str
) -> None:
    with pytest.raises(bm.InputError) as caught:
        rematch(small, None, rows)
    (problem,) = caught.value.problems
    assert problem.column == column
    assert words in problem.message
    assert problem.line == f"arrangements.{len(rows) - 1}"


def test_read_arrangements_reports_lines_and_columns(
    small: bm.Problem, tmp_path: Path
) -> None:
    path = tmp_path / "arrangements.csv"
    path.write_text(
        "seeker,area,buddy,status,start\n"
        "S,finance,B,Ongoing,2025-01-01\n"
        "S,finance,NOPE,ongoing,\n"
        "S,finance,C,paused,\n"
        "S,finance,C,ended,01/02/2025\n",
        encoding="utf-8",
    )
    with pytest.raises(bm.InputError) as caught:
        read_arrangements(path, problem=small)
    found = [(p.line, p.column) for p in caught.value.problems]
    assert found == [
        (3, "buddy"),
        (4, "status"),
        (5, "status"),  # C is pinned, yet ended
        (5, "start"),  # problems of one row are listed left to right
    ]
    assert "ongoing or ended" in caught.value.problems[1].message


def test_arrangements_file_round_trips(
    small: bm.Problem, tmp_path: Path
) -> None:
    rows = [
        ongoing("S", "finance", "B").model_copy(
            update={"start": dt.date(2025, 3, 1)}
        ),
        ended("S", "governance", "C").model_copy(update={"buddy": "B"}),
    ]
    path = tmp_path / "a.csv"
    write_arrangements(rows[:1], path)
    assert read_arrangements(path, problem=small) == rows[:1]
    header_only = tmp_path / "none.csv"
    header_only.write_text("seeker,area,buddy,status\n", encoding="utf-8")
    assert read_arrangements(header_only) == []
    with pytest.raises(bm.InputError) as caught:
        read_arrangements(tmp_path / "missing.csv")
    assert "not found" in str(caught.value)


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


@pytest.fixture
def hostile() -> RematchResult:
    evil = "<script>x</script> | *bold* [link](y)"
    s = seeker("S").model_copy(update={"name": evil})
    problem = bm.Problem(
        trusts=(s, buddy("B", 60), buddy("C", 90)),
        needs=(bm.Need(seeker="S", area="finance"),),
    )
    return run(problem, None, [ended("S", "finance", "B")])


def test_markdown_escapes_names(hostile: RematchResult) -> None:
    text = render_rematch_markdown(hostile)
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "\\| \\*bold\\* \\[link\\]" in text
    assert "## Ended" in text and "## New" in text


def test_outputs_in_three_formats(
    hostile: RematchResult, tmp_path: Path
) -> None:
    write_rematch(hostile, tmp_path / "d.json")
    data = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert [c["buddy"] for c in data["ended"]] == ["B"]
    assert [c["buddy"] for c in data["new"]] == ["C"]
    assert "problem" not in data
    write_rematch(hostile, tmp_path / "d.csv")
    lines = (tmp_path / "d.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(CHANGE_COLUMNS)
    assert [row["change"] for row in change_rows(hostile)] == [
        "new",
        "ended",
    ]
    write_rematch(hostile, tmp_path / "d.md")
    assert (
        (tmp_path / "d.md")
        .read_text(encoding="utf-8")
        .startswith("# Re-matching")
    )
    text = str(hostile)
    assert "NEW     S finance <- C" in text
    assert "ENDED   S finance <- B" in text
    assert "1 new, 1 ended" in hostile.summary()


# ---------------------------------------------------------------------------
# Random arrangements on synthetic instances
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_random_arrangements_keep_every_rule(seed: int) -> None:
    rng = random.Random(seed)
    base = generate(
        6,
        (1, 3),
        20,
        seed=seed,
        n_areas=5,
        capacity_ratio=rng.choice([0.8, 2.0]),
    )
    problem = base.replace(
        needs=tuple(
            n.model_copy(update={"buddies": rng.choice([1, 1, 2])})
            for n in base.needs
        )
    )
    limit = rng.choice([None, 1, 2])
    policy = bm.Policy(
        keep_ongoing="pinned" if seed % 2 else "soft",
        disruption_cost=rng.choice([0.0, 50.0]),
        max_buddies_per_seeker=limit,
        budget=rng.choice([None, 150_000.0]),
        min_travel_minutes=rng.choice([30.0, 45.0]),
        max_partners=2,
    )
    buddies = [t.id for t in problem.trusts if t.capacity > 0]
    # Mostly pairs the rules allow (so that pins and soft credits are
    # exercised), some that break a rule now.
    cands = bm.build_candidates(problem.canonical(), policy)
    canonical = cands.problem
    rows: list[Arrangement] = []
    status: dict[tuple[str, str], str] = {}
    for n, need in enumerate(canonical.needs):
        allowed = [
            canonical.trusts[int(cands.buddy[k])].id
            for k in cands.pairs_of_need(n)
        ]
        pool = allowed if allowed and rng.random() < 0.8 else buddies
        for b in rng.sample(pool, min(len(pool), rng.choice([0, 1, 2]))):
            row = (ended if rng.random() < 1 / 3 else ongoing)(
                need.seeker, need.area, b
            )
            if status.setdefault((need.seeker, b), row.status) == row.status:
                rows.append(row)
    rm = check(
        rematch(
            problem, policy, rows, time_limit=20, workers=2, deterministic=True
        )
    )
    assert rm.is_feasible()
    banned = {(a.seeker, a.buddy) for a in rows if a.status == "ended"}
    assert not banned & {(a.seeker, a.buddy) for a in rm.result.assignments}
    placed = triples(rm.kept) | triples(rm.dropped)
    assert placed == {
        (a.seeker, a.area, a.buddy) for a in rows if a.status == "ongoing"
    }
    if policy.keep_ongoing == "pinned":
        assert rm.dropped == ()
    # In the real world (kept outside the model included), no limit is
    # broken except by an arrangement that is flagged for it.
    flagged = {c.seeker for c in rm.flagged} | {c.buddy for c in rm.flagged}
    load: Counter[str] = Counter()
    theirs: dict[str, set[str]] = {}
    for c in (*rm.kept, *rm.new):
        load[c.buddy] += c.workload
        theirs.setdefault(c.seeker, set()).add(c.buddy)
    for trust in problem.trusts:
        if trust.id not in flagged:
            assert load[trust.id] <= trust.capacity
    for s, mine in theirs.items():
        if limit is not None and s not in flagged:
            assert len(mine) <= limit
    if policy.budget is not None and not rm.flagged:
        assert rm.total_fee <= policy.budget + 0.005


def test_write_output_writes_a_rematch_in_three_formats(
    hostile: RematchResult, tmp_path: Path
) -> None:
    from buddymatch.render import output_format, write_output
    from buddymatch.render.rematch import render_rematch_csv

    assert output_format(tmp_path / "d.CSV", "rematch") == ".csv"
    write_output(hostile, tmp_path / "d.csv")
    # Bytes: the CSV's line ends are its own (\r\n).
    assert (tmp_path / "d.csv").read_bytes().decode("utf-8") == (
        render_rematch_csv(hostile)
    )
    write_output(hostile, tmp_path / "d.json")
    assert (tmp_path / "d.json").read_text(encoding="utf-8") == (
        hostile.to_json() + "\n"
    )
    write_output(hostile, tmp_path / "d.md", title="Spring review")
    assert (tmp_path / "d.md").read_text(encoding="utf-8") == (
        render_rematch_markdown(hostile, title="Spring review")
    )


def test_a_rematch_to_an_unknown_extension_writes_nothing(
    hostile: RematchResult, tmp_path: Path
) -> None:
    with pytest.raises(bm.InputError) as caught:
        write_rematch(hostile, tmp_path / "d.txt")
    assert caught.value.problems[0].fix == (
        "name the output file .csv, .json or .md"
    )
    assert not (tmp_path / "d.txt").exists()


def test_room_left_is_pins_plus_what_every_kept_arrangement_leaves() -> None:
    from buddymatch.rematch.room import ledger_of, room_left

    problem = bm.Problem(
        trusts=(
            seeker("S"),
            seeker("T"),
            seeker("U"),
            buddy("B", 60, capacity=4).model_copy(update={"max_partners": 2}),
            buddy("C", 60, capacity=3),
            buddy("D", 60, capacity=2),
        ),
        needs=(bm.Need(seeker="S", area="finance"),),
    )
    policy = bm.Policy(budget=10_000.0)
    # T with B is both kept outside (one area) and pinned (another): one
    # partnership.  D is overrun by S's arrangement, yet U's pin holds.
    pinned = [("T", "B", 1, 500.0), ("U", "D", 1, 0.0)]
    outside = [("S", "B", 2, 1000.0), ("T", "B", 1, 500.0), ("S", "D", 3, 0.0)]
    room = room_left(
        problem.trusts,
        ledger_of(problem, policy, outside + pinned),
        ledger_of(problem, policy, pinned),
    )
    assert room.changes == {
        "B": {"capacity": (4, 1), "max_partners": (2, 1)},
        "D": {"capacity": (2, 1), "max_partners": (3, 2)},
    }
    assert [t.capacity for t in room.trusts] == [0, 0, 0, 1, 3, 1]
    assert room.budget == 8_500.0
    alone = room_left(problem.trusts, ledger_of(problem, policy, outside))
    assert alone.changes["B"] == {"capacity": (4, 1), "max_partners": (2, 0)}
    assert alone.budget == 8_500.0
