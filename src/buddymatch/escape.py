"""Escaping user text: moved to :mod:`buddymatch.render.escape`.

Kept so that ``from buddymatch.escape import md_escape`` goes on working.
"""

from buddymatch.render.escape import md_escape

__all__ = ["md_escape"]
