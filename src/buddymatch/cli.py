"""The ``buddymatch`` command: a thin layer over the library.

Exit codes (all commands), from the one table :data:`EXIT_CODES` of how a
command ends; docs/cli.md lists the same codes:

- 0: success, every need met;
- 1: some needs unmet;
- 2: input or usage error;
- 3: no solution within the time limit;
- 4: infeasible (pins or forced rules);
- 69: an optional package a feature needs is missing (sysexits'
  EX_UNAVAILABLE);
- 70: internal error (no traceback unless ``--debug``);
- 73: an output file or folder cannot be written (sysexits'
  EX_CANTCREAT);
- 130: interrupted (Ctrl-C).
"""

from __future__ import annotations

import _thread
import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console, RenderableType
from rich.live import Live
from rich.measure import Measurement
from rich.table import Table

from buddymatch.errors import (
    BuddymatchError,
    InputError,
    InputProblem,
    MissingDependencyError,
    OutputError,
)

# The library (pydantic models, numpy, the solver, networkx) is imported
# inside the commands that use it, so ``buddymatch --help`` starts at once.
if TYPE_CHECKING:
    from buddymatch.arrangement import Arrangement
    from buddymatch.model import Policy, Problem
    from buddymatch.params import (
        EventCallback,
        ProgressCallback,
        ProgressEvent,
        SolveParams,
    )
    from buddymatch.rematch import RematchResult
    from buddymatch.render import OutputKind
    from buddymatch.result import Result, UnmetNeed
    from buddymatch.solvers.interrupt import SignalWatch
    from buddymatch.travel import TravelModel

EXIT_OK = 0
EXIT_UNMET = 1
EXIT_INPUT = 2
EXIT_NO_SOLUTION = 3
EXIT_INFEASIBLE = 4
EXIT_UNAVAILABLE = 69
EXIT_INTERNAL = 70
EXIT_CANNOT_WRITE = 73
EXIT_INTERRUPTED = 130

#: How a command ends -> its exit code, the one table: an error by its
#: class (the nearest class listed, so any other error is internal), a
#: result by its status, else by whether every need is met ("met",
#: "unmet").
EXIT_CODES: dict[str | type[BaseException], int] = {
    "met": EXIT_OK,
    "unmet": EXIT_UNMET,
    InputError: EXIT_INPUT,
    "no_solution": EXIT_NO_SOLUTION,
    "infeasible": EXIT_INFEASIBLE,
    MissingDependencyError: EXIT_UNAVAILABLE,
    Exception: EXIT_INTERNAL,
    OutputError: EXIT_CANNOT_WRITE,
    KeyboardInterrupt: EXIT_INTERRUPTED,
}

