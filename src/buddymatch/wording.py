"""Small wording helpers shared by every module that writes sentences.

It imports nothing from buddymatch, so the solver's words (unmet
reasons), the explanations and the reports can all use it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["area_words", "fmt_minutes", "fmt_value", "plural"]


def plural(n: int, noun: str, many: str | None = None) -> str:
    """Return a count with its noun: ``1 buddy``, ``2 buddies``.

    Parameters
    ----------
    n
        The count.
    noun
        The singular noun.
    many
        The plural when it is irregular; by default the noun with ``s``,
        or ``ies`` in place of a ``y`` after a consonant.

    Returns
    -------
    str
        ``"<n> <noun>"``.
    """
    if n == 1:
        return f"{n} {noun}"
    if many is not None:
        return f"{n} {many}"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return f"{n} {noun[:-1]}ies"
    return f"{n} {noun}s"


def fmt_value(value: Any) -> str:
    """Return a policy value as a person (and a TOML file) would write it.

    Parameters
    ----------
    value
        A bool, a number or ``None``.

    Returns
    -------
    str
        ``true``/``false``, ``none``, or the number without a needless
        ``.0``.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return f"{number:.10g}"


def fmt_minutes(minutes: float) -> str:
    """Return minutes to 0.1, without a needless ``.0``."""
    return fmt_value(round(float(minutes), 1))


#: Areas whose id joins two subjects: the words put the "and" back.  Any
#: other id reads with its underscores as spaces.
_AREA_WORDS = {
    "quality_safety": "quality and safety",
    "leadership_culture": "leadership and culture",
}


def area_words(area: str) -> str:
    """Return an area's id as words, for pages that people read.

    Parameters
    ----------
    area
        The area's id, as in the input (``quality_safety``).

    Returns
    -------
    str
        ``quality and safety``, ``leadership and culture``; any other id
        with its underscores as spaces (``urgent_care``: ``urgent
        care``).  Tables meant for machines keep the id.
    """
    return _AREA_WORDS.get(area, area.replace("_", " "))


#: The endings most NHS trust names share, left out where space is short.
NHS_SUFFIXES: tuple[str, ...] = (" NHS Foundation Trust", " NHS Trust")


def short_trust_name(name: str) -> str:
    """Return a trust's *name* without its common NHS ending.

    Parameters
    ----------
    name
        The trust's name (``Truro Hospitals NHS Trust``).

    Returns
    -------
    str
        The name without `` NHS Foundation Trust`` or `` NHS Trust``
        (``Truro Hospitals``); any other name as it is.
    """
    for suffix in NHS_SUFFIXES:
        name = name.removesuffix(suffix)
    return name
