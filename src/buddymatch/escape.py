"""Escaping user text for every format buddymatch writes.

Trust names, notes and reasons come from spreadsheets that people edit by
hand; whatever they hold must show as text, never run as markup or as a
formula.  Every writer escapes through this module, so each format has one
rule:

- [`md_escape`][buddymatch.escape.md_escape]: Markdown prose and table cells
  (reports, terms of
  reference, explanations, re-matching diffs);
- [`html_escape`][buddymatch.escape.html_escape]: HTML pages and fragments
  (explanations, notebook
  summaries);
- [`xml_escape`][buddymatch.escape.xml_escape]: SVG and the HTML page that
  embeds it (maps), which
  must also stay well-formed XML;

CSV cells that a spreadsheet could run as a formula are a CSV concern, not
markup: [`buddymatch.io.spreadsheet_safe`][buddymatch.io.spreadsheet_safe] is
defined beside the CSV
readers that undo its reversible form.

This module is a floor: it imports only the standard library, so the
notebook tables below the models and the renderers above them share it.
"""

from __future__ import annotations

import html
import re

__all__ = ["html_escape", "md_escape", "xml_escape"]

# Characters that start emphasis, code, links or table cells anywhere in a
# line; `<`, `>` and `&` are HTML-escaped.  Every line we write starts with
# our own text, so line-start markers (#, -, +) need no escaping.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")

# Characters XML 1.0 forbids even when escaped (most C0 controls, lone
# surrogates, U+FFFE/U+FFFF); they become U+FFFD so the file stays valid.
_XML_INVALID = re.compile(
    "[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_XML_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
}
_XML_SPECIAL = re.compile("[&<>\"']")


def md_escape(text: str) -> str:
    """Return *text* safe to place in Markdown prose or a table cell.

    Line breaks become spaces (a cell is one line), ``<``, ``>`` and
    ``&`` are HTML-escaped, and the characters that start emphasis, code,
    links, strike-through or a cell get a backslash.

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        The text, shown as itself by any Markdown renderer.
    """
    flat = " ".join(str(text).split())  # no line breaks inside a cell
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def html_escape(text: object) -> str:
    """Return *text* safe in HTML element content and attribute values.

    Parameters
    ----------
    text
        Any value; it is shown as ``str(text)``.

    Returns
    -------
    str
        The text with ``& < > " '`` written as character references.
    """
    return html.escape(str(text), quote=True)


def xml_escape(text: object) -> str:
    """Return *text* safe in SVG (XML) element content and attributes.

    Besides the five special characters, characters that XML 1.0 forbids
    even as references become U+FFFD, so the document stays well-formed
    for XML parsers (an SVG viewer refuses the whole file otherwise).

    Parameters
    ----------
    text
        Any value; it is shown as ``str(text)``.

    Returns
    -------
    str
        The text, escaped.
    """
    clean = _XML_INVALID.sub("\ufffd", str(text))
    return _XML_SPECIAL.sub(lambda m: _XML_ENTITIES[m.group(0)], clean)
