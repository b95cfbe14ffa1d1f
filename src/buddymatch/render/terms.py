"""Terms of reference as files: Markdown or JSON, one per partnership.

The terms themselves, their dates and fees, are drafted by
:func:`~buddymatch.terms_model.terms_for`; this module writes them.
:func:`render_terms_markdown` gives one partnership's terms as Markdown,
user text escaped; :func:`write_terms` drafts and writes the terms of
every partnership of a result, named by :func:`terms_file_names`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from buddymatch.errors import BuddymatchError
from buddymatch.escape import md_escape
from buddymatch.io import write_file_set
from buddymatch.model import ID_PATTERN, MAX_ID_LENGTH, Policy
from buddymatch.result import Partnership, Result
from buddymatch.terms_model import Terms, terms_for

__all__ = ["render_terms_markdown", "terms_file_names", "write_terms"]

_ID_RE = re.compile(ID_PATTERN)
# Names Windows keeps for devices, with any extension ("NUL.1--B.md" opens
# the NUL device there): a stem whose part before its first dot is one of
# them gets a leading "_", which no id starts with.
_DEVICE_NAME = re.compile(r"(?i)(?:con|prn|aux|nul|com[0-9]|lpt[0-9])")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _duration(months: int, days: int = 0) -> str:
    """``16 months``, ``1 month``, ``16 months and 12 days``."""
    parts = []
    if months or not days:
        parts.append(f"{months} month{'' if months == 1 else 's'}")
    if days:
        parts.append(f"{days} day{'' if days == 1 else 's'}")
    return " and ".join(parts)


def _money(amount: float) -> str:
    """Pounds, with pence only when there are any (``£20,000``)."""
    if round(amount, 2) == round(amount):
        return f"£{amount:,.0f}"
    return f"£{amount:,.2f}"


def _day(day: dt.date) -> str:
    """A date as ``1 April 2026`` (no locale involved)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def render_terms_markdown(terms: Terms) -> str:
    """Return the terms of reference as Markdown, user text escaped.

    Parameters
    ----------
    terms
        Terms from :func:`terms_for`.

    Returns
    -------
    str
        A Markdown document ending in a newline.
    """
    esc = md_escape
    seeker, buddy = terms.seeker, terms.buddy
    out = [
        f"# Terms of reference: {esc(seeker.name)} and {esc(buddy.name)}",
        "",
        "Draft terms of reference for a buddying arrangement, proposed by "
        "buddymatch for the two trusts to agree and adapt.",
        "",
        "## Parties",
        "",
        "| role | trust | id |",
        "|---|---|---|",
        f"| seeker (receives support) | {esc(seeker.name)} | "
        f"{esc(seeker.id)} |",
        f"| buddy (gives support) | {esc(buddy.name)} | {esc(buddy.id)} |",
        "",
        "## Scope of support",
        "",
        "| area | tier | workload units | duration | starts | ends "
        "| estimated fee |",
        "|---|---|---:|---|---|---|---:|",
    ]
    out.extend(
        f"| {esc(x.area)} | {esc(x.tier)} | {x.workload} | "
        f"{_duration(x.months)} | {_day(x.start)} | {_day(x.end)} | "
        f"{_money(x.fee)} |"
        for x in terms.areas
    )
    out.append(
        f"| **total** | | {terms.workload} | "
        f"{_duration(terms.months, terms.days)} | "
        f"{_day(terms.start)} | {_day(terms.end)} | {_money(terms.fee)} |"
    )
    interim = [r for r in terms.reviews if not r.final]
    out += ["", "## Timescales", "", f"- Start: {_day(terms.start)}."]
    if interim:
        out.append(
            "- Joint reviews: "
            + ", ".join(_day(r.date) for r in interim)
            + "."
        )
    out += [
        f"- Final review and end of the term: {_day(terms.end)}, unless "
        "both trusts agree there to renew it.",
        "",
        "## Fees",
        "",
        f"- Estimated fees for this partnership: {_money(terms.fee)}, "
        "payable to the buddy by tier on a sliding scale.",
    ]
    if terms.allowance is not None:
        verdict = (
            "within it"
            if terms.within_allowance
            else f"{_money(terms.seeker_fees - terms.allowance)} above it"
        )
        out.append(
            f"- Cost-neutral allowance for {esc(seeker.name)}: "
            f"{_money(terms.allowance)}; all of its proposed arrangements "
            f"come to {_money(terms.seeker_fees)}, {verdict}."
        )
    out += ["", "## Coordination", ""]
    out.extend(f"- {esc(line)}" for line in terms.coordination)
    out += ["", "## Ending the arrangement", "", esc(terms.termination)]
    return "\n".join(out) + "\n"


