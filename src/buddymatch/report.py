"""The Markdown report: moved to
[`buddymatch.render.report`][buddymatch.render.report].

Kept so that ``from buddymatch.report import render_markdown`` (and the
``md_escape`` this module used to import) go on working.
"""

from buddymatch.escape import md_escape
from buddymatch.render.report import render_markdown

__all__ = ["md_escape", "render_markdown"]
