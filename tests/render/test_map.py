"""The map of a proposal: SVG structure, escaping, projection, files."""

from __future__ import annotations

import math
import pickle
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import resvg_py

import buddymatch as bm
from buddymatch.errors import InputError, MissingDependencyError
from buddymatch.mapping import (
    AREA_COLOURS,
    check_map_path,
    read_result,
    render_html,
    render_png,
    render_svg,
    short_name,
    write_map,
)
from buddymatch.render import map as svg_module
from buddymatch.render import map_page as map_module
from buddymatch.result import (
    Assignment,
    Partnership,
    Result,
    TrustRef,
    UnmetNeed,
)
from conftest import solve_verified

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script>"


def ref(tid: str, lat: float, lon: float, name: str | None = None) -> TrustRef:
    return TrustRef(
        id=tid,
        name=f"{tid} Hospitals NHS Trust" if name is None else name,
        kind="acute",
        lat=lat,
        lon=lon,
    )


def assign(seeker: str, area: str, buddy: str) -> Assignment:
    return Assignment(
        seeker=seeker,
        area=area,
        tier="light",
        buddy=buddy,
        travel_minutes=75.0,
        culture_fit=0.9,
        expertise=4,
        workload=1,
        fee=10000.0,
        score=12.5,
        terms={"expertise": 16.0, "travel": -3.5},
    )


def make_result(
    trusts: list[TrustRef],
    assignments: list[Assignment],
    unmet: list[UnmetNeed] | None = None,
) -> Result:
    """A result as the solver would assemble it (partnerships derived)."""
    pairs: dict[tuple[str, str], list[str]] = {}
    for a in assignments:
        pairs.setdefault((a.seeker, a.buddy), []).append(a.area)
    partnerships = tuple(
        Partnership(
            seeker=s,
            buddy=b,
            areas=tuple(areas),
            tiers=dict.fromkeys(areas, "light"),
            workload=len(areas),
            fee=10000.0 * len(areas),
            months=6,
        )
        for (s, b), areas in sorted(pairs.items())
    )
    return Result(
        status="optimal",
        objective=12.5 * len(assignments),
        bound=12.5 * len(assignments),
        gap=0.0,
        assignments=tuple(assignments),
        partnerships=partnerships,
        unmet=tuple(unmet or ()),
        trusts=tuple(trusts),
    )


def unmet_need(seeker: str, area: str) -> UnmetNeed:
    return UnmetNeed(
        seeker=seeker,
        area=area,
        tier="intensive",
        priority=3,
        buddies=2,
        candidates=1,
        reason="too_few_candidates",
        detail="needs 2 buddies but only 1 pass the hard rules",
    )


@pytest.fixture
def result() -> Result:
    """Two seekers (one with an unmet need), three buddies, four pairings."""
    trusts = [
        ref("S1", 52.41, -1.51),
        ref("S2", 53.80, -1.55),
        ref("B1", 51.75, -1.26),
        ref("B2", 53.38, -2.98),
        ref("B3", 52.20, 0.12),
    ]
    assignments = [
        assign("S1", "finance", "B1"),
        assign("S1", "governance", "B1"),  # same partnership, second area
        assign("S1", "maternity", "B3"),
        assign("S2", "finance", "B2"),
    ]
    return make_result(trusts, assignments, [unmet_need("S2", "maternity")])


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_class(root: ET.Element, tag: str, css: str) -> list[ET.Element]:
    return [
        e
        for e in root.iter(f"{SVG}{tag}")
        if css in (e.get("class") or "").split()
    ]


def test_svg_has_one_line_per_assignment(result: Result) -> None:
    root = parse(render_svg(result))
    lines = by_class(root, "line", "assignment")
    drawn = sorted(
        (e.get("data-seeker"), e.get("data-area"), e.get("data-buddy"))
        for e in lines
    )
    assert drawn == sorted(
        (a.seeker, a.area, a.buddy) for a in result.assignments
    )


