"""The command ``explain``: a saved proposal's summary and detail, or the
re-solved one's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from buddymatch.cli.app import (
    EXPLAIN_STOP_NOTICE,
    DebugOpt,
    MatrixOpt,
    PairsOpt,
    QuietOpt,
    RelationsOpt,
    app,
    err,
    out,
)
from buddymatch.cli.common import (
    _emit,
    _esc,
    _exit_code,
    _guard,
    _Inputs,
    _outputs,
    _prepare,
    _solve_params,
    _target,
)
from buddymatch.cli.progress import (
    _solve_ended,
    _SolveProgress,
    _Stopping,
)
from buddymatch.errors import (
    InputError,
    InputProblem,
)

# The library (pydantic models, numpy, the solver, networkx) is imported
# inside the commands that use it, so ``buddymatch --help`` starts at once.
if TYPE_CHECKING:
    from buddymatch.model import Policy, Problem
    from buddymatch.render import Output, OutputKind
    from buddymatch.result import Result


@dataclass(frozen=True)
class _Question:
    """What ``explain`` is asked: ``summary`` (the default), ``all``, or
    one ``need``, ``pair`` or ``buddy``, with the ids it names."""

    kind: str
    seeker: str = ""
    area: str = ""
    buddy: str = ""


def _usage_error(column: str, message: str, fix: str) -> InputError:
    return InputError(
        [InputProblem("command line", None, column, message, fix)]
    )


def _split_ids(option: str, value: str, names: tuple[str, ...]) -> list[str]:
    """Split ``SEEKER/AREA``-style *value* into its parts, or refuse it."""
    parts = [part.strip() for part in value.split("/")]
    if len(parts) != len(names) or not all(parts):
        shape = "/".join(names)
        raise _usage_error(
            option,
            f"{option} {value!r} is not {shape}",
            f"give {option} {shape}, e.g. "
            + "/".join(
                {"SEEKER": "RXX", "AREA": "finance", "BUDDY": "RYY"}[n]
                for n in names
            ),
        )
    return parts


def _question(
    need: str | None,
    pair: str | None,
    buddy: str | None,
    seeker: str | None,
    area: str | None,
    whole: bool,
) -> _Question:
    """Return the question the options of ``explain`` ask.

    ``--seeker S --area A`` is ``--need S/A``; with ``--buddy B`` too it
    is ``--pair S/A/B``; ``--buddy B`` alone asks about the buddy.
    """
    asked: list[_Question] = []
    if need is not None:
        s, a = _split_ids("--need", need, ("SEEKER", "AREA"))
        asked.append(_Question("need", s, a))
    if pair is not None:
        s, a, b = _split_ids("--pair", pair, ("SEEKER", "AREA", "BUDDY"))
        asked.append(_Question("pair", s, a, b))
    if seeker is not None or area is not None:
        if seeker is None or area is None:
            missing = "--area" if area is None else "--seeker"
            raise _usage_error(
                missing,
                "--seeker and --area name a need together (with --buddy "
                "too: one pair)",
                f"add {missing}, or ask with --need SEEKER/AREA or --pair "
                "SEEKER/AREA/BUDDY",
            )
        if buddy is not None:
            asked.append(_Question("pair", seeker, area, buddy))
        else:
            asked.append(_Question("need", seeker, area))
    elif buddy is not None:
        asked.append(_Question("buddy", buddy=buddy))
    if whole:
        asked.append(_Question("all"))
    if len(asked) > 1:
        raise _usage_error(
            "--need, --pair, --buddy, --all",
            "explain answers one question at a time",
            "give one of --need SEEKER/AREA, --pair SEEKER/AREA/BUDDY, "
            "--buddy ID or --all",
        )
    return asked[0] if asked else _Question("summary")


def _explain_files(
    first: Path | None, second: Path | None
) -> tuple[Path | None, Path]:
    """Return the result file (if given) and the trusts file of
    ``explain [RESULT.json] TRUSTS``: two files are a result and a
    trusts file, one is a trusts file."""
    usage = "buddymatch explain RESULT.json TRUSTS [--relations …]"
    if first is None:
        raise _usage_error(
            "TRUSTS",
            "no file given",
            f"give the result to explain and the trusts file: {usage}",
        )
    if second is None:
        if first.suffix.lower() == ".json":
            raise _usage_error(
                "TRUSTS",
                f"{first} is given alone, but explaining a saved result "
                "needs the problem's inputs too",
                "give the trusts file after it (and the options the "
                f"proposal was made with): {usage}",
            )
        return None, first
    if first.suffix.lower() != ".json" and second.suffix.lower() == ".json":
        raise _usage_error(
            "RESULT.json",
            "the result file comes second, but explain takes it first",
            f"give the result first: {usage}",
        )
    return first, second


#: Violations of a saved result listed before the rest are counted.
_LISTED_VIOLATIONS = 8


def _check_belongs(
    problem: Problem, policy: Policy, result: Result, file: Path
) -> None:
    """Refuse a saved result that does not hold for the problem and policy
    read: explaining it against other inputs would explain nonsense."""
    from buddymatch.io.files import source_name
    from buddymatch.verify import verify

    violations = verify(problem, policy, result)
    if not violations:
        return
    name = source_name(file)
    fix = (
        "explain a result with the trusts, relations, pairs, policy and "
        "travel matrix propose read when it wrote it"
    )
    problems = [
        InputProblem(
            name,
            None,
            None,
            "the result does not belong to these inputs: "
            f"{len(violations)} of its rules or numbers do not hold for "
            "them (below)",
            fix,
        )
    ]
    problems += [
        InputProblem(name, None, None, f"{v.message} ({v.rule})", "as above")
        for v in violations[:_LISTED_VIOLATIONS]
    ]
    if len(violations) > _LISTED_VIOLATIONS:
        problems.append(
            InputProblem(
                name,
                None,
                None,
                f"... and {len(violations) - _LISTED_VIOLATIONS} more",
                "as above",
            )
        )
    raise InputError(problems)


def _summary_hints(result: Result) -> list[tuple[str, str]]:
    """The options that explain one part, each with an example from
    *result*, and what it answers."""
    first = min(
        result.assignments,
        key=lambda a: (a.seeker, a.area, a.buddy),
        default=None,
    )
    hints: list[tuple[str, str]] = []
    unmet = sorted(result.unmet, key=lambda u: (-u.priority, u.seeker, u.area))
    if unmet:
        hints.append(
            (
                f"--need {unmet[0].seeker}/{unmet[0].area}",
                "why a need is unmet (re-solves to confirm policy changes; "
                "--no-relax skips them)",
            )
        )
    if first is not None:
        hints.append(
            (
                f"--need {first.seeker}/{first.area}",
                "why a need has its buddies, and the next best",
            )
        )
        hints.append(
            (
                f"--pair {first.seeker}/{first.area}/{first.buddy}",
                "why this buddy serves this need, or why another does not "
                "(re-solves with the pair pinned)",
            )
        )
        hints.append(
            (
                f"--buddy {first.buddy}",
                "what a buddy does, and the room it has left",
            )
        )
    hints.append(
        (
            "--all",
            "everything, need by need (re-solves for every unmet need)",
        )
    )
    hints.append(("--out FILE", "write it: .md, .html or .json (- : stdout)"))
    return hints


def _print_markdown(text: str) -> None:
    """Show Markdown: laid out on a terminal, as it is in a log or pipe.

    rich lays Markdown out across the console's width (headings centred,
    paragraphs padded), which in a 200-column log is mostly spaces; the
    Markdown text itself reads well there and can be saved as it is.
    """
    from rich.markdown import Markdown

    if out.is_terminal:
        out.print(Markdown(text))
    else:
        out.print(text, markup=False, highlight=False, end="")


def _print_summary(problem: Problem, policy: Policy, result: Result) -> None:
    """Print the proposal in brief, and how to ask about one part."""

    from buddymatch.explain import explain_summary
    from buddymatch.render.explanation import render_summary_markdown

    summary = explain_summary(problem, policy, result)
    _print_markdown(render_summary_markdown(summary))
    hints = (
        _summary_hints(result)
        if result.is_feasible()
        else [
            ("--all", "why the proposal could not be made"),
        ]
    )
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column()
    for option, what in hints:
        table.add_row(_esc(option), _esc(what))
    out.print()
    out.print("Ask about one part:")
    out.print(table)


@app.command()
def explain(
    first: Annotated[
        Path | None,
        typer.Argument(
            metavar="RESULT.json",
            help="The result propose --out wrote: that very proposal is "
            "explained, checked against the inputs.  Left out, the "
            "proposal is re-solved first (deterministically).",
            show_default=False,
        ),
    ] = None,
    second: Annotated[
        Path | None,
        typer.Argument(
            metavar="TRUSTS",
            help="trusts.csv: one row per trust.  - for standard input "
            "(for one of the two files).",
            show_default=False,
        ),
    ] = None,
    relations: RelationsOpt = None,
    pairs: PairsOpt = None,
    policy_file: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="policy.toml (rules, weights); with a result, by default "
            "the policy it records.",
        ),
    ] = None,
    travel_matrix: MatrixOpt = None,
    need: Annotated[
        str | None,
        typer.Option(
            "--need",
            metavar="SEEKER/AREA",
            help="Explain one need: why its buddies, or why it is unmet.",
        ),
    ] = None,
    pair: Annotated[
        str | None,
        typer.Option(
            "--pair",
            metavar="SEEKER/AREA/BUDDY",
            help="Explain one pair: why (or why not) this buddy serves "
            "this need.",
        ),
    ] = None,
    buddy: Annotated[
        str | None,
        typer.Option(
            "--buddy",
            metavar="ID",
            help="Explain one buddy: what it does, and its room left (with "
            "--seeker and --area: one pair).",
        ),
    ] = None,
    whole: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Explain everything: each assignment's alternatives, each "
            "unmet need's policy changes.",
        ),
    ] = False,
    seeker: Annotated[
        str | None,
        typer.Option("--seeker", help="With --area: one need (as --need)."),
    ] = None,
    area: Annotated[
        str | None,
        typer.Option("--area", help="With --seeker: one need."),
    ] = None,
    top: Annotated[
        int,
        typer.Option("--top", min=0, help="Alternatives per assignment."),
    ] = 3,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            min=0.01,
            help="Seconds for the proposal, when it is re-solved (no "
            "RESULT.json).",
        ),
    ] = 10.0,
    resolve_time_limit: Annotated[
        float,
        typer.Option(
            "--resolve-time-limit",
            min=0.01,
            help="Seconds per re-solve (policy changes, a pinned pair).",
        ),
    ] = 2.0,
    relax: Annotated[
        bool,
        typer.Option(
            "--relax/--no-relax",
            help="Look for policy changes that would cover unmet needs.",
        ),
    ] = True,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the explanation (all of it, or the part asked "
            "about): .md, .html or .json; - for standard output.",
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="md, html or json: the format of standard output (--out - "
            "or no --out), default md.",
        ),
    ] = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Explain a proposal: in brief, then one need, pair or buddy on
    request, or all of it.

    Give the RESULT.json that propose --out wrote, then the inputs it was
    made from: that very proposal is explained (it is checked against
    them).  Without it, the proposal is re-solved first.
    """

    stopping = _Stopping()

    def run() -> int:

        from buddymatch.explain import (
            explain_buddy,
            explain_need,
            explain_pair,
            explain_result,
        )
        from buddymatch.render.explanation import (
            render_buddy_markdown,
            render_explanations_markdown,
            render_pair_markdown,
        )

        question = _question(need, pair, buddy, seeker, area, whole)
        result_file, trusts = _explain_files(first, second)
        kind: OutputKind = "explanation"
        if question.kind == "pair":
            kind = "pair explanation"
        elif question.kind == "buddy":
            kind = "buddy explanation"
        target = _target(out_file, fmt, kind, ".md")
        loaded = _prepare(
            _Inputs(
                trusts,
                relations,
                pairs,
                policy_file,
                travel_matrix,
                result=result_file,
            ),
            outputs=_outputs(target),
        )
        problem, policy, travel = loaded.problem, loaded.policy, loaded.travel
        # With the explanation on standard output, the words go to stderr.
        say = err if target is not None and target.path is None else out
        if loaded.result is not None and result_file is not None:
            result = loaded.result
            _check_belongs(problem, policy, result, result_file)
        else:
            from buddymatch.solvers import propose as solve

            if not quiet:
                err.print(
                    "note: no RESULT.json given, so the proposal is "
                    "re-solved (deterministically) to explain it; to "
                    "explain the one you saved, give it first: buddymatch "
                    "explain RESULT.json TRUSTS …"
                )
            # Deterministic, so that the proposal explained is the one a
            # `propose --deterministic` run shows.  Ctrl-C stops this
            # search only: a re-solve cut short would read as one out of
            # time.
            live = not quiet and err.is_terminal
            with (
                stopping.search(EXPLAIN_STOP_NOTICE),
                _SolveProgress(live, time_limit, True) as progress,
            ):
                result = solve(
                    problem,
                    policy,
                    travel=travel,
                    params=_solve_params(
                        time_limit,
                        deterministic=True,
                        events=progress.events,
                        stop=stopping.stop,
                    ),
                )
            _solve_ended(result, stopping, quiet)
        resolve = _solve_params(resolve_time_limit, deterministic=True)
        names = {t.id: t.name or t.id for t in problem.trusts}
        what: Output | None = None
        text = ""
        options: dict[str, Any] = {}
        if question.kind == "summary" and target is None:
            if not quiet:
                _print_summary(problem, policy, result)
        elif question.kind == "need":
            title = f"{question.seeker}'s {question.area} need"
            what = explain_need(
                problem,
                policy,
                result,
                question.seeker,
                question.area,
                top,
                relax=relax,
                params=resolve,
                travel=travel,
            )
            options = {"title": title}
            text = render_explanations_markdown(what, title=title)
        elif question.kind == "pair":
            what = explain_pair(
                problem,
                policy,
                result,
                question.seeker,
                question.area,
                question.buddy,
                k=top,
                params=resolve,
                travel=travel,
            )
            options = {"names": names}
            text = render_pair_markdown(what, names)
        elif question.kind == "buddy":
            what = explain_buddy(
                problem, policy, result, question.buddy, top, travel=travel
            )
            text = render_buddy_markdown(what)
        else:  # all, or the whole explanation written to --out
            what = explain_result(
                problem,
                policy,
                result,
                top,
                relax=relax,
                params=resolve,
                travel=travel,
            )
            text = render_explanations_markdown(what)
        if what is not None and target is not None:
            _emit(what, target, **options)
            if not quiet:
                say.print(_esc(result.summary()))
                if target.path is not None:
                    say.print(f"written: {_esc(str(target.path))}")
        elif what is not None and not quiet:
            _print_markdown(text)
        return _exit_code(result)

    raise typer.Exit(_guard(debug, run, stopping))
