"""The rules of a matching, named once.

This module is a floor: it imports only the standard library.
"""

from __future__ import annotations

#: The computed terms of a pair's score, in their reporting order (a pair
#: override's score replaces them all, under the name ``override``).
SCORE_TERMS: tuple[str, ...] = (
    "expertise",
    "culture",
    "travel",
    "preferred",
    "prior",
)
