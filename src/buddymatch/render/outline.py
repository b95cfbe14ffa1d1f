"""A neutral outline of a document, written as Markdown or as HTML.

A renderer describes what it says once, as headings, paragraphs, tables
and lists of plain text (:class:`Outline`); :meth:`Outline.markdown` and
:meth:`Outline.html` then write it, so both forms always say the same
thing.  Every piece of text is escaped here, when it is written
(:mod:`buddymatch.escape`): a trust named ``<script>`` or
``| x |`` shows as text in either form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from buddymatch.escape import html_escape, md_escape

__all__ = ["Bullets", "Heading", "Outline", "Paragraph", "Row", "Table"]

#: A table row: one text per column.
Row = tuple[str, ...]


@dataclass(frozen=True)
class Heading:
    """A heading of *level* 1 (the title) to 6."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table: header, rows, and the columns aligned right (numbers)."""

    header: Row
    rows: list[Row]
    right: set[int]


@dataclass(frozen=True)
class Bullets:
    """A bulleted list."""

    items: list[str]


@dataclass
class Outline:
    """Headings, paragraphs, tables and lists, in order."""

    blocks: list[Heading | Paragraph | Table | Bullets] = field(
        default_factory=list
    )

    def heading(self, level: int, text: str) -> None:
        """Add a heading of *level* (1 is the title)."""
        self.blocks.append(Heading(level, text))

    def para(self, text: str) -> None:
        """Add a paragraph."""
        self.blocks.append(Paragraph(text))

    def table(self, header: Row, rows: Sequence[Row], right: set[int]) -> None:
        """Add a table; columns in *right* are aligned right."""
        self.blocks.append(Table(header, list(rows), right))

    def bullets(self, items: list[str]) -> None:
        """Add a bulleted list, unless *items* is empty."""
        if items:
            self.blocks.append(Bullets(items))

    def markdown(self) -> str:
        """Return the outline as Markdown, ending in one newline."""
        out: list[str] = []
        for block in self.blocks:
            if isinstance(block, Heading):
                out.append("#" * block.level + " " + md_escape(block.text))
            elif isinstance(block, Paragraph):
                out.append(md_escape(block.text))
            elif isinstance(block, Bullets):
                out += [f"- {md_escape(item)}" for item in block.items]
            else:
                out.append(_md_row(block.header))
                out.append(
                    "|"
                    + "|".join(
                        "---:" if i in block.right else "---"
                        for i in range(len(block.header))
                    )
                    + "|"
                )
                out += [_md_row(row) for row in block.rows]
            out.append("")
        return "\n".join(out).rstrip("\n") + "\n"

    def html(self, title: str) -> str:
        """Return the outline as a standalone HTML page titled *title*."""
        esc = html_escape
        out = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8">',
            f"<title>{esc(title)}</title></head>",
            "<body>",
        ]
        for block in self.blocks:
            if isinstance(block, Heading):
                level = block.level
                out.append(f"<h{level}>{esc(block.text)}</h{level}>")
            elif isinstance(block, Paragraph):
                out.append(f"<p>{esc(block.text)}</p>")
            elif isinstance(block, Bullets):
                out.append("<ul>")
                out += [f"<li>{esc(item)}</li>" for item in block.items]
                out.append("</ul>")
            else:
                out.append("<table>")
                out.append(
                    "<tr>"
                    + "".join(f"<th>{esc(h)}</th>" for h in block.header)
                    + "</tr>"
                )
                for row in block.rows:
                    cells = "".join(
                        f'<td style="text-align:right">{esc(c)}</td>'
                        if i in block.right
                        else f"<td>{esc(c)}</td>"
                        for i, c in enumerate(row)
                    )
                    out.append(f"<tr>{cells}</tr>")
                out.append("</table>")
        out += ["</body>", "</html>"]
        return "\n".join(out) + "\n"


def _md_row(cells: Row) -> str:
    return "| " + " | ".join(md_escape(c) for c in cells) + " |"
