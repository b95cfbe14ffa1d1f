"""The command's frame: the Typer app, its consoles, exit codes and options.

Every command module registers on `app`; the options shared by
several commands are declared once here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from buddymatch.errors import (
    InputError,
    MissingDependencyError,
    OutputError,
)

# The library (pydantic models, numpy, the solver, networkx) is imported
# inside the commands that use it, so ``buddymatch --help`` starts at once.
if TYPE_CHECKING:
    pass

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
    natural width (at least `LOG_WIDTH`): one record stays on one
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
