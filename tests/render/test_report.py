"""The Markdown report: sections, escaping and costs."""

from __future__ import annotations

import buddymatch as bm
from buddymatch.escape import md_escape
from conftest import make_trust, solve_verified


def _problem(name: str) -> bm.Problem:
    seeker = make_trust("S", 52.0, -1.5, expertise={"finance": 1})
    seeker = seeker.model_copy(update={"name": name})
    return bm.Problem(
        trusts=(
            seeker,
            make_trust("B", 52.6, -1.5, capacity=3, expertise={"finance": 5}),
        ),
        needs=(
            bm.Need(seeker="S", area="finance", tier="programme"),
            bm.Need(seeker="S", area="maternity"),
        ),
    )


def test_sections_and_costs() -> None:
    policy = bm.Policy(cost_neutral_allowance=10_000)
    result = solve_verified(_problem("Seeker NHS Trust"), policy)
    text = bm.render_markdown(result)
    for heading in (
        "## Summary",
        "## Pairings by seeker",
        "## Unmet needs",
        "## Costs by seeker",
        "## Buddy utilisation",
    ):
        assert heading in text
    # One programme assignment (£20,000) against a £10,000 allowance.
    assert "| Seeker NHS Trust (S) | 1 | 1 | £20,000 | **no** |" in text
    assert "maternity" in text.split("## Unmet needs")[1]


def test_hostile_names_show_as_text() -> None:
    hostile = "<script>alert(1)</script> | *x* [y](javascript:z)"
    result = solve_verified(_problem(hostile))
    text = bm.render_markdown(result)
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert "\\| \\*x\\* \\[y\\]" in text


def test_md_escape_flattens_lines() -> None:
    assert md_escape("a\nb\r\nc") == "a b c"
