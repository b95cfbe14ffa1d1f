"""The ``buddymatch`` command: a thin layer over the library.

Exit codes (all commands), from the one table `EXIT_CODES` of how a
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

import sys

# Importing the command modules registers their commands on the app.
from buddymatch.cli import (  # noqa: F401
    explain,
    propose,
    rematch,
    schema,
)
from buddymatch.cli.app import (
    EXIT_CANNOT_WRITE,
    EXIT_CODES,
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NO_SOLUTION,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    EXIT_UNMET,
    app,
)
from buddymatch.cli.app import err as err
from buddymatch.cli.app import out as out

__all__ = [
    "EXIT_CANNOT_WRITE",
    "EXIT_CODES",
    "EXIT_INFEASIBLE",
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_NO_SOLUTION",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "EXIT_UNMET",
    "app",
    "main",
]


def main() -> None:
    """Run the command line (the ``buddymatch`` console script)."""
    try:
        app()
    except SystemExit as exc:
        sys.exit(exc.code)


if __name__ == "__main__":  # pragma: no cover
    main()
