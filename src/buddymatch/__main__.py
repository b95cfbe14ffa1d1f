"""``python -m buddymatch``: the command line."""

from buddymatch.cli import main

main()
