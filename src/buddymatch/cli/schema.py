"""The command ``schema``: the JSON Schemas of the formats."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from buddymatch.cli.app import (
    EXIT_OK,
    DebugOpt,
    app,
    out,
)
from buddymatch.cli.common import (
    STDIO,
    _esc,
    _guard,
)
from buddymatch.errors import (
    InputError,
    InputProblem,
)

# The library (pydantic models, numpy, the solver, networkx) is imported
# inside the commands that use it, so ``buddymatch --help`` starts at once.
if TYPE_CHECKING:
    pass


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
