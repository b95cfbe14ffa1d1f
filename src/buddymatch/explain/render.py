"""Explanations as Markdown or HTML: moved to
`buddymatch.render.explanation`.

Kept so that ``from buddymatch.explain.render import ...`` goes on working.
"""

from buddymatch.render.explanation import (
    render_explanations_html,
    render_explanations_markdown,
    render_pair_html,
    render_pair_markdown,
)

__all__ = [
    "render_explanations_html",
    "render_explanations_markdown",
    "render_pair_html",
    "render_pair_markdown",
]
