"""Small wording helpers shared by every module that writes sentences.

It imports nothing from buddymatch, so the solver's words (unmet
reasons), the explanations and the reports can all use it.
"""

from __future__ import annotations

__all__ = ["plural"]


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
