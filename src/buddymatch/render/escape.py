"""Escaping user text for the formats buddymatch writes.

Trust names, notes and reasons come from spreadsheets that people edit by
hand; whatever they hold must show as text, never run as markup.
"""

from __future__ import annotations

import html
import re

# Characters that start emphasis, code, links or table cells anywhere in a
# line; `<`, `>` and `&` are HTML-escaped.  Every line we write starts with
# our own text, so line-start markers (#, -, +) need no escaping.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_escape(text: str) -> str:
    """Return *text* safe to place in Markdown prose or a table cell."""
    flat = " ".join(str(text).split())  # no line breaks inside a cell
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))
