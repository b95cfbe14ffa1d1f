"""Why unmet: a funnel of the rules, and the policy change that would help.

`explain_unmet_need` puts together the funnel
(`buddymatch.explain.funnel`: which rule leaves too few buddies) and
the confirmed relaxations (`buddymatch.explain.relax`: the smallest
one-parameter policy change that meets the need, checked by a re-solve).
"""

from __future__ import annotations

from buddymatch.explain.funnel import (
    EXAMPLES_PER_STEP,
    STEP_RULES,
    funnel,
    funnel_words,
    passes_expertise,
)
from buddymatch.explain.proposal import ProposalView
from buddymatch.explain.relax import (
    DEFAULT_MAX_RESOLVES,
    DEFAULT_RESOLVE_TIME_LIMIT,
    STEP_PARAMETERS,
    Relaxer,
    relaxed_policy,
)
from buddymatch.explanation import (
    Relaxation,
    UnmetExplanation,
)
from buddymatch.result import UnmetNeed

__all__ = [
    "DEFAULT_MAX_RESOLVES",
    "DEFAULT_RESOLVE_TIME_LIMIT",
    "EXAMPLES_PER_STEP",
    "STEP_PARAMETERS",
    "STEP_RULES",
    "Relaxer",
    "explain_unmet_need",
    "funnel",
    "passes_expertise",
    "relaxed_policy",
]


def explain_unmet_need(
    view: ProposalView,
    unmet: UnmetNeed,
    relaxer: Relaxer | None = None,
) -> UnmetExplanation:
    """Explain one unmet need: its funnel, and (with a *relaxer*) the
    confirmed policy changes that cover it.

    Parameters
    ----------
    view
        The proposal.
    unmet
        The unmet need, from the result.
    relaxer
        Finds policy changes; ``None`` skips them.

    Returns
    -------
    UnmetExplanation
        The explanation.
    """
    need_index = view.need_index[(unmet.seeker, unmet.area)]
    need = view.need(need_index)
    steps = funnel(view, need_index)
    bottleneck, words = funnel_words(view, need_index, steps, unmet.reason)
    relaxations: tuple[Relaxation, ...] = ()
    tried: tuple[str, ...] = ()
    if relaxer is not None:
        relaxations, tried = relaxer.relax(need_index, bottleneck)
        if relaxations:
            words += " " + "; ".join(r.words for r in relaxations) + "."
        elif tried:
            words += (
                " No one-parameter policy change tried covers it ("
                + ", ".join(tried)
                + ")."
            )
    return UnmetExplanation(
        seeker=need.seeker,
        area=need.area,
        tier=need.tier,
        priority=need.priority,
        buddies=need.buddies,
        reason=unmet.reason,
        funnel=steps,
        bottleneck=bottleneck,
        words=words,
        relaxations=relaxations,
        tried=tried,
    )
