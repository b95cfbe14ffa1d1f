"""The ``buddymatch`` command: a thin layer over the library.

Exit codes (all commands): 0 success, every need met; 1 some needs unmet;
2 input or usage error; 3 no solution within the time limit; 4 infeasible
(pins or forced rules); 70 internal error (no traceback unless ``--debug``).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from buddymatch.errors import BuddymatchError, InputError, InputProblem
from buddymatch.model import Policy, Problem
from buddymatch.result import Result

EXIT_OK = 0
EXIT_UNMET = 1
EXIT_INPUT = 2
EXIT_NO_SOLUTION = 3
EXIT_INFEASIBLE = 4
EXIT_INTERNAL = 70

app = typer.Typer(
    name="buddymatch",
    help="Propose buddying arrangements between NHS trusts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

_T = TypeVar("_T")

TrustsArg = Annotated[
    Path, typer.Argument(help="trusts.csv: one row per trust.")
]
RelationsOpt = Annotated[
    Path | None,
    typer.Option("--relations", help="relations.csv: a,b,kind[,area][,note]"),
]
PairsOpt = Annotated[
    Path | None,
    typer.Option(
        "--pairs", help="pairs.csv: seeker,area,buddy[,score][,workload]"
    ),
]
PolicyOpt = Annotated[
    Path | None, typer.Option("--policy", help="policy.toml (rules, weights)")
]
MatrixOpt = Annotated[
    Path | None,
    typer.Option(
        "--travel-matrix", help="origin,destination,minutes durations"
    ),
]
DebugOpt = Annotated[
    bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
]


def _guard(debug: bool, action: Callable[[], _T]) -> _T:
    """Run *action*, turning errors into messages and exit codes."""
    try:
        return action()
    except InputError as exc:
        _print_input_error(exc)
        raise typer.Exit(EXIT_INPUT) from None
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        err.print("[red]interrupted[/red]")
        raise typer.Exit(130) from None
    except Exception as exc:  # the last line of defence: no traceback
        if debug:
            raise
        kind = "error" if isinstance(exc, BuddymatchError) else "bug"
        err.print(
            f"[red]internal {kind}:[/red] {type(exc).__name__}: {exc}\n"
            "Run again with --debug for the traceback, and please report "
            "it.",
            markup=True,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


def _print_input_error(exc: InputError) -> None:
    n = len(exc.problems)
    err.print(
        f"[bold red]{n} problem{'s' if n != 1 else ''} in the input:"
        "[/bold red]"
    )
    for p in exc.problems:
        err.print(f"  - [bold]{_esc(p.location())}[/bold]: {_esc(p.message)}")
        err.print(f"    fix: {_esc(p.fix)}")


def _esc(text: str) -> str:
    """Escape rich markup in user text."""
    return text.replace("[", "\\[")


def _load(
    trusts: Path,
    relations: Path | None,
    pairs: Path | None,
    policy_file: Path | None,
    travel_matrix: Path | None,
) -> tuple[Problem, Policy]:
    """Read every input; report all problems of all files together."""
    from buddymatch.io import read_policy, read_problem

    problems: list[InputProblem] = []
    policy = Policy()
    if policy_file is not None:
        try:
            policy = read_policy(policy_file)
        except InputError as exc:
            problems.extend(exc.problems)
    try:
        problem = read_problem(
            trusts,
            relations=relations,
            pairs=pairs,
            travel_matrix=travel_matrix,
            policy=policy,
        )
    except InputError as exc:
        problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return problem, policy


def _refuse_overwrite(target: Path, inputs: list[Path | None]) -> None:
    resolved = target.resolve()
    for path in inputs:
        if path is not None and path.resolve() == resolved:
            raise InputError(
                [
                    InputProblem(
                        str(target),
                        None,
                        None,
                        "the output file is one of the input files",
                        "choose another output path; buddymatch never "
                        "writes over its own input",
                    )
                ]
            )


def _exit_code(result: Result) -> int:
    if result.status == "infeasible":
        return EXIT_INFEASIBLE
    if result.status == "no_solution":
        return EXIT_NO_SOLUTION
    return EXIT_OK if not result.unmet else EXIT_UNMET


_SUFFIXES_OF_NAMES = (" NHS Foundation Trust", " NHS Trust")


def _short(result: Result, trust_id: str) -> str:
    """Id and name without the common NHS suffix, for narrow terminals."""
    name = result.trust_name(trust_id)
    for suffix in _SUFFIXES_OF_NAMES:
        name = name.removesuffix(suffix)
    return _esc(trust_id if name == trust_id else f"{trust_id} {name}")


def _summary_table(result: Result) -> Table:
    table = Table(title="Proposed buddies")
    table.add_column("seeker", ratio=3)
    table.add_column("area", no_wrap=True)
    table.add_column("tier", no_wrap=True)
    table.add_column("buddy", ratio=3)
    for col in ("min", "fit", "exp", "score"):
        table.add_column(col, justify="right", no_wrap=True)
    previous = None
    for a in sorted(
        result.assignments, key=lambda a: (a.seeker, a.area, a.buddy)
    ):
        if previous is not None and a.seeker != previous:
            table.add_section()
        table.add_row(
            _short(result, a.seeker) if a.seeker != previous else "",
            a.area,
            a.tier,
            _short(result, a.buddy),
            f"{a.travel_minutes:.0f}",
            f"{a.culture_fit:.2f}",
            str(a.expertise),
            f"{a.score:.1f}",
        )
        previous = a.seeker
    return table


def _print_result(result: Result) -> None:
    if result.assignments:
        out.print(_summary_table(result))
    if result.unmet:
        table = Table(title="Unmet needs")
        for col in ("seeker", "area", "priority", "reason"):
            table.add_column(col)
        for u in result.unmet:
            table.add_row(
                _short(result, u.seeker),
                u.area,
                str(u.priority),
                _esc(u.detail),
            )
        out.print(table)
    out.print(_esc(result.summary()))


class _LiveProgress:
    """Elapsed, best objective, bound and gap, refreshed while solving."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._start = time.perf_counter()
        self._last = "searching…"
        self._lock = threading.Lock()
        self._live: Live | None = None

    def __enter__(self) -> _LiveProgress:
        if self.enabled:
            self._live = Live(
                get_renderable=self._render,
                console=err,
                refresh_per_second=4,
                transient=True,
            )
            self._live.__enter__()
        return self

    def _render(self) -> str:
        with self._lock:
            last = self._last
        return f"solving {time.perf_counter() - self._start:5.1f} s  {last}"

    def __call__(
        self, elapsed: float, objective: float, bound: float, gap: float
    ) -> None:
        with self._lock:
            self._last = (
                f"best {objective:.2f}  bound {bound:.2f}  gap {gap:.2%}"
            )

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)


