"""The command ``rematch``: re-match around the arrangements in place."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from buddymatch.cli.app import (
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
    _emit,
    _esc,
    _exit_code,
    _guard,
    _Inputs,
    _outputs,
    _prepare,
    _solve_params,
    _target,
    _terms_template,
    _unmet_table,
)
from buddymatch.cli.progress import (
    _solve_ended,
    _SolveProgress,
    _Stopping,
)
from buddymatch.wording import short_trust_name

# The library (pydantic models, numpy, the solver, networkx) is imported
# inside the commands that use it, so ``buddymatch --help`` starts at once.
if TYPE_CHECKING:
    pass

ArrangementsOpt = Annotated[
    Path,
    typer.Option(
        "--arrangements",
        help="arrangements.csv: seeker,area,buddy,status[,start]",
    ),
]


def _named(trust_id: object, name: object) -> str:
    """Id and name without the common NHS suffix (like _short)."""
    tid, text = str(trust_id), short_trust_name(str(name))
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
