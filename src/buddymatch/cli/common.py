"""What every command shares: errors to exit codes, loading the inputs,
solve parameters, where outputs go, and the result tables printed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from buddymatch.cli.app import (
    _T,
    EXIT_CANNOT_WRITE,
    EXIT_CODES,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_UNAVAILABLE,
    err,
    out,
)
from buddymatch.errors import (
    BuddymatchError,
    InputError,
    InputProblem,
    OutputError,
)
from buddymatch.wording import short_trust_name

# The library (pydantic models, numpy, the solver, networkx) is imported
# inside the commands that use it, so ``buddymatch --help`` starts at once.
if TYPE_CHECKING:
    from buddymatch.arrangement import Arrangement
    from buddymatch.cli.progress import _Stopping
    from buddymatch.model import Policy, Problem
    from buddymatch.params import (
        EventCallback,
        ProgressCallback,
        SolveParams,
    )
    from buddymatch.rematch import RematchResult
    from buddymatch.render import Output, OutputKind
    from buddymatch.render.terms import TermsTemplate
    from buddymatch.result import Result, UnmetNeed
    from buddymatch.travel import TravelModel


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
    `EXIT_CODES`."""
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
    """What `_prepare` read: the problem, policy, travel model,
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
    """The file of *target* for `_prepare` to check (its format is
    checked already)."""
    return [(None if target is None else target.path, None)]


def _short(result: Result, trust_id: str) -> str:
    """Id and name without the common NHS suffix, for narrow terminals."""
    name = short_trust_name(result.trust_name(trust_id))
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