def test_svg_has_one_marker_per_named_trust(result: Result) -> None:
    root = parse(render_svg(result))
    markers = by_class(root, "g", "trust")
    assert sorted(m.get("data-trust", "") for m in markers) == sorted(
        t.id for t in result.trusts
    )
    kinds = {m.get("data-trust"): m.get("class", "").split() for m in markers}
    assert "seeker" in kinds["S1"] and "buddy" not in kinds["S1"]
    assert "buddy" in kinds["B1"] and "seeker" not in kinds["B1"]
    assert "unmet" in kinds["S2"] and "unmet" not in kinds["S1"]


def test_seekers_and_buddies_are_drawn_differently(result: Result) -> None:
    root = parse(render_svg(result))
    for marker in by_class(root, "g", "trust"):
        shapes = {child.tag.removeprefix(SVG) for child in marker}
        if "seeker" in marker.get("class", ""):
            assert "rect" in shapes  # a square
        else:
            assert shapes == {"title", "circle"}


def test_a_partnerships_lines_run_side_by_side(result: Result) -> None:
    root = parse(render_svg(result))
    s1_b1 = [
        e
        for e in by_class(root, "line", "assignment")
        if (e.get("data-seeker"), e.get("data-buddy")) == ("S1", "B1")
    ]
    assert len(s1_b1) == 2
    first, second = (
        {k: float(e.get(k, "nan")) for k in ("x1", "y1")} for e in s1_b1
    )
    assert first != second
    assert {e.get("stroke") for e in s1_b1} == set(AREA_COLOURS[:2])


def test_lines_are_coloured_by_area_with_a_legend(result: Result) -> None:
    root = parse(render_svg(result))
    colour = {
        e.get("data-area"): e.get("stroke")
        for e in by_class(root, "line", "assignment")
    }
    # Areas take the palette in order of their names.
    assert colour == {
        "finance": AREA_COLOURS[0],
        "governance": AREA_COLOURS[1],
        "maternity": AREA_COLOURS[2],
    }
    legend = " ".join(by_class(root, "g", "legend")[0].itertext())
    assert "finance (2)" in legend
    assert "maternity (1)" in legend


def test_areas_beyond_the_palette_get_dashes() -> None:
    areas = [f"area_{k:02d}" for k in range(len(AREA_COLOURS) + 2)]
    trusts = [ref("S1", 52.0, -1.0)] + [
        ref(f"B{k}", 52.0 + 0.1 * k, 0.5) for k in range(len(areas))
    ]
    result = make_result(
        trusts,
        [assign("S1", area, f"B{k}") for k, area in enumerate(areas)],
    )
    lines = by_class(parse(render_svg(result)), "line", "assignment")
    styles = {(e.get("stroke"), e.get("stroke-dasharray")) for e in lines}
    assert len(styles) == len(areas)


def test_unmet_needs_are_listed_and_ringed(result: Result) -> None:
    root = parse(render_svg(result))
    legend = " ".join(by_class(root, "g", "legend")[0].itertext())
    assert "S2" in legend
    assert "maternity, priority 3: too few candidates" in legend
    ring = [
        c
        for c in by_class(root, "g", "unmet")[0].iter(f"{SVG}circle")
        if c.get("stroke-dasharray")
    ]
    assert len(ring) == 1


def test_every_seeker_is_labelled_by_short_name(result: Result) -> None:
    root = parse(render_svg(result))
    labels = {
        "".join(g[-1].itertext()) for g in by_class(root, "g", "seeker-label")
    }
    assert labels == {"S1 Hospitals", "S2 Hospitals"}


def test_hover_titles_give_names_area_and_minutes(result: Result) -> None:
    root = parse(render_svg(result))
    line = next(
        e
        for e in by_class(root, "line", "assignment")
        if e.get("data-area") == "maternity"
    )
    title = line.findtext(f"{SVG}title") or ""
    assert "S1 Hospitals NHS Trust (S1)" in title
    assert "B3 Hospitals NHS Trust (B3)" in title
    assert "maternity" in title
    assert "75 min" in title
    assert "culture fit 0.90" in title