@app.command()
def propose(
    trusts: TrustsArg,
    relations: RelationsOpt = None,
    pairs: PairsOpt = None,
    policy_file: PolicyOpt = None,
    travel_matrix: MatrixOpt = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.01, help="Seconds.")
    ] = 10.0,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Solver threads.")
    ] = None,
    deterministic: Annotated[
        bool,
        typer.Option(
            "--deterministic", help="Same input, same output (slower)."
        ),
    ] = False,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Write the proposal: .csv, .json or .md"),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show the solver log.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Propose buddies for every need in TRUSTS (a CSV file)."""

    def run() -> int:
        from buddymatch.solvers import propose as solve
        from buddymatch.travel import travel_model

        problem, policy = _load(
            trusts, relations, pairs, policy_file, travel_matrix
        )
        if out_file is not None:
            _check_out_suffix(out_file)
            _refuse_overwrite(
                out_file, [trusts, relations, pairs, policy_file,
                           travel_matrix]
            )
        if verbose:
            logging.basicConfig(level=logging.INFO, format="%(message)s")
        show = not quiet and not verbose and err.is_terminal
        travel = None
        if travel_matrix is not None:
            # Name the matrix's file in errors about missing pairs.
            travel = travel_model(problem, policy, source=str(travel_matrix))
        with _LiveProgress(show) as progress:
            result = solve(
                problem,
                policy,
                travel=travel,
                time_limit=time_limit,
                seed=seed,
                workers=workers,
                deterministic=deterministic,
                progress=progress if show else None,
                log_search=verbose,
            )
        if out_file is not None:
            write_result(result, out_file)
            if not quiet:
                out.print(_esc(result.summary()))
                out.print(f"written: {_esc(str(out_file))}")
        elif not quiet:
            _print_result(result)
        return _exit_code(result)

    raise typer.Exit(_guard(debug, run))


_SUFFIXES = (".csv", ".json", ".md")


def _check_out_suffix(path: Path) -> None:
    if path.suffix.lower() not in _SUFFIXES:
        raise InputError(
            [
                InputProblem(
                    str(path),
                    None,
                    None,
                    f"unknown output format {path.suffix or '(none)'!r}",
                    "name the output file .csv, .json or .md",
                )
            ]
        )


def write_result(result: Result, path: Path) -> None:
    """Write *result* in the format named by *path*'s extension."""
    from buddymatch.io import write_pairings_csv, write_text_atomic
    from buddymatch.report import render_markdown

    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_pairings_csv(result, path)
    elif suffix == ".json":
        write_text_atomic(path, result.to_json() + "\n")
    else:
        write_text_atomic(path, render_markdown(result))


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
        from buddymatch.candidates import REASONS, build_candidates

        problem, policy = _load(
            trusts, relations, pairs, policy_file, travel_matrix
        )
        from buddymatch.travel import travel_model

        travel = None
        if travel_matrix is not None:
            travel = travel_model(problem, policy, source=str(travel_matrix))
        cands = build_candidates(problem.canonical(), policy, travel=travel)
        seekers = problem.seeker_ids
        buddies = [
            t
            for t in problem.trusts
            if t.capacity > 0
            and (policy.seekers_can_buddy or t.id not in seekers)
        ]
        out.print(f"[green]OK[/green]: {_esc(str(trusts))}")
        out.print(
            f"{len(problem.trusts)} trusts, {len(seekers)} seekers, "
            f"{len(problem.needs)} needs, {len(buddies)} buddies with "
            f"capacity {sum(t.capacity for t in buddies)} units in all"
        )
        table = Table(title="Needs by area")
        table.add_column("area")
        table.add_column("needs", justify="right")
        table.add_column("candidate buddies (min)", justify="right")
        per_area = Counter(n.area for n in problem.needs)
        for area in sorted(per_area):
            counts = [
                int((cands.need == i).sum())
                for i, n in enumerate(problem.needs)
                if n.area == area
            ]
            table.add_row(area, str(per_area[area]), str(min(counts)))
        out.print(table)
        reasons = Counter(cands.reason.ravel().tolist())
        table = Table(title="Need-buddy pairs excluded, by first rule")
        table.add_column("rule")
        table.add_column("pairs", justify="right")
        for k, name in enumerate(REASONS, start=1):
            if reasons.get(k) and name != "self":
                table.add_row(name, str(reasons[k]))
        table.add_row("[bold]candidates[/bold]", str(cands.n_candidates))
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


def main() -> None:
    """Run the command line (the ``buddymatch`` console script)."""
    try:
        app()
    except SystemExit as exc:
        sys.exit(exc.code)


if __name__ == "__main__":  # pragma: no cover
    main()
