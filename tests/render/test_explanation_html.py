"""The explanation page: styled like the map page, areas in words.

The page carries one small style sheet (the map page's font, ink and
margins), links and runs nothing, draws tables with a head, a body and
right-aligned number columns, and names areas in words
(``quality and safety``), all user text escaped.
"""

from __future__ import annotations

import re

import pytest

import buddymatch as bm
from buddymatch.explain import explain_pair, explain_result
from buddymatch.explanation import ResultExplanation
from buddymatch.render.explanation import (
    render_explanations_html,
    render_explanations_markdown,
    render_pair_html,
)
from buddymatch.render.map import render_svg
from buddymatch.render.map_page import _CSS as MAP_CSS
from buddymatch.render.map_page import render_html
from buddymatch.render.outline import PAGE_CSS, Outline
from buddymatch.wording import area_words
from conftest import make_trust, solve_verified

EVIL = "<script>x</script> | *y*"


@pytest.mark.parametrize(
    ("area", "words"),
    [
        ("quality_safety", "quality and safety"),
        ("leadership_culture", "leadership and culture"),
        ("urgent_care", "urgent care"),
        ("mental_health_services", "mental health services"),
        ("finance", "finance"),
        ("a.b-c", "a.b-c"),
    ],
)
def test_area_words(area: str, words: str) -> None:
    assert area_words(area) == words


@pytest.fixture(scope="module")
def explained() -> tuple[bm.Problem, bm.Result, ResultExplanation]:
    areas = {"quality_safety": 4, "finance": 4}
    seeker = make_trust("S", 52.4, -1.5)
    seeker = seeker.model_copy(
        update={
            "name": EVIL,
            "expertise": {**seeker.expertise, "quality_safety": 1},
        }
    )
    trusts = (
        seeker,
        make_trust("B1", 53.0, -1.5, capacity=6, expertise=areas),
        make_trust("B2", 51.8, -1.5, capacity=6, expertise=areas),
        make_trust("FAR", 55.5, -1.5, capacity=6, expertise=areas),
    )
    problem = bm.Problem(
        trusts=trusts,
        needs=(
            bm.Need(seeker="S", area="quality_safety"),
            bm.Need(seeker="S", area="finance"),
        ),
    )
    result = solve_verified(problem, deterministic=True)
    return problem, result, explain_result(problem, None, result)


def test_the_page_has_the_map_pages_type_and_colours(
    explained: tuple[bm.Problem, bm.Result, ResultExplanation],
) -> None:
    page = render_explanations_html(explained[2])
    assert f"<style>\n{PAGE_CSS}\n</style>" in page

    def body_rule(css: str) -> dict[str, str]:
        match = re.search(r"body \{([^}]*)\}", css)
        assert match is not None
        pairs = (d.split(":", 1) for d in match.group(1).split(";"))
        return {
            k.strip(): v.strip() for k, v in (p for p in pairs if len(p) == 2)
        }

    page_body, map_body = body_rule(PAGE_CSS), body_rule(MAP_CSS)
    for key in ("font-family", "color", "margin"):
        assert page_body[key] == map_body[key]
    # The SVG map draws its text in that same font.
    assert page_body["font-family"] in render_svg(explained[1])


def test_the_page_links_and_runs_nothing(
    explained: tuple[bm.Problem, bm.Result, ResultExplanation],
) -> None:
    page = render_explanations_html(explained[2])
    for forbidden in (
        "<script",
        "<link",
        "http:",
        "https:",
        "@import",
        "url(",
    ):
        assert forbidden not in page


def test_tables_have_a_head_a_body_and_numbers_on_the_right(
    explained: tuple[bm.Problem, bm.Result, ResultExplanation],
) -> None:
    page = render_explanations_html(explained[2])
    assert page.count("<table>") == page.count("<thead>") > 0
    assert page.count("<tbody>") == page.count("</tbody></table>")
    assert (
        '<thead><tr><th>term</th><th>value</th><th class="n">points</th>'
        "<th>meaning</th></tr></thead>"
    ) in page
    assert re.search(r'<td class="n">[+-]\d+\.\d{3}</td>', page)
    assert "text-align:right" not in page  # the style sheet does it


def test_areas_are_in_words_in_both_forms(
    explained: tuple[bm.Problem, bm.Result, ResultExplanation],
) -> None:
    e = explained[2]
    page = render_explanations_html(e)
    md = render_explanations_markdown(e)
    assert "<h4>quality and safety (light tier)</h4>" in page
    assert "#### quality and safety (light tier)" in md
    assert "Areas: finance (light), quality and safety (light)." in md
    for text in (page, md):
        # Headings name the area in words, never by its id.
        headings = [
            line for line in text.splitlines() if line.startswith(("<h", "#"))
        ]
        assert not any("quality_safety" in h for h in headings)


def test_the_maps_key_names_areas_in_words(
    explained: tuple[bm.Problem, bm.Result, ResultExplanation],
) -> None:
    svg = render_svg(explained[1])
    assert ">quality and safety (1)</text>" in svg
    assert ">quality_safety (1)" not in svg
    assert ">quality safety (1)" not in svg
    page = render_html(explained[1])
    assert "</span>quality and safety</td>" in page
    assert "quality_safety</td>" not in page


def test_user_text_is_escaped(
    explained: tuple[bm.Problem, bm.Result, ResultExplanation],
) -> None:
    page = render_explanations_html(explained[2])
    assert "<script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt; | *y* (S)" in page
    hostile = Outline()
    hostile.heading(1, EVIL)
    hostile.table(("a", EVIL), [(EVIL, "1")], {1})
    html = hostile.html(title=EVIL)
    assert "<script>" not in html
    assert "<title>&lt;script&gt;" in html
    assert '<th class="n">&lt;script&gt;' in html


def test_a_pair_page_is_styled_and_names_the_area_in_words(
    explained: tuple[bm.Problem, bm.Result, ResultExplanation],
) -> None:
    problem, result, _ = explained
    (chosen,) = [a for a in result.assignments if a.area == "quality_safety"]
    other = next(
        t.id
        for t in problem.trusts
        if t.id not in ("S", chosen.buddy) and t.capacity
    )
    why = explain_pair(problem, None, result, "S", "quality_safety", other)
    page = render_pair_html(why)
    assert PAGE_CSS in page
    assert f"<title>{other} for S&#x27;s quality and safety need</title>" in (
        page
    )
