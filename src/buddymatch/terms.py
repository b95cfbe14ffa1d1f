"""Terms of reference for each partnership, and what the proposal costs.

One import for both halves: drafting the terms and totalling the fees
(:mod:`buddymatch.terms_model`: :func:`terms_for`, :func:`seeker_costs`,
the dates) and writing them as files (:mod:`buddymatch.render.terms`:
:func:`render_terms_markdown`, :func:`write_terms`).
"""

from buddymatch.render.terms import (
    render_terms_markdown,
    terms_file_names,
    write_terms,
)
from buddymatch.terms_model import (
    NOTICE_MONTHS,
    PROJECT_MANAGER_WORKLOAD,
    REVIEW_EVERY_MONTHS,
    AreaTerms,
    Party,
    Review,
    SeekerCost,
    Terms,
    add_months,
    seeker_costs,
    term_length,
    terms_for,
)

__all__ = [
    "NOTICE_MONTHS",
    "PROJECT_MANAGER_WORKLOAD",
    "REVIEW_EVERY_MONTHS",
    "AreaTerms",
    "Party",
    "Review",
    "SeekerCost",
    "Terms",
    "add_months",
    "render_terms_markdown",
    "seeker_costs",
    "term_length",
    "terms_file_names",
    "terms_for",
    "write_terms",
]
