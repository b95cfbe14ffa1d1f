"""A neutral outline of a document, written as Markdown or as HTML.

A renderer describes what it says once, as headings, paragraphs, tables
and lists of plain text ([`Outline`][buddymatch.render.outline.Outline]);
[`Outline.markdown`][buddymatch.render.outline.Outline.markdown] and
[`Outline.html`][buddymatch.render.outline.Outline.html] then write it, so both
forms always say the same
thing.  Every piece of text is escaped here, when it is written
([`buddymatch.escape`][buddymatch.escape]): a trust named ``<script>`` or
``| x |`` shows as text in either form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from buddymatch.escape import html_escape, md_escape

__all__ = [
    "PAGE_CSS",
    "Bullets",
    "Heading",
    "Outline",
    "Paragraph",
    "Row",
    "Table",
]

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
        """Return the outline as a standalone HTML page titled *title*.

        The page carries its own small style sheet (``PAGE_CSS``, the
        map page's type and colours), links nothing and runs no
        script, so it opens offline and can be mailed as one file.
        """
        esc = html_escape
        out = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, '
            'initial-scale=1">',
            f"<title>{esc(title)}</title>",
            f"<style>\n{PAGE_CSS}\n</style>",
            "</head>",
            "<body>",
            "<main>",
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
                out += _html_table(block)
        out += ["</main>", "</body>", "</html>"]
        return "\n".join(out) + "\n"


#: The style sheet of an HTML outline: the map page's font, ink, muted grey
#: and margins ([buddymatch.render.map][]), with bordered, striped
#: tables whose number columns are aligned right.
PAGE_CSS = """
body { font-family: DejaVu Sans, Verdana, Helvetica, Arial, sans-serif;
       color: #222; margin: 1.5rem; line-height: 1.45; }
main { max-width: 72rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.6rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.6rem; padding-bottom: 0.2rem;
     border-bottom: 2px solid #ddd; }
h3 { font-size: 1.1rem; margin: 1.6rem 0 0.4rem; }
h4 { font-size: 1rem; margin: 1.2rem 0 0.3rem; color: #5A5A5A; }
p { margin: 0.4rem 0; }
ul { margin: 0.3rem 0 0.8rem; padding-left: 1.4rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem;
         text-align: left; vertical-align: top; }
th { background: #F1F1F1; }
tbody tr:nth-child(even) { background: #F8F8F8; }
th.n, td.n { text-align: right; white-space: nowrap;
             font-variant-numeric: tabular-nums; }
""".strip()


def _html_table(table: Table) -> list[str]:
    """Return *table* as HTML lines; number columns get class ``n``."""

    def cell(tag: str, i: int, text: str) -> str:
        kind = ' class="n"' if i in table.right else ""
        return f"<{tag}{kind}>{html_escape(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(table.header))
    return [
        "<table>",
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
        *(
            "<tr>"
            + "".join(cell("td", i, c) for i, c in enumerate(row))
            + "</tr>"
            for row in table.rows
        ),
        "</tbody></table>",
    ]


def _md_row(cells: Row) -> str:
    return "| " + " | ".join(md_escape(c) for c in cells) + " |"
