"""Terms of reference for each partnership, and what the proposal costs.

One import for both halves: drafting the terms and totalling the fees
([`buddymatch.terms_model`][buddymatch.terms_model]:
[`terms_for`][buddymatch.terms.terms_for],
[`seeker_costs`][buddymatch.terms.seeker_costs],
the dates) and writing them as files
([`buddymatch.render.terms`][buddymatch.render.terms]:
[`render_terms_markdown`][buddymatch.terms.render_terms_markdown],
[`write_terms`][buddymatch.terms.write_terms]).
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
