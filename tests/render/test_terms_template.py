"""Terms of reference from a Jinja2 template, the built-in or the user's.

The built-in template must write exactly what the f-strings it replaced
wrote (``_legacy_markdown`` below is that code, kept as the oracle); a
template of the user's own runs sandboxed, escapes every value it prints
for Markdown, and fails with the file and line, never a traceback.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import buddymatch as bm
from buddymatch.cli import app
from buddymatch.errors import InputError
from buddymatch.escape import md_escape
from buddymatch.render.terms import (
    DEFAULT_TERMS_TEMPLATE,
    TermsTemplate,
    load_terms_template,
    render_terms_markdown,
    write_terms,
)
from buddymatch.terms_model import AreaTerms, Party, Review, Terms
from conftest import make_trust, solve_verified

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# ---------------------------------------------------------------------------
# The oracle: the f-string renderer the template replaced, as it was
# ---------------------------------------------------------------------------

_MONTHS = [dt.date(2000, m, 1).strftime("%B") for m in range(1, 13)]


def _duration(months: int, days: int = 0) -> str:
    parts = []
    if months or not days:
        parts.append(f"{months} month{'' if months == 1 else 's'}")
    if days:
        parts.append(f"{days} day{'' if days == 1 else 's'}")
    return " and ".join(parts)


def _money(amount: float) -> str:
    if round(amount, 2) == round(amount):
        return f"£{amount:,.0f}"
    return f"£{amount:,.2f}"


def _day(day: dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _legacy_markdown(terms: Terms) -> str:
    esc = md_escape
    seeker, buddy = terms.seeker, terms.buddy
    out = [
        f"# Terms of reference: {esc(seeker.name)} and {esc(buddy.name)}",
        "",
        "Draft terms of reference for a buddying arrangement, proposed by "
        "buddymatch for the two trusts to agree and adapt.",
        "",
        "## Parties",
        "",
        "| role | trust | id |",
        "|---|---|---|",
        f"| seeker (receives support) | {esc(seeker.name)} | "
        f"{esc(seeker.id)} |",
        f"| buddy (gives support) | {esc(buddy.name)} | {esc(buddy.id)} |",
        "",
        "## Scope of support",
        "",
        "| area | tier | workload units | duration | starts | ends "
        "| estimated fee |",
        "|---|---|---:|---|---|---|---:|",
    ]
    out.extend(
        f"| {esc(x.area)} | {esc(x.tier)} | {x.workload} | "
        f"{_duration(x.months)} | {_day(x.start)} | {_day(x.end)} | "
        f"{_money(x.fee)} |"
        for x in terms.areas
    )
    out.append(
        f"| **total** | | {terms.workload} | "
        f"{_duration(terms.months, terms.days)} | "
        f"{_day(terms.start)} | {_day(terms.end)} | {_money(terms.fee)} |"
    )
    interim = [r for r in terms.reviews if not r.final]
    out += ["", "## Timescales", "", f"- Start: {_day(terms.start)}."]
    if interim:
        out.append(
            "- Joint reviews: "
            + ", ".join(_day(r.date) for r in interim)
            + "."
        )
    out += [
        f"- Final review and end of the term: {_day(terms.end)}, unless "
        "both trusts agree there to renew it.",
        "",
        "## Fees",
        "",
        f"- Estimated fees for this partnership: {_money(terms.fee)}, "
        "payable to the buddy by tier on a sliding scale.",
    ]
    if terms.allowance is not None:
        verdict = (
            "within it"
            if terms.within_allowance
            else f"{_money(terms.seeker_fees - terms.allowance)} above it"
        )
        out.append(
            f"- Cost-neutral allowance for {esc(seeker.name)}: "
            f"{_money(terms.allowance)}; all of its proposed arrangements "
            f"come to {_money(terms.seeker_fees)}, {verdict}."
        )
    out += ["", "## Coordination", ""]
    out.extend(f"- {esc(line)}" for line in terms.coordination)
    out += ["", "## Ending the arrangement", "", esc(terms.termination)]
    return "\n".join(out) + "\n"


# Text that Markdown, HTML and Jinja2 itself would all act on.
_hostile = st.text(
    st.sampled_from("ab Z\n\t*_|[]()`~\\<>&#{}%'\"!-+.é"), max_size=12
)
_days = st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31))
_money_values = st.one_of(
    st.integers(0, 10**7).map(float),
    st.floats(0, 10**7, allow_nan=False).map(lambda x: round(x, 2)),
)
_areas = st.builds(
    AreaTerms,
    area=_hostile,
    tier=_hostile,
    workload=st.integers(0, 99),
    months=st.integers(0, 48),
    start=_days,
    end=_days,
    fee=_money_values,
)


@st.composite
def _terms(draw: st.DrawFn) -> Terms:
    allowance = draw(st.none() | _money_values)
    reviews = draw(st.lists(st.builds(Review, date=_days), max_size=5))
    return Terms(
        seeker=Party(id=draw(_hostile), name=draw(_hostile), role="seeker"),
        buddy=Party(id=draw(_hostile), name=draw(_hostile), role="buddy"),
        areas=tuple(draw(st.lists(_areas, max_size=4))),
        workload=draw(st.integers(0, 999)),
        fee=draw(_money_values),
        months=draw(st.integers(0, 60)),
        days=draw(st.integers(0, 30)),
        start=draw(_days),
        end=draw(_days),
        reviews=(*reviews, Review(date=draw(_days), final=True)),
        coordination=tuple(draw(st.lists(_hostile, max_size=4))),
        termination=draw(_hostile),
        seeker_fees=draw(_money_values),
        allowance=allowance,
        within_allowance=(None if allowance is None else draw(st.booleans())),
    )


@settings(max_examples=300, deadline=None)
@given(_terms())
def test_the_built_in_template_writes_what_the_f_strings_wrote(
    terms: Terms,
) -> None:
    assert render_terms_markdown(terms) == _legacy_markdown(terms)


@pytest.fixture(scope="module")
def example() -> tuple[bm.Policy, bm.Result]:
    folder = bm.example_dir()
    policy = bm.read_policy(folder / "policy.toml")
    problem = bm.read_problem(
        folder / "trusts.csv",
        relations=folder / "relations.csv",
        policy=policy,
    )
    result = solve_verified(
        problem, policy, time_limit=0.5, workers=2, deterministic=True
    )
    return policy, result


def test_the_example_terms_files_are_byte_identical(
    example: tuple[bm.Policy, bm.Result], tmp_path: Path
) -> None:
    policy, result = example
    for allowance in (None, 1_000, 10_000_000, 12_345.67):
        pol = bm.Policy.model_validate(
            {**policy.model_dump(), "cost_neutral_allowance": allowance}
        )
        written = write_terms(result, tmp_path, policy=pol)
        for partnership, path in zip(
            result.partnerships, written, strict=True
        ):
            terms = bm.terms_for(result, partnership, pol)
            assert path.read_bytes() == _legacy_markdown(terms).encode()


# ---------------------------------------------------------------------------
# A template of the user's own
# ---------------------------------------------------------------------------


def _specimen(name: str = "Seeker NHS Trust") -> Terms:
    day = dt.date(2026, 4, 1)
    return Terms(
        seeker=Party(id="S1", name=name, role="seeker"),
        buddy=Party(id="B1", name="Buddy Trust", role="buddy"),
        areas=(
            AreaTerms(
                area="quality_safety",
                tier="light",
                workload=1,
                months=6,
                start=day,
                end=dt.date(2026, 9, 30),
                fee=5000.0,
            ),
        ),
        workload=1,
        fee=5000.0,
        months=6,
        start=day,
        end=dt.date(2026, 9, 30),
        reviews=(
            Review(date=dt.date(2026, 7, 1)),
            Review(date=dt.date(2026, 9, 30), final=True),
        ),
        coordination=("Each trust names a lead.",),
        termination="One month's notice.",
        seeker_fees=5000.0,
    )


def _template(tmp_path: Path, text: str, name: str = "t.md.j2") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


EVIL = "*Evil* | <b>x</b> [l](u) _y_ {{ 7*7 }}"


def test_values_are_escaped_for_markdown_and_the_text_is_not(
    tmp_path: Path,
) -> None:
    path = _template(
        tmp_path,
        "**Letterhead** _of_ | ours |\n"
        "{{ seeker.name }}\n"
        "{{ seeker.name ~ ' and ' ~ buddy.name }}\n"
        "{{ seeker.name|upper }}\n",
    )
    text = render_terms_markdown(_specimen(EVIL), template=path)
    lines = text.splitlines()
    assert lines[0] == "**Letterhead** _of_ | ours |"
    assert lines[1] == md_escape(EVIL)
    assert lines[2] == md_escape(EVIL + " and Buddy Trust")
    assert lines[3] == md_escape(EVIL.upper())
    # A name that looks like Jinja2 is printed, never run.
    assert "49" not in text


def test_macros_blocks_and_the_e_filter_escape_once(tmp_path: Path) -> None:
    path = _template(
        tmp_path,
        "{% macro trust(p) %}{{ p.name }} ({{ p.id }}){% endmacro %}"
        "{% set who %}{{ seeker.name }}{% endset %}"
        "{{ trust(seeker) }}\n{{ who }}\n{{ seeker.name|e }}\n"
        "{{ seeker.name|safe }}\n",
    )
    text = render_terms_markdown(_specimen("a*b&c"), template=path)
    assert text.splitlines() == [
        "a\\*b&amp;c (S1)",
        "a\\*b&amp;c",
        "a\\*b&amp;c",
        "a*b&c",  # |safe: the template vouches for it
    ]


def test_filters_for_dates_money_durations_and_areas(tmp_path: Path) -> None:
    path = _template(
        tmp_path,
        "{% for x in areas %}{{ x.area|area_words }}: {{ x.start|day }}, "
        "{{ x.fee|money }}, {{ x.months|duration }}{% endfor %}; "
        "{{ terms.months|duration(12) }}; "
        "{{ interim_reviews|length }} and {{ final_review.date|day }}\n",
    )
    text = render_terms_markdown(_specimen(), template=path)
    assert text == (
        "quality and safety: 1 April 2026, £5,000, 6 months; "
        "6 months and 12 days; 1 and 30 September 2026\n"
    )


def test_a_template_may_extend_the_built_in_one(tmp_path: Path) -> None:
    path = _template(
        tmp_path,
        '{% extends "buddymatch/terms.md.j2" %}\n'
        "{% block letterhead %}\n**Our Trust** letterhead\n\n"
        "{% endblock %}\n",
    )
    terms = _specimen(EVIL)
    text = render_terms_markdown(terms, template=path)
    assert text == "**Our Trust** letterhead\n\n" + _legacy_markdown(terms)


def test_the_example_letterhead_template_renders(
    example: tuple[bm.Policy, bm.Result], tmp_path: Path
) -> None:
    _, result = example
    template = load_terms_template(EXAMPLES / "terms_letterhead.md.j2")
    written = write_terms(result, tmp_path, template=template)
    assert len(written) == len(result.partnerships)
    text = written[0].read_text(encoding="utf-8")
    p = result.partnerships[0]
    names = (result.trust_name(p.seeker), result.trust_name(p.buddy))
    assert text.startswith("**")  # the letterhead comes first
    assert all(md_escape(n) in text for n in names)
    assert "## Signatures" in text
    # The built-in sections are still there, and in order.
    order = [
        text.index(h)
        for h in ("## Parties", "## Scope of support", "## Signatures")
    ]
    assert order == sorted(order)


def test_the_built_in_template_by_name() -> None:
    template = load_terms_template()
    assert isinstance(template, TermsTemplate) and template.file is None
    assert DEFAULT_TERMS_TEMPLATE == "buddymatch/terms.md.j2"
    terms = _specimen()
    assert template.render(terms) == _legacy_markdown(terms)


def test_json_takes_no_template(tmp_path: Path) -> None:
    problem = bm.Problem(
        trusts=(
            make_trust("S", 52.0, -1.5),
            make_trust("B", 52.6, -1.5, capacity=5, expertise={"finance": 4}),
        ),
        needs=(bm.Need(seeker="S", area="finance"),),
    )
    result = solve_verified(problem)
    path = _template(tmp_path, "x\n")
    with pytest.raises(ValueError, match="Markdown"):
        write_terms(result, tmp_path / "out", fmt="json", template=path)
    (written,) = write_terms(result, tmp_path / "out", template=path)
    assert written.read_text(encoding="utf-8") == "x\n"


# ---------------------------------------------------------------------------
# A broken template: an input error naming file and line
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("ok\n{% if %}\n", 2, "Expected an expression"),
        ("# x\n\n{{ seeker.nme }}\n", 3, "no attribute 'nme'"),
        ("{{ nothing }}\n", 1, "'nothing' is undefined"),
        ("a\n{{ seeker.__class__.__mro__ }}\n", 2, "unsafe"),
        ("a\n{{ '{0.__class__}'.format(seeker) }}\n", 2, "unsafe"),
        ('{% extends "nope.j2" %}\n', 1, "no template 'nope.j2'"),
        ('{% include "/etc/passwd" %}\n', 1, "no template '/etc/passwd'"),
        (
            '{% include "buddymatch/../data/policy.toml" %}\n',
            1,
            "no template",
        ),
        ("a\nb\n{{ terms.fee / 0 }}\n", 3, "ZeroDivisionError"),
        ("{{ terms.start|money }}\n", 1, "TypeError"),
        (
            '{% extends "buddymatch/terms.md.j2" %}\n'
            "{% block title %}\n{{ terms.nope }}\n{% endblock %}\n",
            3,
            "no attribute 'nope'",
        ),
    ],
)
def test_a_broken_template_names_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _template(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_terms_template(path)
    (problem,) = caught.value.problems
    assert problem.file == str(path)
    assert problem.line == line
    assert message in problem.message
    assert "docs/terms.md" in problem.fix


def test_a_template_failing_only_on_real_data_fails_on_render(
    tmp_path: Path,
) -> None:
    # The specimen has a cost-neutral allowance; this partnership has not.
    path = _template(
        tmp_path, "{% if terms.allowance is none %}\n{{ oops }}\n{% endif %}"
    )
    template = load_terms_template(path)
    with pytest.raises(InputError) as caught:
        template.render(_specimen())
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 2)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read the template"), (b"\xff\xfe", "not UTF-8")],
)
def test_an_unreadable_template(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "t.j2"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_terms_template(path)


# ---------------------------------------------------------------------------
# The command line: --template
# ---------------------------------------------------------------------------


def _example_args() -> list[str]:
    folder = bm.example_dir()
    return [
        str(folder / "trusts.csv"),
        "--relations",
        str(folder / "relations.csv"),
        "--policy",
        str(folder / "policy.toml"),
        "--time-limit",
        "0.5",
        "--deterministic",
        "--quiet",
    ]


def test_propose_writes_terms_with_the_template(tmp_path: Path) -> None:
    terms = tmp_path / "terms"
    run = CliRunner().invoke(
        app,
        [
            "propose",
            *_example_args(),
            "--terms",
            str(terms),
            "--template",
            str(EXAMPLES / "terms_letterhead.md.j2"),
        ],
    )
    assert run.exit_code in (0, 1), run.output
    files = sorted(terms.iterdir())
    assert files
    assert all("## Signatures" in f.read_text(encoding="utf-8") for f in files)


@pytest.mark.parametrize("command", ["propose", "rematch"])
def test_a_broken_template_is_exit_2_before_any_solving(
    tmp_path: Path, command: str
) -> None:
    path = _template(tmp_path, "line one\n{{ seeker.nme }}\n")
    args = [command, *_example_args()]
    if command == "rematch":
        arrangements = tmp_path / "arrangements.csv"
        arrangements.write_text(
            "seeker,area,buddy,status,start\n", encoding="utf-8"
        )
        args += ["--arrangements", str(arrangements)]
    run = CliRunner().invoke(
        app,
        [*args, "--terms", str(tmp_path / "t"), "--template", str(path)],
        env={"COLUMNS": "500"},
    )
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.output
    assert f"{path}, line 2" in run.output
    assert "no attribute 'nme'" in run.output
    assert not (tmp_path / "t").exists()


def test_template_without_terms_is_exit_2(tmp_path: Path) -> None:
    path = _template(tmp_path, "x\n")
    run = CliRunner().invoke(
        app, ["propose", *_example_args(), "--template", str(path)]
    )
    assert run.exit_code == 2
    assert "--terms" in run.output