@pytest.mark.parametrize(
    "name",
    [HOSTILE, "A & B \"quoted\" 'single' ]]> <!-- x -->", "bell \x07 nul"],
)
def test_user_text_is_escaped_in_svg(name: str) -> None:
    trusts = [ref("S1", 52.4, -1.5, name=name), ref("B1", 51.7, -1.2)]
    result = make_result(
        trusts,
        [assign("S1", "fin<ance>", "B1")],
        [unmet_need("S1", "a&b")],
    )
    svg = render_svg(result, title=f"Title {name}")
    root = parse(svg)  # well-formed despite the text
    assert not list(root.iter(f"{SVG}script"))
    assert "<script>" not in svg
    text = "".join(root.itertext())
    shown = name.replace("\x07", "\ufffd")  # XML cannot hold a bell
    assert shown in text
    assert "fin<ance>" in text
    # The hostile name is drawn as a label (it needs no shortening).
    if name == HOSTILE:
        labels = [
            "".join(g[-1].itertext())
            for g in by_class(root, "g", "seeker-label")
        ]
        assert labels == [HOSTILE]


def test_html_escapes_user_text() -> None:
    trusts = [ref("S1", 52.4, -1.5, name=HOSTILE), ref("B1", 51.7, -1.2)]
    result = make_result(trusts, [assign("S1", "finance", "B1")])
    page = render_html(result, title=HOSTILE)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_html_is_self_contained(result: Result) -> None:
    page = render_html(result)
    assert page.startswith("<!DOCTYPE html>")
    addresses = re.findall(r"https?://[^\s\"'<>)]*", page)
    assert addresses == ["http://www.w3.org/2000/svg"]
    lowered = page.lower()
    for linking in ("<script", "<link", " src=", "@import", "<iframe"):
        assert linking not in lowered
    assert re.findall(r"url\(([^)]*)\)", page) == ["#map-clip"]
    # The embedded map and the tables are both there.
    assert page.count('class="assignment"') == len(result.assignments)
    assert "<h2>Pairings</h2>" in page
    assert "needs 2 buddies but only 1 pass" in page


def test_projection_keeps_north_up_and_distances_true() -> None:
    # Four buddies 1 degree of latitude (or the same distance in
    # longitude) from a seeker: their lines must be equally long.
    lat = 53.0
    dlon = 1.0 / math.cos(math.radians(lat))
    trusts = [
        ref("S1", lat, -1.0),
        ref("BN", lat + 1.0, -1.0),
        ref("BS", lat - 1.0, -1.0),
        ref("BE", lat, -1.0 + dlon),
        ref("BW", lat, -1.0 - dlon),
    ]
    result = make_result(
        trusts, [assign("S1", "finance", b) for b in ("BN", "BS", "BE", "BW")]
    )
    lines = {
        e.get("data-buddy"): [
            float(e.get(k, "nan")) for k in ("x1", "y1", "x2", "y2")
        ]
        for e in by_class(parse(render_svg(result)), "line", "assignment")
    }
    lengths = {
        b: math.hypot(x2 - x1, y2 - y1)
        for b, (x1, y1, x2, y2) in lines.items()
    }
    assert max(lengths.values()) == pytest.approx(
        min(lengths.values()), rel=0.03
    )
    assert lines["BN"][3] < lines["BN"][1]  # north is up
    assert lines["BE"][2] > lines["BE"][0]  # east is right


def test_trusts_on_one_site_are_pulled_apart() -> None:
    trusts = [
        ref("S1", 52.0, -1.0),
        ref("B1", 52.0, -1.0),
        ref("B2", 53.0, -1.0),
    ]
    result = make_result(trusts, [assign("S1", "finance", "B2")])
    root = parse(render_svg(result))
    centre = {}
    for marker in by_class(root, "g", "trust"):
        shape = marker.find(f"{SVG}circle")
        if shape is None:
            square = marker.find(f"{SVG}rect")
            assert square is not None
            half = float(square.get("width", "nan")) / 2
            x = float(square.get("x", "nan")) + half
            y = float(square.get("y", "nan")) + half
        else:
            x = float(shape.get("cx", "nan"))
            y = float(shape.get("cy", "nan"))
        centre[marker.get("data-trust")] = (x, y)
    gap = math.dist(centre["S1"], centre["B1"])
    assert 9.0 <= gap <= 12.0  # apart, yet still at the same town


