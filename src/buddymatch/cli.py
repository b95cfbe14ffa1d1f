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
import os
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
    from buddymatch.render import Output, OutputKind
    from buddymatch.render.terms import TermsTemplate
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
TemplateOpt = Annotated[
    Path | None,
    typer.Option(
        "--template",
        help="Jinja2 template for the terms of reference (docs/terms.md).",
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
    result: Path | None = None

    def files(self) -> list[Path | None]:
        """Every input file given (``None`` for an option left out)."""
        return [
            self.result,
            self.trusts,
            self.arrangements,
            self.relations,
            self.pairs,
            self.policy,
            self.travel_matrix,
        ]


@dataclass(frozen=True)
class _Loaded:
    """What :func:`_prepare` read: the problem, policy, travel model,
    arrangements (for ``rematch``) and a saved result (for ``explain``)."""

    problem: Problem
    policy: Policy
    travel: TravelModel | None
    arrangements: Sequence[Arrangement] = ()
    result: Result | None = None


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

    problem, policy, arrangements, result = _load(inputs)
    for path, kind in outputs:
        if path is not None and str(path) != STDIO:
            if kind is not None:
                output_format(path, kind)
            _refuse_overwrite(path, inputs.files())
    _check_outputs(
        files=[path for path, _ in outputs if str(path) != STDIO],
        folders=folders,
    )
    travel = None
    if inputs.travel_matrix is not None:
        # Name the matrix's file in errors about missing pairs.
        travel = travel_model(
            problem, policy, source=str(inputs.travel_matrix)
        )
    return _Loaded(problem, policy, travel, arrangements, result)


def _load(
    inputs: _Inputs,
) -> tuple[Problem, Policy, Sequence[Arrangement], Result | None]:
    """Read every input; report all problems of all files together.

    With a saved result and no policy file, the policy is the one the
    result records (it was made with it); with both, they must agree.
    """
    from buddymatch.io import read_arrangements, read_policy, read_problem
    from buddymatch.io.result_json import read_result_json
    from buddymatch.model import Policy

    problems: list[InputProblem] = _one_stdin(inputs)
    if problems:  # reading would take one file's text for both
        raise InputError(problems)
    result: Result | None = None
    if inputs.result is not None:
        try:
            result = read_result_json(
                inputs.result,
                fix="give the JSON file that buddymatch propose --out wrote",
            )
        except InputError as exc:
            problems.extend(exc.problems)
    policy = Policy()
    if result is not None and "policy" in result.model_fields_set:
        policy = result.policy
    if inputs.policy is not None:
        try:
            policy = read_policy(inputs.policy)
        except InputError as exc:
            problems.extend(exc.problems)
        else:
            problems.extend(_policy_mismatch(inputs, policy, result))
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
    return problem, policy, arrangements, result


def _one_stdin(inputs: _Inputs) -> list[InputProblem]:
    """Refuse standard input (``-``) for more than one input file."""
    given = [path for path in inputs.files() if str(path) == STDIO]
    if len(given) < 2:
        return []
    return [
        InputProblem(
            "command line",
            None,
            None,
            f"{len(given)} inputs are to be read from standard input (-), "
            "which can be read only once",
            "give - for one input file at most, and paths for the others",
        )
    ]


def _policy_mismatch(
    inputs: _Inputs, policy: Policy, result: Result | None
) -> list[InputProblem]:
    """Return a problem for each setting in which the policy file differs
    from the policy the saved result records."""
    if result is None or "policy" not in result.model_fields_set:
        return []
    given, recorded = policy.model_dump(), result.policy.model_dump()
    file = str(inputs.policy)
    return [
        InputProblem(
            file,
            None,
            key,
            f"{key} is {given[key]!r} here but {recorded.get(key)!r} in "
            f"the policy {inputs.result} records",
            "leave out --policy (the result records its policy), or give "
            "the policy file the proposal was made with",
        )
        for key in given
        if given[key] != recorded.get(key)
    ]


def _terms_template(
    file: Path | None, terms_dir: Path | None
) -> TermsTemplate | None:
    """Load ``--template`` before any solving (``None``: the built-in)."""
    if file is None:
        return None
    if terms_dir is None:
        raise InputError(
            [
                InputProblem(
                    str(file),
                    None,
                    None,
                    "--template shapes the terms of reference, but no "
                    "--terms folder was given",
                    "add --terms DIR, or leave --template out",
                )
            ]
        )
    from buddymatch.render.terms import load_terms_template

    return load_terms_template(file)


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
    if str(target) == STDIO:
        return
    resolved = target.resolve()
    for path in inputs:
        if path is None or str(path) == STDIO:
            continue
        if path.resolve() == resolved:
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


#: The path of standard input or output, as in most command-line tools.
STDIO = "-"


@dataclass(frozen=True)
class _Target:
    """Where a command's ``--out`` goes: a file, or standard output
    (``path`` None), in the format ``suffix`` (``.json``)."""

    path: Path | None
    suffix: str


def _target(
    out_file: Path | None,
    fmt: str | None,
    kind: OutputKind,
    default: str,
) -> _Target | None:
    """Return where ``--out``/``--format`` send a command's output.

    ``--out -``, or ``--format`` without ``--out``, is standard output in
    the ``--format`` given, else *default*; a file's extension names its
    format, and a ``--format`` given too must name the same.
    """
    from buddymatch.render import named_format, output_format

    if out_file is None and fmt is None:
        return None
    named = None if fmt is None else named_format(fmt, kind)
    if out_file is None or str(out_file) == STDIO:
        return _Target(None, named or default)
    suffix = output_format(out_file, kind)
    if named is not None and named != suffix:
        raise InputError(
            [
                InputProblem(
                    "command line",
                    None,
                    "--format",
                    f"--format {fmt} differs from the extension of {out_file}",
                    "leave out --format (a file's extension names its "
                    f"format), or name the file {named}",
                )
            ]
        )
    return _Target(out_file, suffix)


def _emit(obj: Output, target: _Target, **options: Any) -> None:
    """Write *obj* where *target* says: a file (atomically), or standard
    output, byte for byte as the file would hold it."""
    from buddymatch.render import render_output, write_output

    if target.path is not None:
        write_output(obj, target.path, **options)
        return
    if target.suffix == ".png" and sys.stdout.isatty():
        raise InputError(
            [
                InputProblem(
                    "command line",
                    None,
                    "--out",
                    "a PNG image would be written to the terminal",
                    "redirect it to a file (> map.png), or give --out map.png",
                )
            ]
        )
    data = render_output(obj, target.suffix, **options)
    # As bytes, in UTF-8: no newline translation, no encoding of the
    # locale, so the stream holds what the file would.
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(
            data if isinstance(data, bytes) else data.encode("utf-8")
        )
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        # The reader stopped early (`| head`): nothing more can reach
        # it, and Python's own flush at exit must not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise OutputError(
            "<stdout>", "the program reading the output stopped early"
        ) from None


def _outputs(
    target: _Target | None,
) -> list[tuple[Path | None, OutputKind | None]]:
    """The file of *target* for :func:`_prepare` to check (its format is
    checked already)."""
    return [(None if target is None else target.path, None)]


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
        self._aborted_solving = False
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
                self._solving = False

    def _on_signal(self, number: int) -> None:
        """On the watching thread: stop the search, or abort."""
        with self._lock:
            if self._abort.is_set():
                return  # the abort's own simulated SIGINT, or later ones
            self._heard += 1
            first = self._heard == 1 and self._solving
            if not first:
                self._abort.set()
                self._aborted_solving = self._solving
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
            raise KeyboardInterrupt(
                "aborted: nothing written" if self._aborted_solving else ""
            )


class _SolveProgress:
    """The search's progress: a live bar on a terminal, one line in logs.

    On a terminal (stderr), a bar against the time limit with the phase,
    the cover per priority and quality of the best proposal so far, its
    bound and gap, and the time left, refreshed four times a second and
    gone when the search ends.  Elsewhere nothing is drawn while solving:
    :meth:`final` writes one summary line.  Its ``events`` are the
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

    def phase(self, name: str) -> None:
        """Show *name* as the phase (work the engine does not report)."""
        with self._lock:
            self._phase = name

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
        typer.Option(
            "--out",
            "-o",
            help="Write the diff: .csv, .json or .md; - for standard output.",
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
        from buddymatch.terms import write_terms

        template = _terms_template(template_file, terms_dir)
        target = _target(out_file, fmt, "rematch", ".json")
        loaded = _prepare(
            _Inputs(
                trusts,
                relations,
                pairs,
                policy_file,
                travel_matrix,
                arrangements=arrangements,
            ),
            outputs=[*_outputs(target), (save_arrangements, None)],
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
        if target is not None:
            _emit(rematched, target)
            if target.path is not None:
                written.append(str(target.path))
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
                template=template,
            )
            written.append(
                f"{len(files)} terms of reference file"
                f"{'' if len(files) == 1 else 's'} in {terms_dir}"
            )
        # With the diff on standard output, the words go to stderr.
        say = err if target is not None and target.path is None else out
        if not quiet:
            rows = change_rows(rematched)
            if any(row["change"] != "unmet" for row in rows):
                say.print(_diff_table(rows))
            if rematched.unmet:
                say.print(_unmet_table(rematched.result, rematched.unmet))
            say.print(_esc(rematched.summary()))
            for note in rematched.notes:
                say.print(f"note: {_esc(note)}")
            for what in written:
                say.print(f"written: {_esc(what)}")
        # Exit codes as for propose; unmet counts the original needs.
        return _exit_code(rematched)

    raise typer.Exit(_guard(debug, run, stopping))


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


def _print_summary(problem: Problem, policy: Policy, result: Result) -> None:
    """Print the proposal in brief, and how to ask about one part."""
    from rich.markdown import Markdown

    from buddymatch.explain import explain_summary
    from buddymatch.render.explanation import render_summary_markdown

    summary = explain_summary(problem, policy, result)
    out.print(Markdown(render_summary_markdown(summary)))
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
        from rich.markdown import Markdown

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
            out.print(Markdown(text))
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
        typer.Option(
            "--out", "-o", help="Write the schema to this file (- : stdout)."
        ),
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
        if out_file is None or str(out_file) == STDIO:
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