app = typer.Typer(
    name="buddymatch",
    help="Propose buddying arrangements between NHS trusts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Least width of output that is not a terminal (a log, a pipe), unless
#: the environment's COLUMNS sets one: rich's 80 columns broke a record
#: over lines and squeezed a table's columns to a word each.
LOG_WIDTH = 200
# Wider than any table is printed, to measure a table's natural width.
_UNBOUNDED = 100_000


class _Console(Console):
    """A rich console that does not wrap a log at 80 columns.

    On a terminal it uses the terminal's width.  Elsewhere, unless
    COLUMNS is set, a line of text is never wrapped and a table gets its
    natural width (at least :data:`LOG_WIDTH`): one record stays on one
    line and every column keeps its words.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # rich reads COLUMNS when it is made: a width the user chose.
        self._chosen_width = self._width is not None

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Print as rich does, as wide as a log needs (see the class)."""
        if self.is_terminal or self._chosen_width or "width" in kwargs:
            super().print(*objects, **kwargs)
            return
        if all(isinstance(o, str) for o in objects):
            kwargs.setdefault("soft_wrap", True)
        wide = self.options.update_width(_UNBOUNDED)
        self.width = max(
            [LOG_WIDTH]
            + [
                Measurement.get(self, wide, o).maximum
                for o in objects
                if isinstance(o, Table)
            ]
        )
        try:
            super().print(*objects, **kwargs)
        finally:
            self._width = None


out = _Console(highlight=False)
err = _Console(stderr=True, highlight=False)

#: What the first Ctrl-C (or SIGTERM) of a search says on stderr.
STOP_NOTICE = (
    "stopping: finishing with the best proposal so far; press Ctrl-C "
    "again to abort"
)
#: The same for ``explain``, whose explanation then follows.
EXPLAIN_STOP_NOTICE = (
    "stopping: explaining the best proposal so far; press Ctrl-C again "
    "to abort"
)


def _show_version(value: bool) -> None:
    """Print the version and stop (``--version``)."""
    if value:
        from buddymatch import __version__

        out.print(f"buddymatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and exit.",
            callback=_show_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Propose buddying arrangements between NHS trusts."""


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
TimeLimitOpt = Annotated[
    float, typer.Option("--time-limit", min=0.01, help="Seconds.")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Search seed.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help=(
            "Solver threads. Default by model size: 1 up to 20,000 "
            "candidate pairs (proves small models fastest), 2 above; 1 "
            "with --deterministic. More than the machine's cores rarely "
            "helps."
        ),
    ),
]
DeterministicOpt = Annotated[
    bool,
    typer.Option("--deterministic", help="Same input, same output (slower)."),
]
TermsOpt = Annotated[
    Path | None,
    typer.Option(
        "--terms", help="Write terms of reference, one file per partnership."
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")
]
DebugOpt = Annotated[
    bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
]


def _guard(
    debug: bool,
    action: Callable[[], _T],
    stopping: _Stopping | None = None,
) -> _T:
    """Run *action*, turning errors into messages and exit codes (with
    *stopping*'s signal handlers, for a command that solves)."""
    try:
        with stopping or contextlib.nullcontext():
            return action()
    except typer.Exit:
        raise
    except (Exception, KeyboardInterrupt) as exc:
        code = _error_code(exc)
        # With --debug, a traceback for everything but the user's own
        # input errors and an interrupt.
        if debug and code not in (EXIT_INPUT, EXIT_INTERRUPTED):
            raise
        _print_error(exc, code)
        raise typer.Exit(code) from None


def _error_code(exc: BaseException) -> int:
    """Return the exit code of *exc*: that of its nearest class in
    :data:`EXIT_CODES`."""
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return EXIT_INTERNAL


def _exit_code(outcome: Result | RematchResult) -> int:
    """Return the exit code of a proposal or a re-match."""
    met = "unmet" if outcome.unmet else "met"
    return EXIT_CODES.get(outcome.status, EXIT_CODES[met])


def _print_error(exc: BaseException, code: int) -> None:
    """Say what went wrong, for the user (exit 2, 69, 73, 130) or as a
    bug to report."""
    if isinstance(exc, InputError):
        _print_input_error(exc)
    elif code in (EXIT_CANNOT_WRITE, EXIT_UNAVAILABLE):
        # The user's path and the system's reason, or the install that
        # fixes it: not a bug to report.
        err.print(f"[bold red]{_esc(str(exc))}[/bold red]")
    elif code == EXIT_INTERRUPTED:
        # A stop with nothing to write, or an abort, says which.
        words = f": {_esc(str(exc))}" if str(exc) else ""
        err.print(f"[red]interrupted[/red]{words}")
    else:  # the last line of defence: no traceback
        kind = "error" if isinstance(exc, BuddymatchError) else "bug"
        err.print(
            f"[red]internal {kind}:[/red] {type(exc).__name__}: {exc}\n"
            "Run again with --debug for the traceback, and please report "
            "it.",
            markup=True,
        )


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


@dataclass(frozen=True)
class _Inputs:
    """The input files of a command that reads a problem."""

    trusts: Path
    relations: Path | None
    pairs: Path | None
    policy: Path | None
    travel_matrix: Path | None
    arrangements: Path | None = None

    def files(self) -> list[Path | None]:
        """Every input file given (``None`` for an option left out)."""
        return [
            self.trusts,
            self.arrangements,
            self.relations,
            self.pairs,
            self.policy,
            self.travel_matrix,
        ]


@dataclass(frozen=True)
class _Loaded:
    """What :func:`_prepare` read: the problem, policy, travel model and
    arrangements (for ``rematch``)."""

    problem: Problem
    policy: Policy
    travel: TravelModel | None
    arrangements: Sequence[Arrangement] = ()


def _prepare(
    inputs: _Inputs,
    outputs: Sequence[tuple[Path | None, OutputKind | None]] = (),
    folders: Sequence[Path | None] = (),
) -> _Loaded:
    """Read every input and check every output, before any long work.

    *outputs* are ``(file, kind)``: each file given must have an
    extension of its kind's formats (``None``: any), must not be an
    input, and must be writable, as must *folders*.
    """
    from buddymatch.render import output_format
    from buddymatch.travel import travel_model

    problem, policy, arrangements = _load(inputs)
    for path, kind in outputs:
        if path is not None:
            if kind is not None:
                output_format(path, kind)
            _refuse_overwrite(path, inputs.files())
    _check_outputs(files=[path for path, _ in outputs], folders=folders)
    travel = None
    if inputs.travel_matrix is not None:
        # Name the matrix's file in errors about missing pairs.
        travel = travel_model(
            problem, policy, source=str(inputs.travel_matrix)
        )
    return _Loaded(problem, policy, travel, arrangements)


def _load(
    inputs: _Inputs,
) -> tuple[Problem, Policy, Sequence[Arrangement]]:
    """Read every input; report all problems of all files together."""
    from buddymatch.io import read_arrangements, read_policy, read_problem
    from buddymatch.model import Policy

    problems: list[InputProblem] = []
    policy = Policy()
    if inputs.policy is not None:
        try:
            policy = read_policy(inputs.policy)
        except InputError as exc:
            problems.extend(exc.problems)
    problem: Problem | None = None
    try:
        problem = read_problem(
            inputs.trusts,
            relations=inputs.relations,
            pairs=inputs.pairs,
            travel_matrix=inputs.travel_matrix,
            policy=policy,
        )
    except InputError as exc:
        problems.extend(exc.problems)
    arrangements: Sequence[Arrangement] = ()
    if inputs.arrangements is not None:
        try:
            # Checked against the problem when the policy and the problem
            # could be read; every problem of every file is reported
            # together.
            arrangements = read_arrangements(
                inputs.arrangements, problem=None if problems else problem
            )
        except InputError as exc:
            problems.extend(exc.problems)
    if problems or problem is None:
        raise InputError(problems)
    return problem, policy, arrangements


def _solve_params(
    time_limit: float,
    *,
    seed: int = 0,
    workers: int | None = None,
    deterministic: bool = False,
    progress: ProgressCallback | None = None,
    log_search: bool = False,
    events: EventCallback | None = None,
    stop: threading.Event | None = None,
) -> SolveParams:
    """Return the search options of a command as one SolveParams."""
    from buddymatch.params import SolveParams

    return SolveParams(
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        deterministic=deterministic,
        progress=progress,
        log_search=log_search,
        events=events,
        stop=stop,
    )


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


def _check_outputs(
    files: Sequence[Path | None], folders: Sequence[Path | None] = ()
) -> None:
    """Refuse, before any long work, outputs that plainly cannot be
    written: a missing or read-only folder, a file where a folder should
    be."""
    from buddymatch.io import check_output_file, check_output_folder

    for path in files:
        if path is not None:
            check_output_file(path)
    for path in folders:
        if path is not None:
            check_output_folder(path)


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
        out.print(_unmet_table(result, result.unmet))
    out.print(_esc(result.summary()))


def _unmet_table(result: Result, unmet: Sequence[UnmetNeed]) -> Table:
    """The unmet needs, with the reason each is not met."""
    table = Table(title="Unmet needs")
    for col in ("seeker", "area", "priority", "reason"):
        table.add_column(col)
    for u in unmet:
        table.add_row(
            _short(result, u.seeker), u.area, str(u.priority), _esc(u.detail)
        )
    return table


class _Stopping:
    """Ctrl-C and SIGTERM in a command that solves.

    While the search runs (:meth:`search`), the first signal stops it
    (the engine returns its best proposal so far at once) and says so on
    stderr; the second aborts: KeyboardInterrupt, nothing written, exit
    130.  Before and after the search, any signal aborts.  The signals
    are heard on a thread of their own
    (:class:`~buddymatch.solvers.interrupt.SignalWatch`) because the main
    thread may be inside CP-SAT, where a Python handler would wait for
    the stage to end; the handlers in place before are restored on exit.
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self._notice = STOP_NOTICE
        self._abort = threading.Event()
        self._lock = threading.Lock()
        self._heard = 0
        self._solving = False
        self._searched = False
        self._aborted = ""  # what an abort says (KeyboardInterrupt)
        self._watch: SignalWatch | None = None

    def __enter__(self) -> _Stopping:
        from buddymatch.solvers.interrupt import STOP_SIGNALS, SignalWatch

        self._watch = SignalWatch(
            self._on_signal, STOP_SIGNALS, self._handler, take_over=True
        )
        self._watch.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._watch is not None:
            self._watch.__exit__()

    @property
    def stopped(self) -> bool:
        """Whether a signal stopped the search."""
        return self.stop.is_set()

    @contextlib.contextmanager
    def search(self, notice: str = STOP_NOTICE) -> Iterator[None]:
        """Within: the first signal stops the search, saying *notice*."""
        with self._lock:
            self._solving, self._notice = True, notice
        try:
            yield
        finally:
            with self._lock:
                self._solving, self._searched = False, True

    def _on_signal(self, number: int) -> None:
        """On the watching thread: stop the search, or abort."""
        with self._lock:
            if self._abort.is_set():
                return  # the abort's own simulated SIGINT, or later ones
            self._heard += 1
            first = self._heard == 1 and self._solving
            if not first:
                self._abort.set()
                if self._solving:
                    self._aborted = "aborted: nothing written"
                elif self._searched:
                    # Outputs are atomic: each is whole or not there.
                    self._aborted = (
                        "aborted after the search: each output is either "
                        "complete or not written"
                    )
        self.stop.set()
        if first:
            err.print(f"[yellow]{self._notice}[/yellow]")
            return
        # The main thread raises KeyboardInterrupt (in _handler) as soon
        # as it runs Python again, which the stopped search lets it do.
        _thread.interrupt_main(signal.SIGINT)

    def _handler(self, number: int, frame: FrameType | None) -> None:
        """On the main thread: raise once the watching thread aborts."""
        if self._abort.is_set():
            raise KeyboardInterrupt(self._aborted)


class _SolveProgress:
    """The search's progress: a live bar on a terminal, one line in logs.

    On a terminal (stderr), a bar against the time limit with the phase,
    the cover per priority and quality of the best proposal so far, its
    bound and gap, and the time left, refreshed four times a second and
    gone when the search ends.  Elsewhere nothing is drawn while solving
    (:func:`_solve_ended` then writes one line).  Its ``events`` are the
    engine's event callback (``SolveParams.events``).
    """

    def __init__(
        self, live: bool, time_limit: float, deterministic: bool
    ) -> None:
        self.live = live
        self._limit = time_limit
        self._deterministic = deterministic
        self._start = time.perf_counter()
        self._lock = threading.Lock()
        self._event: ProgressEvent | None = None
        self._phase = "starting"
        self._live: Live | None = None

    @property
    def events(self) -> Callable[[ProgressEvent], None] | None:
        """The callback to give the engine (``None`` when not drawn)."""
        return self._on_event if self.live else None

    def __enter__(self) -> _SolveProgress:
        if self.live:
            self._live = Live(
                get_renderable=self._render,
                console=err,
                refresh_per_second=4,
                transient=True,
            )
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def _on_event(self, event: ProgressEvent) -> None:
        with self._lock:
            self._event = event
            self._phase = event.phase

    def _render(self) -> RenderableType:
        from rich.console import Group
        from rich.progress_bar import ProgressBar

        with self._lock:
            event, phase = self._event, self._phase
        elapsed = time.perf_counter() - self._start
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_column(no_wrap=True)
        if self._deterministic:
            # Deterministic time, not seconds: the bar only pulses.
            bar = ProgressBar(total=None, pulse=True)
            clock = f"{elapsed:.1f} s (deterministic limit {self._limit:g})"
        else:
            bar = ProgressBar(total=self._limit, completed=elapsed)
            left = max(0.0, self._limit - elapsed)
            clock = f"{elapsed:.1f} of {self._limit:g} s, {left:.1f} s left"
        grid.add_row(f"{phase:<24}", bar, clock)
        return Group(grid, _best_words(event))


def _final_line(result: Result, stopped: bool) -> str:
    """How the search ended, and the numbers of its proposal, in the one
    line a log keeps.

    Examples: "solved in 12.3 s: optimal, 45/47 needs met, quality
    1,234.5, gap 0.0%"; "stopped by the user after 4.7 s: the best
    proposal so far, feasible (not proven optimal), 831/1000 needs met,
    quality 54,171.0, no proven bound".
    """
    seconds = f"{result.runtime:.1f} s"
    if stopped:
        how = f"stopped by the user after {seconds}"
    elif result.is_feasible() or result.status == "infeasible":
        how = f"solved in {seconds}"
    else:
        how = f"searched for {seconds}"
    if not result.is_feasible():
        what = (
            "no proposal found"
            if result.status == "no_solution"
            else result.status
        )
        return f"{how}: {what}"
    status: str = result.status
    if status != "optimal":
        status += " (not proven optimal)"
    words = [f"{how}: {status}"]
    if stopped:
        words[0] = f"{how}: the best proposal so far, {status}"
    met = sum(c.covered for c in result.coverage)
    total = sum(c.total for c in result.coverage)
    words.append(f"{met}/{total} needs met")
    if result.objective is not None:
        words.append(f"quality {result.objective:,.1f}")
    if result.gap is not None:
        words.append(f"gap {result.gap:.1%}")
    else:
        words.append("no proven bound")
    return ", ".join(words)


def _best_words(event: ProgressEvent | None) -> str:
    """The best proposal so far, in one line of the progress display."""
    if event is None or not event.cover:
        return "no proposal yet"
    cover = " · ".join(
        f"priority {p}: {event.cover[p]}/{event.needs.get(p, '?')}"
        if p in event.cover
        else f"priority {p}: …"
        for p in (event.needs or event.cover)
    )
    words = [f"met {cover}"]
    if event.quality is not None:
        words.append(f"quality {event.quality:,.1f}")
    if event.bound is not None and event.gap is not None:
        words.append(f"bound {event.bound:,.1f}")
        words.append(f"gap {event.gap:.1%}")
    elif event.quality is not None:
        # Before the quality stage, or on a shortlist: nothing proven.
        words.append("no proven bound")
    return "   ".join(words)


def _solve_ended(
    result: Result,
    stopping: _Stopping,
    quiet: bool,
) -> None:
    """After the search: the one line a log keeps (unless *quiet*).

    Raises
    ------
    KeyboardInterrupt
        If a signal stopped the search before any proposal was found:
        there is nothing to write (exit 130).
    """
    if not quiet:
        err.print(_esc(_final_line(result, stopping.stopped)))
    if stopping.stopped and result.status == "no_solution":
        raise KeyboardInterrupt(
            "stopped before any proposal was found; nothing written"
        )


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
        typer.Option("--out", help="Write the proposal: .csv, .json or .md"),
    ] = None,
    terms_dir: TermsOpt = None,
    quiet: QuietOpt = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show the solver log.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Propose buddies for every need in TRUSTS (a CSV file)."""

    stopping = _Stopping()

    def run() -> int:
        from buddymatch.render import write_output
        from buddymatch.solvers import propose as solve

        loaded = _prepare(
            _Inputs(trusts, relations, pairs, policy_file, travel_matrix),
            outputs=[(out_file, "result")],
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
        if out_file is not None:
            write_output(result, out_file)
            if not quiet:
                out.print(_esc(result.summary()))
                out.print(f"written: {_esc(str(out_file))}")
        elif not quiet:
            _print_result(result)
        if terms_dir is not None and result.is_feasible():
            from buddymatch.terms import write_terms

            files = write_terms(result, terms_dir)
            if not quiet:
                out.print(
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
        out.print(f"[green]OK[/green]: {_esc(str(trusts))}")
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
            help="A result written by propose --out RESULT.json.",
        ),
    ],
    out_file: Annotated[
        Path,
        typer.Option("--out", help="The picture: .svg, .html or .png"),
    ],
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
    optional cairosvg package.
    """

    def run() -> int:
        from buddymatch.mapping import read_result
        from buddymatch.render import Map, output_format, write_output

        output_format(out_file, "map")
        _refuse_overwrite(out_file, [result_file])
        _check_outputs(files=[out_file])
        result = read_result(result_file)
        write_output(Map(result), out_file, width=width, title=title)
        if not quiet:
            out.print(f"written: {_esc(str(out_file))}")
        return EXIT_OK

    raise typer.Exit(_guard(debug, run))


ArrangementsOpt = Annotated[
    Path,
    typer.Option(
        "--arrangements",
        help="arrangements.csv: seeker,area,buddy,status[,start]",
    ),
]


def _named(trust_id: object, name: object) -> str:
    """Id and name without the common NHS suffix (like _short)."""
    tid, text = str(trust_id), str(name)
    for suffix in _SUFFIXES_OF_NAMES:
        text = text.removesuffix(suffix)
    return _esc(tid if text in ("", tid) else f"{tid} {text}")


def _diff_table(rows: list[dict[str, object]]) -> Table:
    """The re-matching diff: kept, new, ended, dropped (rows in order)."""
    table = Table(title="Re-matching")
    table.add_column("change", no_wrap=True)
    table.add_column("seeker", ratio=3)
    table.add_column("area", no_wrap=True)
    table.add_column("tier", no_wrap=True)
    table.add_column("buddy", ratio=3)
    table.add_column("note", ratio=4)
    previous = None
    for row in rows:
        if row["change"] == "unmet":
            continue
        if previous is not None and row["change"] != previous:
            table.add_section()
        previous = row["change"]
        label = str(row["change"])
        if row["kept_as"]:
            label += f" ({row['kept_as']})"
        note = str(row["note"])
        if row["flags"]:
            note = f"FLAGGED {row['flags']}"
        table.add_row(
            label,
            _named(row["seeker"], row["seeker_name"]),
            str(row["area"]),
            str(row["tier"]),
            _named(row["buddy"], row["buddy_name"]),
            _esc(note),
        )
    return table


@app.command()
def rematch(
    trusts: TrustsArg,
    arrangements: ArrangementsOpt,
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
        typer.Option("--out", help="Write the diff: .csv, .json or .md"),
    ] = None,
    terms_dir: TermsOpt = None,
    save_arrangements: Annotated[
        Path | None,
        typer.Option(
            "--save-arrangements",
            help="Write the arrangements in place once this is agreed.",
        ),
    ] = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Re-match TRUSTS around the arrangements in place.

    Ongoing arrangements are kept, ended pairs are never proposed again,
    and the rest is proposed; prints the diff (kept / new / ended /
    dropped / unmet).
    """

    stopping = _Stopping()

    def run() -> int:
        from buddymatch.io import write_arrangements
        from buddymatch.rematch import change_rows
        from buddymatch.rematch import rematch as rematch_arrangements
        from buddymatch.render import write_output
        from buddymatch.terms import write_terms

        loaded = _prepare(
            _Inputs(
                trusts,
                relations,
                pairs,
                policy_file,
                travel_matrix,
                arrangements=arrangements,
            ),
            outputs=[(out_file, "rematch"), (save_arrangements, None)],
            folders=[terms_dir],
        )
        live = not quiet and err.is_terminal
        with (
            stopping.search(),
            _SolveProgress(live, time_limit, deterministic) as progress,
        ):
            rematched = rematch_arrangements(
                loaded.problem,
                loaded.policy,
                loaded.arrangements,
                params=_solve_params(
                    time_limit,
                    seed=seed,
                    workers=workers,
                    deterministic=deterministic,
                    events=progress.events,
                    stop=stopping.stop,
                ),
                travel=loaded.travel,
            )
        _solve_ended(rematched.result, stopping, quiet)
        written: list[str] = []
        if out_file is not None:
            write_output(rematched, out_file)
            written.append(str(out_file))
        if save_arrangements is not None and rematched.is_feasible():
            write_arrangements(rematched.arrangements(), save_arrangements)
            written.append(str(save_arrangements))
        if terms_dir is not None and rematched.is_feasible():
            files = write_terms(
                rematched.result,
                terms_dir,
                area_starts={
                    (c.seeker, c.area, c.buddy): c.start
                    for c in rematched.kept
                    if c.start is not None
                },
            )
            written.append(
                f"{len(files)} terms of reference file"
                f"{'' if len(files) == 1 else 's'} in {terms_dir}"
            )
        if not quiet:
            rows = change_rows(rematched)
            if any(row["change"] != "unmet" for row in rows):
                out.print(_diff_table(rows))
            if rematched.unmet:
                out.print(_unmet_table(rematched.result, rematched.unmet))
            out.print(_esc(rematched.summary()))
            for note in rematched.notes:
                out.print(f"note: {_esc(note)}")
            for what in written:
                out.print(f"written: {_esc(what)}")
        # Exit codes as for propose; unmet counts the original needs.
        return _exit_code(rematched)

    raise typer.Exit(_guard(debug, run, stopping))


def _pair_options(
    seeker: str | None, area: str | None, buddy: str | None
) -> None:
    """Check that the pair options come all three together or not at all."""
    given = [v is not None for v in (seeker, area, buddy)]
    if any(given) and not all(given):
        missing = [
            flag
            for flag, ok in zip(
                ("--seeker", "--area", "--buddy"), given, strict=True
            )
            if not ok
        ]
        raise InputError(
            [
                InputProblem(
                    "command line",
                    None,
                    ", ".join(missing),
                    "explaining one pair needs --seeker, --area and "
                    "--buddy together",
                    f"add {' and '.join(missing)}, or leave all three out "
                    "to explain the whole proposal",
                )
            ]
        )


@app.command()
def explain(
    trusts: TrustsArg,
    relations: RelationsOpt = None,
    pairs: PairsOpt = None,
    policy_file: PolicyOpt = None,
    travel_matrix: MatrixOpt = None,
    seeker: Annotated[
        str | None,
        typer.Option("--seeker", help="Explain one pair: the seeker's id."),
    ] = None,
    area: Annotated[
        str | None,
        typer.Option("--area", help="Explain one pair: the need's area."),
    ] = None,
    buddy: Annotated[
        str | None,
        typer.Option("--buddy", help="Explain one pair: the buddy's id."),
    ] = None,
    top: Annotated[
        int,
        typer.Option("--top", min=0, help="Alternatives per assignment."),
    ] = 3,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit", min=0.01, help="Seconds for the proposal."
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
        typer.Option("--out", help="Write the explanation: .md, .html, .json"),
    ] = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Explain the proposal for TRUSTS: why each buddy, why not another,
    why a need is unmet, why pins cannot hold."""

    stopping = _Stopping()

    def run() -> int:
        from rich.markdown import Markdown

        from buddymatch.explain import (
            explain_pair,
            explain_result,
            render_explanations_markdown,
            render_pair_markdown,
        )
        from buddymatch.render import write_output
        from buddymatch.solvers import propose as solve

        _pair_options(seeker, area, buddy)
        loaded = _prepare(
            _Inputs(trusts, relations, pairs, policy_file, travel_matrix),
            outputs=[(out_file, "explanation")],
        )
        problem, policy, travel = loaded.problem, loaded.policy, loaded.travel
        # Deterministic, so that the proposal explained is the one a
        # `propose --deterministic` run shows.  Ctrl-C stops this search
        # only: a re-solve cut short would read as one out of time.
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
        if seeker is not None and area is not None and buddy is not None:
            names = {t.id: t.name or t.id for t in problem.trusts}
            pair = explain_pair(
                problem,
                policy,
                result,
                seeker,
                area,
                buddy,
                k=top,
                params=resolve,
                travel=travel,
            )
            if out_file is not None:
                write_output(pair, out_file, names=names)
            elif not quiet:
                out.print(Markdown(render_pair_markdown(pair, names)))
        else:
            whole = explain_result(
                problem,
                policy,
                result,
                top,
                relax=relax,
                params=resolve,
                travel=travel,
            )
            if out_file is not None:
                write_output(whole, out_file)
            elif not quiet:
                out.print(Markdown(render_explanations_markdown(whole)))
        if out_file is not None and not quiet:
            out.print(_esc(result.summary()))
            out.print(f"written: {_esc(str(out_file))}")
        return _exit_code(result)

    raise typer.Exit(_guard(debug, run, stopping))


@app.command("schema")
def schema_command(
    kind: Annotated[
        str,
        typer.Argument(
            metavar="KIND", help="What to describe: problem, policy or result."
        ),
    ],
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="Write the schema to this file."),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Print the JSON Schema of a problem, policy or result.

    A service can check requests against it before calling propose; the
    problem and policy schemas describe the JSON that buddymatch reads, the
    result schema what propose --out RESULT.json writes.
    """

    def run() -> int:
        import json
        from typing import cast

        from buddymatch.io import write_text_atomic
        from buddymatch.schema import SCHEMA_KINDS, SchemaKind, json_schema

        if kind not in SCHEMA_KINDS:
            raise InputError(
                [
                    InputProblem(
                        "KIND",
                        None,
                        None,
                        f"unknown schema {kind!r}",
                        f"choose one of {', '.join(SCHEMA_KINDS)}",
                    )
                ]
            )
        schema = json_schema(cast(SchemaKind, kind))
        text = json.dumps(schema, indent=2) + "\n"
        if out_file is None:
            # Plain output, not rich's: the JSON must pass through intact.
            typer.echo(text, nl=False)
        else:
            write_text_atomic(out_file, text)
            out.print(f"written: {_esc(str(out_file))}")
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