def terms_file_names(result: Result) -> dict[tuple[str, str], str]:
    """Return the file name stem of each partnership's terms.

    ``<seeker>--<buddy>``; when two stems would name one file on a
    case-insensitive file system (``RXX--B1`` and ``rxx--B1``), or
    coincide because ids contain ``--``, the later partnership gets
    ``~2``, ``~3`` ... (``~`` never occurs in an id).  A stem that Windows
    would take for a device (``NUL.1--B1``: the part before the first dot
    is ``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM0``-``COM9`` or
    ``LPT0``-``LPT9``) starts with ``_``.  With ids of at most 64
    characters, names stay far below the 255 that file systems allow.

    Parameters
    ----------
    result
        The proposal.

    Returns
    -------
    dict
        (seeker, buddy) -> stem, in partnership order.

    Raises
    ------
    BuddymatchError
        If an id is not a valid trust id (a result edited by hand).
    """
    names: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    for p in result.partnerships:
        for tid in (p.seeker, p.buddy):
            if not _ID_RE.fullmatch(tid) or len(tid) > MAX_ID_LENGTH:
                raise BuddymatchError(
                    f"{tid[:80]!r} is not a valid trust id; terms of "
                    "reference files are named from ids"
                )
        stem = base = f"{p.seeker}--{p.buddy}"
        if _DEVICE_NAME.fullmatch(base.split(".", 1)[0]):
            stem = base = "_" + base
        copy = 1
        while stem.casefold() in taken:
            copy += 1
            stem = f"{base}~{copy}"
        taken.add(stem.casefold())
        names[(p.seeker, p.buddy)] = stem
    return names


def write_terms(
    result: Result,
    directory: str | os.PathLike[str],
    *,
    fmt: Literal["md", "json"] = "md",
    policy: Policy | None = None,
    start: dt.date | None = None,
    area_starts: Mapping[tuple[str, str, str], dt.date] | None = None,
    overwrite: bool = True,
) -> list[Path]:
    """Write one terms-of-reference file per partnership of *result*.

    Files are named ``<seeker>--<buddy>.md`` (or ``.json``), see
    :func:`terms_file_names`, and written inside *directory* (created if
    missing) as one set (:func:`buddymatch.io.write_file_set`): every
    file or, if writing fails, none; a name can never leave it.

    Parameters
    ----------
    result
        The proposal.
    directory
        The folder to write into.
    fmt
        ``md`` (Markdown) or ``json``.
    policy
        As for :func:`terms_for`; default ``result.policy``.
    start
        Start of new work; default the policy's start date, else today.
    area_starts
        (seeker, area, buddy) -> start, for arrangements already running.
    overwrite
        Replace files of the same name (a re-run refreshes its own
        files).  When false and any target exists, nothing is written.

    Returns
    -------
    list of Path
        The files written, in partnership order.

    Raises
    ------
    FileExistsError
        If *overwrite* is false and a target file exists.
    OutputError
        If *directory* cannot be written (a parent that is a file, no
        space left, permission denied); nothing new is left behind.
    BuddymatchError
        If a partnership names an invalid id.
    ValueError
        If *fmt* is neither ``md`` nor ``json``.
    """
    if fmt not in ("md", "json"):
        raise ValueError(f"unknown terms format {fmt!r}; use 'md' or 'json'")
    folder = Path(directory)
    stems = terms_file_names(result)
    targets: list[tuple[Partnership, Path]] = []
    for p in result.partnerships:
        name = f"{stems[(p.seeker, p.buddy)]}.{fmt}"
        # Ids cannot hold a separator, but the guard costs nothing.
        if (
            Path(name).name != name
            or os.sep in name
            or (os.altsep and os.altsep in name)
        ):
            raise BuddymatchError(f"unsafe terms file name {name!r}")
        targets.append((p, folder / name))
    if not overwrite:
        existing = [str(path) for _, path in targets if path.exists()]
        if existing:
            raise FileExistsError(
                f"{', '.join(existing)} already "
                f"{'exist' if len(existing) > 1 else 'exists'}"
            )
    starts = area_starts or {}
    texts: dict[str, bytes] = {}
    for p, path in targets:
        terms = terms_for(
            result,
            p,
            policy,
            start=start,
            area_starts={
                area: day
                for (s, area, b), day in starts.items()
                if (s, b) == (p.seeker, p.buddy)
            },
        )
        text = (
            render_terms_markdown(terms)
            if fmt == "md"
            else terms.to_json() + "\n"
        )
        texts[path.name] = text.encode("utf-8")
    write_file_set(folder, texts)
    return [path for _, path in targets]
