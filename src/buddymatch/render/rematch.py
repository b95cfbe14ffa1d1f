"""A re-matching's diff as CSV rows and as Markdown.

[`buddymatch.render.write_output`][buddymatch.render.write_output] writes a
[`RematchResult`][buddymatch.rematch.RematchResult] with these (``.csv``,
``.md``)
or as JSON.  The result is only read here: importing it would load the
re-matching, and with it the solver.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from buddymatch.escape import md_escape
from buddymatch.io import spreadsheet_safe

if TYPE_CHECKING:
    from buddymatch.rematch_result import RematchResult

__all__ = [
    "CHANGE_COLUMNS",
    "change_rows",
    "render_rematch_csv",
    "render_rematch_markdown",
]

#: Columns of the re-matching diff CSV
#: ([`change_rows`][buddymatch.render.rematch.change_rows]).
CHANGE_COLUMNS: tuple[str, ...] = (
    "change",
    "seeker",
    "seeker_name",
    "area",
    "tier",
    "buddy",
    "buddy_name",
    "workload",
    "fee",
    "start",
    "kept_as",
    "flags",
    "note",
)


def change_rows(rematched: RematchResult) -> list[dict[str, object]]:
    """Return the diff as rows of `CHANGE_COLUMNS` (for a CSV).

    Kept, new, ended, dropped, then unmet needs (``change`` = ``unmet``,
    empty buddy), each sorted by seeker, area, buddy.
    """
    rows: list[dict[str, object]] = []
    for c in (
        *rematched.kept,
        *rematched.new,
        *rematched.ended,
        *rematched.dropped,
    ):
        rows.append(
            {
                "change": c.kind,
                "seeker": c.seeker,
                "seeker_name": c.seeker_name,
                "area": c.area,
                "tier": c.tier or "",
                "buddy": c.buddy,
                "buddy_name": c.buddy_name,
                "workload": c.workload,
                "fee": c.fee,
                "start": c.start.isoformat() if c.start else "",
                "kept_as": c.kept_as or "",
                "flags": "; ".join(f"{f.rule}: {f.detail}" for f in c.flags),
                "note": c.note,
            }
        )
    for u in rematched.unmet:
        rows.append(
            {
                "change": "unmet",
                "seeker": u.seeker,
                "seeker_name": rematched.result.trust_name(u.seeker),
                "area": u.area,
                "tier": u.tier,
                "buddy": "",
                "buddy_name": "",
                "workload": "",
                "fee": "",
                "start": "",
                "kept_as": "",
                "flags": "",
                "note": f"unmet ({u.reason}): {u.detail}",
            }
        )
    return rows


def render_rematch_markdown(
    rematched: RematchResult, title: str = "Re-matching"
) -> str:
    """Return a Markdown report of the diff, user text escaped.

    Sections: summary, kept (with flags), new, ended, dropped, unmet,
    notes.
    """
    esc = md_escape
    out = [f"# {esc(title)}", "", "## Summary", ""]
    out.extend(f"- {esc(line)}" for line in rematched.summary().split("\n"))
    header = [
        "| seeker | area | tier | buddy | workload | fee | note |",
        "|---|---|---|---|---:|---:|---|",
    ]
    sections = (
        ("Kept", rematched.kept, "No ongoing arrangement."),
        ("New", rematched.new, "Nothing new is proposed."),
        ("Ended", rematched.ended, "No arrangement has ended."),
        ("Dropped", rematched.dropped, "No arrangement is dropped."),
    )
    for heading, changes, empty in sections:
        out += ["", f"## {heading}", ""]
        if not changes:
            out.append(empty)
            continue
        out += header
        for c in changes:
            note = c.note
            if c.flags:
                note += " FLAGGED: " + "; ".join(
                    f"{f.rule}: {f.detail}" for f in c.flags
                )
            out.append(
                f"| {esc(c.seeker_name)} ({esc(c.seeker)}) | {esc(c.area)} "
                f"| {esc(c.tier or '')} | {esc(c.buddy_name)} "
                f"({esc(c.buddy)}) | {c.workload} | {c.fee:,.0f} | "
                f"{esc(note)} |"
            )
    out += ["", "## Unmet needs", ""]
    if not rematched.unmet:
        out.append("Every need is met.")
    else:
        out += [
            "| seeker | area | tier | priority | reason |",
            "|---|---|---|---:|---|",
        ]
        out.extend(
            f"| {esc(rematched.result.trust_name(u.seeker))} "
            f"({esc(u.seeker)}) | {esc(u.area)} | {esc(u.tier)} | "
            f"{u.priority} | {esc(u.detail)} |"
            for u in rematched.unmet
        )
    if rematched.notes:
        out += ["", "## Notes", ""]
        out.extend(f"- {esc(note)}" for note in rematched.notes)
    return "\n".join(out) + "\n"


def render_rematch_csv(rematched: RematchResult) -> str:
    """Return the diff as CSV: a header of `CHANGE_COLUMNS`, then
    [`change_rows`][buddymatch.render.rematch.change_rows], text cells made
    spreadsheet-safe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(CHANGE_COLUMNS)
    writer.writerows(
        [spreadsheet_safe(row[column]) for column in CHANGE_COLUMNS]
        for row in change_rows(rematched)
    )
    return buffer.getvalue()