def test_output_does_not_depend_on_the_order_of_trusts(
    result: Result,
) -> None:
    shuffled = result.model_copy(
        update={
            "trusts": tuple(reversed(result.trusts)),
            "assignments": tuple(reversed(result.assignments)),
        }
    )
    assert render_svg(shuffled) == render_svg(result)


def test_an_empty_result_still_draws_the_country() -> None:
    root = parse(render_svg(Result(status="no_solution")))
    assert not by_class(root, "line", "assignment")
    assert not by_class(root, "g", "trust")
    assert len(by_class(root, "polygon", "coast")) >= 1
    legend = " ".join(by_class(root, "g", "legend")[0].itertext())
    assert "no pairings proposed" in legend


def test_trusts_named_nowhere_are_still_drawn(result: Result) -> None:
    extra = result.model_copy(
        update={"trusts": (*result.trusts, ref("X9", 52.9, -2.0))}
    )
    root = parse(render_svg(extra))
    assert [m.get("data-trust") for m in by_class(root, "g", "other")] == [
        "X9"
    ]


def test_a_trust_missing_from_the_result_is_an_input_error(
    result: Result,
) -> None:
    broken = result.model_copy(
        update={"trusts": tuple(t for t in result.trusts if t.id != "B3")}
    )
    with pytest.raises(InputError) as caught:
        render_svg(broken)
    assert [p.line for p in caught.value.problems] == [
        "assignments.2.buddy",
        "partnerships.1.buddy",
    ]


@pytest.mark.parametrize("width", [100, 479, 4001])
def test_width_out_of_range(result: Result, width: int) -> None:
    with pytest.raises(ValueError, match="width"):
        render_svg(result, width=width)


def test_width_sets_the_picture_size(result: Result) -> None:
    root = parse(render_svg(result, width=1200))
    assert root.get("width") == "1200"


def test_short_name_drops_the_nhs_suffix() -> None:
    assert short_name(ref("A", 52, -1, "Truro Hospitals NHS Trust")) == (
        "Truro Hospitals"
    )
    assert short_name(ref("A", 52, -1, "")) == "A"
    long = short_name(ref("A", 52, -1, "Kingston upon Hull Royal Infirmary"))
    assert long.endswith("…") and len(long) == 28


def test_a_solved_problem_maps(small_problem: bm.Problem) -> None:
    solved = solve_verified(small_problem)
    root = parse(render_svg(solved))
    assert len(by_class(root, "line", "assignment")) == len(solved.assignments)
    named = {a.seeker for a in solved.assignments}
    named |= {a.buddy for a in solved.assignments}
    named |= {u.seeker for u in solved.unmet}
    drawn = {m.get("data-trust") for m in by_class(root, "g", "trust")}
    assert named <= drawn


# -- files -------------------------------------------------------------------


def test_read_result_round_trips(result: Result, tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(result.to_json(), encoding="utf-8")
    assert read_result(path) == result


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ('{\n  "status": "optimal",\n}', 3, "not valid JSON"),
        ("[1, 2]", None, "expected a JSON object"),
        (
            '{"status": "optimal", "trusts": [{"id": "A", "name": "A", '
            '"kind": "acute", "lat": "north", "lon": 0}]}',
            "trusts.0.lat",
            "valid number",
        ),
        ('{"status": "maybe"}', "status", "optimal"),
    ],
)
def test_read_result_reports_bad_json(
    tmp_path: Path, content: str, line: int | str | None, message: str
) -> None:
    path = tmp_path / "result.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_result(path)
    problem = caught.value.problems[0]
    assert problem.file == str(path)
    assert problem.line == line
    assert message in problem.message


def test_read_result_reports_missing_trusts(
    result: Result, tmp_path: Path
) -> None:
    broken = result.model_copy(update={"trusts": result.trusts[1:]})
    path = tmp_path / "result.json"
    path.write_text(broken.to_json(), encoding="utf-8")
    with pytest.raises(InputError, match="'S1' is not among"):
        read_result(path)


def test_read_result_reports_missing_files_and_folders(
    tmp_path: Path,
) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_result(tmp_path / "absent.json")
    with pytest.raises(InputError, match="folder"):
        read_result(tmp_path)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"{\xff}")
    with pytest.raises(InputError, match="UTF-8"):
        read_result(binary)


