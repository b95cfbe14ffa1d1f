"""Explanations: why this buddy, why not that one, why unmet, why infeasible.

The 2014 review found that imposed buddying arrangements failed where
self-selected ones worked; a proposal that nobody can question is an
imposed one.  So every part of a proposal can be explained in a person's
units, and every "why not" names the rule and the data:

- [`explain_result`][buddymatch.explain.explain_result] — for each assignment,
  its score by term and the
  best alternatives with why each was not chosen; for each unmet need, a
  funnel of the rules and confirmed one-parameter policy changes; for an
  infeasible result, the smallest set of conflicting rules.
- [`explain_pair`][buddymatch.explain.explain_pair] — why a buddy does not
  serve a need: the first hard
  rule that excludes it, or what pinning it would cost.
- [`explain_infeasibility`][buddymatch.explain.explain_infeasibility] — the
  conflicting pins and limits.
- [explain_summary][buddymatch.explain.explain_summary] — the proposal in
  brief (cover, size, each unmet need in a line), from the result alone.
- [explain_need][buddymatch.explain.explain_need] and
  [explain_buddy][buddymatch.explain.explain_buddy] — one need (why its
  buddies, or why unmet) or one buddy (what it does, its room left).
- The renderers
  [`render_explanations_markdown`][buddymatch.explain.render_explanations_markdown],
  [`render_explanations_html`][buddymatch.explain.render_explanations_html],
  [`render_pair_markdown`][buddymatch.explain.render_pair_markdown],
  [`render_pair_html`][buddymatch.explain.render_pair_html] — reports; every
  explanation also has ``to_json()`` for services.

See ``docs/explanations.md``.
"""

from buddymatch.explain.assignments import (
    DEFAULT_ALTERNATIVES,
    explain_assignment,
    explain_assignments,
)
from buddymatch.explain.bundle import explain_result
from buddymatch.explain.focus import explain_buddy, explain_need
from buddymatch.explain.infeasible import explain_infeasibility
from buddymatch.explain.pairs import explain_pair
from buddymatch.explain.proposal import ProposalView
from buddymatch.explain.render import (
    render_explanations_html,
    render_explanations_markdown,
    render_pair_html,
    render_pair_markdown,
)
from buddymatch.explain.summary import explain_summary
from buddymatch.explain.unmet import STEP_RULES, funnel
from buddymatch.explanation import (
    Alternative,
    AssignmentExplanation,
    BuddyExplanation,
    BuddyOpening,
    CoreMember,
    FunnelStep,
    Infeasibility,
    Move,
    NeedRef,
    PairExplanation,
    Relaxation,
    ResultExplanation,
    ResultSummary,
    Term,
    UnmetExplanation,
)

__all__ = [
    "DEFAULT_ALTERNATIVES",
    "STEP_RULES",
    "Alternative",
    "AssignmentExplanation",
    "BuddyExplanation",
    "BuddyOpening",
    "CoreMember",
    "FunnelStep",
    "Infeasibility",
    "Move",
    "NeedRef",
    "PairExplanation",
    "ProposalView",
    "Relaxation",
    "ResultExplanation",
    "ResultSummary",
    "Term",
    "UnmetExplanation",
    "explain_assignment",
    "explain_assignments",
    "explain_buddy",
    "explain_infeasibility",
    "explain_need",
    "explain_pair",
    "explain_result",
    "explain_summary",
    "funnel",
    "render_explanations_html",
    "render_explanations_markdown",
    "render_pair_html",
    "render_pair_markdown",
]
