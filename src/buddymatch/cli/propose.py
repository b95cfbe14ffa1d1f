"""The commands ``propose``, ``validate``, ``example`` and ``map``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from buddymatch.cli.app import (
    EXIT_OK,
    DebugOpt,
    DeterministicOpt,
    MatrixOpt,
    PairsOpt,
    PolicyOpt,
    QuietOpt,
    RelationsOpt,
    SeedOpt,
    TemplateOpt,
    TermsOpt,
    TimeLimitOpt,
    TrustsArg,
    WorkersOpt,
    app,
    err,
    out,
)
from buddymatch.cli.common import (
    _check_outputs,
    _emit,
    _esc,
    _exit_code,
    _guard,
    _Inputs,
    _outputs,
    _prepare,
    _print_result,
    _refuse_overwrite,
    _solve_params,
    _target,
    _terms_template,
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
    pass


@app.command()
def propose(
    trusts: TrustsArg,
    relations: RelationsOpt = None,
    pairs: PairsOpt = None,
    policy_file: PolicyOpt = None,
    travel_matrix: MatrixOpt = None,
    time_limit: TimeLimitOpt = 10.0,
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    deterministic: DeterministicOpt = False,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the proposal: .csv, .json or .md; - for standard "
            "output.",
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, json or md: the format of standard output (--out - "
            "or no --out), default json.",
        ),
    ] = None,
    terms_dir: TermsOpt = None,
    template_file: TemplateOpt = None,
    quiet: QuietOpt = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show the solver log.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Propose buddies for every need in TRUSTS (a CSV file)."""

    stopping = _Stopping()

    def run() -> int:
        from buddymatch.solvers import propose as solve

        template = _terms_template(template_file, terms_dir)
        target = _target(out_file, fmt, "result", ".json")
        loaded = _prepare(
            _Inputs(trusts, relations, pairs, policy_file, travel_matrix),
            outputs=_outputs(target),
            folders=[terms_dir],
        )
        if verbose:
            logging.basicConfig(level=logging.INFO, format="%(message)s")
        live = not quiet and not verbose and err.is_terminal
        with (
            stopping.search(),
            _SolveProgress(live, time_limit, deterministic) as progress,
        ):
            params = _solve_params(
                time_limit,
                seed=seed,
                workers=workers,
                deterministic=deterministic,
                log_search=verbose,
                events=progress.events,
                stop=stopping.stop,
            )
            result = solve(
                loaded.problem,
                loaded.policy,
                travel=loaded.travel,
                params=params,
            )
        _solve_ended(result, stopping, quiet)
        # With the proposal on standard output, the words go to stderr.
        say = err if target is not None and target.path is None else out
        if target is not None:
            _emit(result, target)
            if not quiet:
                say.print(_esc(result.summary()))
                if target.path is not None:
                    say.print(f"written: {_esc(str(target.path))}")
        elif not quiet:
            _print_result(result)
        if terms_dir is not None and result.is_feasible():
            from buddymatch.terms import write_terms

            files = write_terms(result, terms_dir, template=template)
            if not quiet:
                say.print(
                    f"written: {len(files)} terms of reference in "
                    f"{_esc(str(terms_dir))}"
                )
        return _exit_code(result)

    raise typer.Exit(_guard(debug, run, stopping))


@app.command()
def validate(
    trusts: TrustsArg,
    relations: RelationsOpt = None,
    pairs: PairsOpt = None,
    policy_file: PolicyOpt = None,
    travel_matrix: MatrixOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check the inputs and summarise the instance."""

    def run() -> int:
        from buddymatch.candidates import build_candidates, summarise

        loaded = _prepare(
            _Inputs(trusts, relations, pairs, policy_file, travel_matrix)
        )
        summary = summarise(
            build_candidates(
                loaded.problem.canonical(), loaded.policy, travel=loaded.travel
            )
        )
        from buddymatch.io.files import source_name

        out.print(f"[green]OK[/green]: {_esc(source_name(trusts))}")
        out.print(
            f"{summary.trusts} trusts, {summary.seekers} seekers, "
            f"{summary.needs} needs, {summary.buddies} buddies with "
            f"capacity {summary.capacity} units in all"
        )
        table = Table(title="Needs by area")
        table.add_column("area")
        table.add_column("needs", justify="right")
        table.add_column("candidate buddies (min)", justify="right")
        for area in summary.areas:
            table.add_row(
                area.area, str(area.needs), str(area.fewest_candidates)
            )
        out.print(table)
        table = Table(title="Need-buddy pairs excluded, by first rule")
        table.add_column("rule")
        table.add_column("pairs", justify="right")
        for rule, count in summary.excluded:
            table.add_row(rule, str(count))
        table.add_row("[bold]candidates[/bold]", str(summary.candidates))
        out.print(table)
        return EXIT_OK

    raise typer.Exit(_guard(debug, run))


@app.command()
def example(
    directory: Annotated[
        Path, typer.Argument(help="Folder to write the example into.")
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite existing files.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Write the bundled example (trusts, relations, policy) to DIRECTORY."""

    def run() -> int:
        from buddymatch.examples import write_example

        try:
            written = write_example(directory, overwrite=force)
        except FileExistsError as exc:
            raise InputError(
                [
                    InputProblem(
                        str(exc.filename or directory),
                        None,
                        None,
                        "the file exists already",
                        "choose an empty folder, or pass --force to "
                        "overwrite it",
                    )
                ]
            ) from None
        for path in written:
            out.print(f"written: {_esc(str(path))}")
        return EXIT_OK

    raise typer.Exit(_guard(debug, run))


@app.command("map")
def map_command(
    result_file: Annotated[
        Path,
        typer.Argument(
            metavar="RESULT.json",
            help="A result written by propose --out RESULT.json; - for "
            "standard input.",
        ),
    ],
    out_file: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="The picture: .svg, .html or .png; - for standard output.",
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="svg, html or png: the format of --out - (default svg).",
        ),
    ] = None,
    width: Annotated[
        int,
        typer.Option("--width", min=480, max=4000, help="Pixels across."),
    ] = 900,
    title: Annotated[
        str, typer.Option("--title", help="Heading above the map.")
    ] = "Buddying proposal",
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Draw a proposal on a map: trusts at their sites, pairings as lines.

    Seekers are squares, buddies circles, and each pairing is a line
    coloured by area; nothing is fetched from the network.  PNG needs the
    optional resvg-py package.
    """

    def run() -> int:
        from buddymatch.mapping import read_result
        from buddymatch.render import Map

        target = _target(out_file, fmt, "map", ".svg")
        assert target is not None  # --out is required
        if target.path is not None:
            _refuse_overwrite(target.path, [result_file])
            _check_outputs(files=[target.path])
        result = read_result(result_file)
        _emit(Map(result), target, width=width, title=title)
        if not quiet and target.path is not None:
            out.print(f"written: {_esc(str(target.path))}")
        return EXIT_OK

    raise typer.Exit(_guard(debug, run))
