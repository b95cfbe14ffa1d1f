"""Tiers, fees, the budget, and terms of reference for each partnership.

Every solver result goes through the independent verifier
(``solve_verified``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

import buddymatch as bm
from buddymatch.errors import BuddymatchError
from buddymatch.terms import (
    Terms,
    add_months,
    render_terms_markdown,
    seeker_costs,
    term_length,
    terms_file_names,
    terms_for,
    write_terms,
)
from conftest import make_trust, solve_verified

BASE_LAT, BASE_LON = 52.0, -1.5
MIN_PER_DEG = 6371.0088 * math.pi / 180 * 1.3


def place(minutes: float, east: bool = False) -> tuple[float, float]:
    if east:
        dlon = minutes / MIN_PER_DEG / math.cos(math.radians(BASE_LAT))
        return BASE_LAT, BASE_LON + dlon
    return BASE_LAT + minutes / MIN_PER_DEG, BASE_LON


def seeker(tid: str, minutes: float = 0.0, name: str = "") -> bm.Trust:
    trust = make_trust(tid, *place(minutes, east=True))
    return trust.model_copy(update={"name": name}) if name else trust


def buddy(tid: str, minutes: float, capacity: int = 20) -> bm.Trust:
    return make_trust(
        tid,
        *place(minutes),
        capacity=capacity,
        expertise={"finance": 4, "maternity": 4, "governance": 4},
    )


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 4, 1), 6, dt.date(2026, 10, 1)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 15), 3, dt.date(2027, 2, 15)),
        (dt.date(2026, 3, 31), -1, dt.date(2026, 2, 28)),
        (dt.date(2026, 4, 1), 24, dt.date(2028, 4, 1)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


# ---------------------------------------------------------------------------
# Tiers, fees and the budget
# ---------------------------------------------------------------------------


def priced_problem() -> bm.Problem:
    """Needs of every priority; fees 20k (programme) and 5k (light)."""
    return bm.Problem(
        trusts=(seeker("S1"), seeker("S2", 5), buddy("B", 60)),
        needs=(
            bm.Need(seeker="S1", area="finance", tier="programme", priority=3),
            bm.Need(
                seeker="S2", area="maternity", tier="programme", priority=2
            ),
            bm.Need(seeker="S1", area="governance", priority=1),
            bm.Need(seeker="S2", area="finance", priority=1),
        ),
    )


def test_unconstrained_cost_is_the_sum_of_tier_fees() -> None:
    result = solve_verified(priced_problem())
    assert result.all_met()
    assert result.total_fee == pytest.approx(50_000)
    fees = {p.seeker: p.fee for p in result.partnerships}
    assert fees == {"S1": 25_000, "S2": 25_000}
    months = {p.seeker: p.months for p in result.partnerships}
    assert months == {"S1": 12, "S2": 12}


@pytest.mark.parametrize(
    ("budget", "covered"),
    [
        # (priority 3, priority 2, priority 1) needs covered
        (50_000, (1, 1, 2)),
        (49_999.99, (1, 1, 1)),
        (45_000, (1, 1, 1)),
        (44_999, (1, 1, 0)),
        (30_000, (1, 0, 2)),
        (25_000, (1, 0, 1)),
        (19_999.99, (0, 0, 2)),
        (4_000, (0, 0, 0)),
        (0, (0, 0, 0)),
    ],
)
def test_budget_reduces_cover_in_priority_order(
    budget: float, covered: tuple[int, int, int]
) -> None:
    policy = bm.Policy(budget=budget)
    result = solve_verified(priced_problem(), policy)
    assert result.total_fee <= budget
    assert tuple(c.covered for c in result.coverage) == covered
    for unmet in result.unmet:
        assert unmet.reason == "budget"
        assert "budget" in unmet.detail


def test_tiers_are_configurable() -> None:
    policy = bm.Policy(
        tiers={
            "light": {"fee": 7_500.0, "months": 3},
            "mentoring": bm.Tier(workload=1, months=2, fee=1_000.0),
        }
    )
    assert policy.tiers["programme"].fee == 20_000  # merged over defaults
    problem = priced_problem().replace(
        needs=(
            bm.Need(seeker="S1", area="finance", tier="light"),
            bm.Need(seeker="S2", area="finance", tier="mentoring"),
        )
    )
    result = solve_verified(problem, policy)
    assert {p.seeker: (p.fee, p.months) for p in result.partnerships} == {
        "S1": (7_500, 3),
        "S2": (1_000, 2),
    }
    assert result.total_fee == pytest.approx(8_500)


def test_seeker_costs_against_the_allowance() -> None:
    policy = bm.Policy(cost_neutral_allowance=24_000)
    result = solve_verified(
        priced_problem().replace(
            needs=(
                bm.Need(seeker="S1", area="finance", tier="programme"),
                bm.Need(seeker="S2", area="finance"),
                bm.Need(seeker="S2", area="maternity"),
            )
        ),
        policy,
    )
    costs = {c.seeker: c for c in seeker_costs(result)}
    assert costs["S1"].fee == 20_000
    assert costs["S2"].fee == 10_000
    assert costs["S2"].assignments == 2
    assert costs["S2"].partnerships == 1
    assert costs["S1"].within_allowance and costs["S2"].within_allowance
    tight = seeker_costs(result, bm.Policy(cost_neutral_allowance=15_000))
    assert [c.within_allowance for c in tight] == [False, True]
    assert seeker_costs(result, bm.Policy())[0].within_allowance is None
    extra = seeker_costs(result, extra={"S2": 6_000.0, "S9": 1.0})
    assert [(c.seeker, c.fee) for c in extra] == [
        ("S1", 20_000),
        ("S2", 16_000),
        ("S9", 1.0),
    ]


# ---------------------------------------------------------------------------
# Terms of reference for the bundled example
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> tuple[bm.Policy, bm.Result]:
    folder = bm.example_dir()
    policy = bm.read_policy(folder / "policy.toml")
    problem = bm.read_problem(
        folder / "trusts.csv",
        relations=folder / "relations.csv",
        policy=policy,
    )
    # Any verified proposal will do: the terms must describe it exactly.
    result = solve_verified(
        problem, policy, time_limit=0.5, workers=2, deterministic=True
    )
    return policy, result


def test_example_terms_files_hold_parties_areas_dates_and_fees(
    example: tuple[bm.Policy, bm.Result], tmp_path: Path
) -> None:
    policy, result = example
    written = write_terms(result, tmp_path)
    assert [p.name for p in written] == [
        f"{p.seeker}--{p.buddy}.md" for p in result.partnerships
    ]
    assert sorted(tmp_path.iterdir()) == sorted(written)
    start = dt.date(2026, 4, 1)  # the example policy's start_date
    assert policy.start_date == start
    for partnership, path in zip(result.partnerships, written, strict=True):
        text = path.read_text(encoding="utf-8")
        seeker_name = result.trust_name(partnership.seeker)
        buddy_name = result.trust_name(partnership.buddy)
        assert text.startswith(
            f"# Terms of reference: {seeker_name} and {buddy_name}\n"
        )
        assert f"| {seeker_name} | {partnership.seeker} |" in text
        assert f"| {buddy_name} | {partnership.buddy} |" in text
        for a in result.assignments:
            if (a.seeker, a.buddy) != (partnership.seeker, partnership.buddy):
                continue
            tier = policy.tiers[a.tier]
            end = add_months(start, tier.months) - dt.timedelta(days=1)
            row = (
                f"| {a.area.replace('_', chr(92) + '_')} | {a.tier} | "
                f"{a.workload} | {tier.months} months | 1 April 2026 | "
                f"{end.day} {end:%B} {end.year} | £{tier.fee:,.0f} |"
            )
            assert row in text
        assert f"£{partnership.fee:,.0f} |" in text
        assert "- Start: 1 April 2026." in text
        final = add_months(start, partnership.months) - dt.timedelta(days=1)
        assert (
            f"- Final review and end of the term: {final.day} "
            f"{final:%B} {final.year}" in text
        )
        assert "1 July 2026" in text  # the first review, three months in
        assert "one month's written notice" in text


def test_example_terms_as_json(
    example: tuple[bm.Policy, bm.Result], tmp_path: Path
) -> None:
    _, result = example
    written = write_terms(result, tmp_path, fmt="json")
    assert all(p.suffix == ".json" for p in written)
    by_pair = {(p.seeker, p.buddy): p for p in result.partnerships}
    for path in written:
        terms = Terms.model_validate_json(path.read_text(encoding="utf-8"))
        partnership = by_pair[(terms.seeker.id, terms.buddy.id)]
        assert path.name == f"{terms.seeker.id}--{terms.buddy.id}.json"
        assert terms.seeker.name == result.trust_name(terms.seeker.id)
        assert [x.area for x in terms.areas] == sorted(partnership.areas)
        assert {x.area: x.tier for x in terms.areas} == partnership.tiers
        assert terms.fee == pytest.approx(partnership.fee)
        assert terms.workload == partnership.workload
        assert terms.months == partnership.months
        assert terms.start == dt.date(2026, 4, 1)
        assert terms.end == add_months(
            terms.start, partnership.months
        ) - dt.timedelta(days=1)
        assert terms.reviews[-1].final and terms.reviews[-1].date == terms.end
        gaps = [r.date for r in terms.reviews if not r.final]
        assert gaps == [
            add_months(terms.start, 3 * k) for k in range(1, len(gaps) + 1)
        ]
        seeker_total = sum(
            a.fee for a in result.assignments if a.seeker == terms.seeker.id
        )
        assert terms.seeker_fees == pytest.approx(seeker_total)
        assert terms.within_allowance is None  # the example sets none
    data = json.loads(written[0].read_text(encoding="utf-8"))
    assert data["start"] == "2026-04-01"


def test_allowance_and_project_manager_in_the_terms(
    example: tuple[bm.Policy, bm.Result],
) -> None:
    policy, result = example
    big = max(result.partnerships, key=lambda p: (p.workload, p.seeker))
    small = min(result.partnerships, key=lambda p: (p.workload, p.seeker))
    assert big.workload >= 3 > small.workload
    tight = bm.Policy.model_validate(
        {**policy.model_dump(), "cost_neutral_allowance": 1_000}
    )
    terms = terms_for(result, big, tight)
    assert terms.within_allowance is False
    text = render_terms_markdown(terms)
    assert "Cost-neutral allowance" in text and "above it" in text
    assert "project manager" in text
    assert "project manager" not in render_terms_markdown(
        terms_for(result, small, policy)
    )
    generous = bm.Policy.model_validate(
        {**policy.model_dump(), "cost_neutral_allowance": 10_000_000}
    )
    assert terms_for(result, big, generous).within_allowance is True


def test_areas_already_running_keep_their_start(
    example: tuple[bm.Policy, bm.Result],
) -> None:
    _, result = example
    partnership = result.partnerships[0]
    area = partnership.areas[0]
    terms = terms_for(
        result, partnership, area_starts={area: dt.date(2025, 10, 1)}
    )
    first = next(x for x in terms.areas if x.area == area)
    assert first.start == dt.date(2025, 10, 1)
    assert terms.start == dt.date(2025, 10, 1)
    assert terms.reviews[0].date == dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (dt.date(2025, 6, 1), dt.date(2026, 9, 30), (16, 0)),
        (dt.date(2026, 4, 1), dt.date(2027, 3, 31), (12, 0)),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 31), (1, 0)),
        (dt.date(2026, 1, 1), dt.date(2026, 1, 1), (0, 1)),
        (dt.date(2026, 1, 31), dt.date(2026, 2, 27), (1, 0)),
        (dt.date(2026, 1, 31), dt.date(2026, 3, 3), (1, 4)),
        (dt.date(2025, 6, 15), dt.date(2026, 9, 30), (15, 16)),
    ],
)
def test_term_length(
    start: dt.date, end: dt.date, expected: tuple[int, int]
) -> None:
    assert term_length(start, end) == expected


def test_term_after_a_rematch_spans_every_area(
    example: tuple[bm.Policy, bm.Result],
) -> None:
    # An arrangement kept from 1 June 2025 beside new work from the
    # policy's start (1 April 2026): the term runs from the first start to
    # the last end, which is longer than any one tier.
    _, result = example
    partnership = next(p for p in result.partnerships if len(p.areas) > 1)
    kept, new = partnership.areas[0], partnership.areas[1]
    terms = terms_for(
        result, partnership, area_starts={kept: dt.date(2025, 6, 1)}
    )
    new_end = next(x.end for x in terms.areas if x.area == new)
    assert terms.start == dt.date(2025, 6, 1)
    assert terms.end == new_end
    months, days = term_length(terms.start, terms.end)
    assert (terms.months, terms.days) == (months, days)
    assert terms.months > max(x.months for x in terms.areas)
    assert add_months(terms.start, terms.months) - dt.timedelta(
        days=1
    ) == terms.end - dt.timedelta(days=terms.days)
    text = render_terms_markdown(terms)
    total = next(line for line in text.splitlines() if "**total**" in line)
    assert f"| {months} months" in total


def test_terms_need_the_partnership_in_the_result(
    example: tuple[bm.Policy, bm.Result],
) -> None:
    _, result = example
    stranger = bm.Partnership(
        seeker="X",
        buddy="Y",
        areas=("finance",),
        tiers={},
        workload=1,
        fee=1.0,
        months=6,
    )
    with pytest.raises(ValueError, match="no assignments"):
        terms_for(result, stranger)
    with pytest.raises(ValueError, match="at least 1 month"):
        terms_for(result, result.partnerships[0], review_every_months=0)


# ---------------------------------------------------------------------------
# Hostile names, file names that collide, paths that escape
# ---------------------------------------------------------------------------


def test_hostile_names_are_escaped(tmp_path: Path) -> None:
    evil = "<img src=x onerror=alert(1)> | *x* _y_ [z](http://e) `c`"
    problem = bm.Problem(
        trusts=(seeker("S", name=evil), buddy("B", 60)),
        needs=(bm.Need(seeker="S", area="finance"),),
    )
    result = solve_verified(problem)
    (path,) = write_terms(result, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "\\| \\*x\\* \\_y\\_ \\[z\\](http://e) \\`c\\`" in text
    # JSON keeps the name as it is: it is data, not markup.
    (json_path,) = write_terms(result, tmp_path, fmt="json")
    assert (
        Terms.model_validate_json(
            json_path.read_text(encoding="utf-8")
        ).seeker.name
        == evil
    )


def test_names_differing_in_case_never_overwrite(tmp_path: Path) -> None:
    problem = bm.Problem(
        trusts=(seeker("RXX"), seeker("rxx", 5), buddy("B1", 60)),
        needs=(
            bm.Need(seeker="RXX", area="finance"),
            bm.Need(seeker="rxx", area="finance"),
        ),
    )
    result = solve_verified(problem)
    assert terms_file_names(result) == {
        ("RXX", "B1"): "RXX--B1",
        ("rxx", "B1"): "rxx--B1~2",
    }
    written = write_terms(result, tmp_path, fmt="json")
    assert len({p.name.casefold() for p in written}) == 2
    seekers = sorted(
        Terms.model_validate_json(p.read_text(encoding="utf-8")).seeker.id
        for p in written
    )
    assert seekers == ["RXX", "rxx"]
    with pytest.raises(FileExistsError):
        write_terms(result, tmp_path, fmt="json", overwrite=False)
    assert write_terms(result, tmp_path, fmt="json") == written


def test_ids_with_double_dashes_do_not_collide() -> None:
    problem = bm.Problem(
        trusts=(
            seeker("A--B"),
            seeker("A", 5),
            buddy("C", 60),
            buddy("B--C", 70),
        ),
        needs=(
            bm.Need(seeker="A--B", area="finance"),
            bm.Need(seeker="A", area="finance"),
        ),
        relations=(
            bm.Relation(a="A--B", b="C", kind="pinned"),
            bm.Relation(a="A", b="B--C", kind="pinned"),
        ),
    )
    result = solve_verified(problem)
    names = terms_file_names(result)
    assert len(set(names.values())) == 2
    assert sorted(names.values()) == ["A--B--C", "A--B--C~2"]


def test_an_id_that_could_escape_the_folder_is_refused(
    tmp_path: Path,
) -> None:
    problem = bm.Problem(
        trusts=(seeker("S"), buddy("B", 60)),
        needs=(bm.Need(seeker="S", area="finance"),),
    )
    data = solve_verified(problem).to_dict()
    data["partnerships"][0]["seeker"] = "../../etc/x"
    forged = bm.Result.model_validate(data)
    with pytest.raises(BuddymatchError, match="not a valid trust id"):
        write_terms(forged, tmp_path / "terms")
    assert not (tmp_path / "terms").exists()
    with pytest.raises(ValueError, match="unknown terms format"):
        write_terms(forged, tmp_path, fmt="pdf")  # type: ignore[arg-type]
