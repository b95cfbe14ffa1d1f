"""Readable reports of a result: Markdown for circulating a proposal.

The report is written line by line, not from the neutral outline
([`buddymatch.render.outline`][buddymatch.render.outline]): its tables carry
emphasis of our own
(``**total**``, ``**no**``), which the outline would escape, and its
layout predates the outline and is kept as it was.

User text (trust names, reasons) is escaped so that a name such as
``<script>`` or ``| evil |`` shows as text and never as markup.
"""

from __future__ import annotations

from collections import defaultdict

from buddymatch.escape import md_escape
from buddymatch.result import Result, assignment_reason
from buddymatch.terms_model import seeker_costs


def render_markdown(result: Result, title: str = "Buddying proposal") -> str:
    """Return a Markdown report of *result*.

    Sections: summary, pairings by seeker, unmet needs, buddy utilisation.
    A deterministic result's report leaves out the runtime, as its JSON
    does, so that the same input and settings give the same file.
    """
    name = result.trust_name
    out = [f"# {md_escape(title)}", "", "## Summary", ""]
    if result.solver.get("deterministic"):
        result = result.model_copy(update={"runtime": None})
    out.extend(f"- {md_escape(line)}" for line in result.summary().split("\n"))
    out += ["", "## Pairings by seeker", ""]
    by_seeker: dict[str, list[str]] = defaultdict(list)
    for a in sorted(
        result.assignments, key=lambda a: (a.seeker, a.area, a.buddy)
    ):
        by_seeker[a.seeker].append(
            f"| {md_escape(a.area)} | {md_escape(a.tier)} | "
            f"{md_escape(name(a.buddy))} ({md_escape(a.buddy)}) | "
            f"{a.travel_minutes:.0f} | {a.culture_fit:.2f} | {a.expertise} | "
            f"{a.score:.2f} | {md_escape(assignment_reason(a))} |"
        )
    if not by_seeker:
        out.append("No pairings were proposed.")
    for seeker in sorted(by_seeker):
        out += [
            f"### {md_escape(name(seeker))} ({md_escape(seeker)})",
            "",
            "| area | tier | buddy | minutes | culture fit | expertise "
            "| score | why |",
            "|---|---|---|---:|---:|---:|---:|---|",
            *by_seeker[seeker],
            "",
        ]
    out += ["", "## Unmet needs", ""]
    if not result.unmet:
        out.append("Every need is met.")
    else:
        out += [
            "| seeker | area | tier | priority | reason |",
            "|---|---|---|---:|---|",
        ]
        out.extend(
            f"| {md_escape(name(u.seeker))} ({md_escape(u.seeker)}) | "
            f"{md_escape(u.area)} | {md_escape(u.tier)} | {u.priority} | "
            f"{md_escape(u.detail)} |"
            for u in result.unmet
        )
    out += ["", "## Costs by seeker", ""]
    costs = seeker_costs(result)
    if not costs:
        out.append("No fees: no pairing was proposed.")
    else:
        allowance = result.policy.cost_neutral_allowance
        head = "| seeker | partnerships | assignments | fees |"
        rule = "|---|---:|---:|---:|"
        if allowance is not None:
            head += f" within allowance of £{allowance:,.0f} |"
            rule += "---|"
        out += [head, rule]
        for c in costs:
            row = (
                f"| {md_escape(name(c.seeker))} ({md_escape(c.seeker)}) | "
                f"{c.partnerships} | {c.assignments} | £{c.fee:,.0f} |"
            )
            if allowance is not None:
                row += f" {'yes' if c.within_allowance else '**no**'} |"
            out.append(row)
        out.append(f"| **total** | | | £{result.total_fee:,.0f} |")
    out += ["", "## Buddy utilisation", ""]
    used = [u for u in result.utilisation if u.workload > 0]
    if not used:
        out.append("No buddy is used.")
    else:
        out += [
            "| buddy | workload | capacity | partners | partner limit |",
            "|---|---:|---:|---:|---:|",
        ]
        out.extend(
            f"| {md_escape(name(u.buddy))} ({md_escape(u.buddy)}) | "
            f"{u.workload} | {u.capacity} | {u.partners} | "
            f"{'none' if u.max_partners is None else u.max_partners} |"
            for u in used
        )
    return "\n".join(out) + "\n"