@pytest.mark.parametrize("name", ["map.svg", "MAP.SVG", "map.html", "m.htm"])
def test_write_map_by_extension(
    result: Result, tmp_path: Path, name: str
) -> None:
    path = write_map(result, tmp_path / name)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".svg":
        parse(text)
    else:
        assert text.startswith("<!DOCTYPE html>")
    # Written atomically: no temporary file is left behind.
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.parametrize("name", ["map.pdf", "map", "map.svg.txt"])
def test_unknown_extensions_are_refused(
    result: Result, tmp_path: Path, name: str
) -> None:
    with pytest.raises(InputError, match=r"\.svg, \.html or \.png"):
        write_map(result, tmp_path / name)
    with pytest.raises(InputError):
        check_map_path(name)
    assert not list(tmp_path.iterdir())


def test_png_without_resvg_says_what_to_install(
    result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "resvg_py", None)  # import fails
    with pytest.raises(MissingDependencyError) as caught:
        write_map(result, tmp_path / "map.png")
    error = caught.value
    # A missing package is not a problem in the input.
    assert not isinstance(error, InputError)
    assert isinstance(error, ImportError)
    assert error.package == error.name == "resvg-py"
    assert str(tmp_path / "map.png") in error.purpose
    assert "pip install 'buddymatch[map]'" in error.fix
    assert "in the input" not in str(error)
    assert not list(tmp_path.iterdir())
    with pytest.raises(MissingDependencyError, match="resvg-py"):
        render_png(result)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.package, str(copy)) == (error.package, str(error))


@pytest.fixture
def fonts(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Give resvg only the fonts named (none: no font at all)."""

    def use(*files: str, font: str | None = None) -> None:
        options = {"skip_system_fonts": True, "font_files": list(files)}
        monkeypatch.setattr(map_module, "_RESVG_OPTIONS", options)
        monkeypatch.setattr(map_module, "_FONT_OPTIONS", None)
        if font is not None:
            # The drawing and the font probe both read it.
            monkeypatch.setattr(map_module, "FONT", font)
            monkeypatch.setattr(svg_module, "FONT", font)

    # Whatever a test found is forgotten after it.
    monkeypatch.setattr(map_module, "_FONT_OPTIONS", None)
    return use


def test_png_on_a_machine_without_fonts_says_so(
    result: Result, tmp_path: Path, fonts: Callable[..., None]
) -> None:
    # resvg would draw the map without a single label: refused instead.
    fonts()
    with pytest.raises(MissingDependencyError) as caught:
        write_map(result, tmp_path / "map.png")
    assert "no font" in caught.value.reason
    assert "fonts-dejavu-core" in caught.value.fix
    assert "write .svg or .html instead" in caught.value.fix
    assert not list(tmp_path.iterdir())


DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.mark.skipif(not DEJAVU.exists(), reason="needs DejaVu Sans's file")
def test_png_falls_back_to_an_installed_sans_serif(
    result: Result, fonts: Callable[..., None]
) -> None:
    # None of the fonts the SVG names, and resvg's own sans-serif (Arial)
    # missing: a common font standing in for sans-serif draws the text.
    fonts(str(DEJAVU), font="No Such Font, sans-serif")
    png = render_png(result, width=600)
    assert map_module._FONT_OPTIONS == {"sans_serif_family": "DejaVu Sans"}
    bare = resvg_py.svg_to_bytes(
        svg_string=render_svg(result, width=600),
        zoom=2.0,
        skip_system_fonts=True,
    )
    assert png != bare  # the labels are drawn


def test_png_is_written_with_its_labels(
    result: Result, tmp_path: Path, fonts: Callable[..., None]
) -> None:
    path = write_map(result, tmp_path / "map.png", width=600)
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    # Twice the SVG's pixels across (scale 2, for sharp screens).
    assert int.from_bytes(data[16:20], "big") == 1200
    assert data == render_png(result, width=600)
    # The labels are drawn: without fonts the same map comes out
    # different.
    svg = render_svg(result, width=600)
    bare = resvg_py.svg_to_bytes(
        svg_string=svg, zoom=2.0, skip_system_fonts=True
    )
    assert bare[16:24] == data[16:24]  # same width and height
    assert bare != data
