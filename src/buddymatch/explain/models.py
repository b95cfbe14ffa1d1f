"""The explanations' data: moved to `buddymatch.explanation`.

Kept so that ``from buddymatch.explain.models import ...`` goes on
working; the data lives below the solver so that the renderers can write
explanations without importing the explainers.
"""

from buddymatch.explanation import (
    Alternative,
    AlternativeReason,
    AssignmentExplanation,
    CoreMember,
    FunnelStep,
    FunnelStepName,
    Infeasibility,
    MemberKind,
    Move,
    NeedRef,
    PairExplanation,
    PairStatus,
    Relaxation,
    ResultExplanation,
    Term,
    TermName,
    UnmetExplanation,
)

__all__ = [
    "Alternative",
    "AlternativeReason",
    "AssignmentExplanation",
    "CoreMember",
    "FunnelStep",
    "FunnelStepName",
    "Infeasibility",
    "MemberKind",
    "Move",
    "NeedRef",
    "PairExplanation",
    "PairStatus",
    "Relaxation",
    "ResultExplanation",
    "Term",
    "TermName",
    "UnmetExplanation",
]
