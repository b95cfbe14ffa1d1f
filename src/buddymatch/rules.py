"""The hard rules of a matching, named once.

Every hard rule has a stable name, used as a code throughout: in the
candidate stage's exclusion reasons, the engine's constraints and
infeasibility cores, the room a proposal leaves, the explanations and the
verifier's violations.  The names and their policy parameters live here
and everywhere else imports them.  [`buddymatch.verify`][buddymatch.verify] is
the one
exception, on purpose: it shares no code with the solver, so it spells
the names itself, and a test checks that it knows every rule here.

Three kinds of rule:

``pair``
    A hard pair rule, judged on one (need, buddy) pair; the candidate
    stage applies them in `PAIR_RULES` order and records the first
    that excludes a pair.
``limit``
    A coupling rule, judged on several pairs together: a buddy's capacity
    and partner limit, a seeker's buddy limit, the budget.
``pin``
    A pinned relation: the proposal must pair the two trusts.

This module is a floor: it imports only the standard library and the data
model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from buddymatch.model import Policy, Trust

#: The pair rules a relation between the two trusts brings into play, in
#: the order they are reported (the first of a pair's relations wins).
RelationRuleName = Literal["competitor", "tertiary", "acquirer", "veto"]
#: The hard pair rules, in the order the candidate stage applies them.
PairRuleName = Literal[
    "self",
    "not_a_buddy",
    "expertise",
    "too_close",
    "too_far",
    RelationRuleName,
    "culture",
]
#: The limits a proposal's room is measured against (every coupling rule
#: but the budget): a buddy's capacity and partner limit, and the
#: seeker's buddy limit.
RoomLimitName = Literal["capacity", "max_partners", "max_buddies_per_seeker"]
#: The coupling rules, in the order the room and the cores take them.
LimitName = Literal[RoomLimitName, "budget"]
#: The rules an infeasibility core may name.
CoreRuleName = Literal["pin", LimitName]
#: Every hard rule.
RuleName = Literal[PairRuleName, LimitName, "pin"]
RuleKind = Literal["pair", "limit", "pin"]

#: The computed terms of a pair's score (the soft rules), in their
#: reporting order; a pair override's score replaces them all, under the
#: name ``override``.
SCORE_TERMS: tuple[str, ...] = (
    "expertise",
    "culture",
    "travel",
    "preferred",
    "prior",
)

RELATION_RULES: tuple[RelationRuleName, ...] = get_args(RelationRuleName)
PAIR_RULES: tuple[PairRuleName, ...] = get_args(PairRuleName)
ROOM_LIMITS: tuple[RoomLimitName, ...] = get_args(RoomLimitName)
LIMITS: tuple[LimitName, ...] = get_args(LimitName)
CORE_RULES: tuple[CoreRuleName, ...] = get_args(CoreRuleName)
RULE_NAMES: tuple[RuleName, ...] = get_args(RuleName)


@dataclass(frozen=True)
class Rule:
    """One hard rule.

    Attributes
    ----------
    name
        Its stable code.
    kind
        ``pair``, ``limit`` or ``pin``.
    parameters
        The policy parameters that set it (fields of
        [`Policy`][buddymatch.model.Policy]).
    trust_field
        The field of [`Trust`][buddymatch.model.Trust] that sets it per
        buddy, if one does.
    relation
        The relation kind that brings it into play, if one does.
    words
        What it says, in plain words.
    """

    name: RuleName
    kind: RuleKind
    parameters: tuple[str, ...] = ()
    trust_field: str | None = None
    relation: str | None = None
    words: str = ""


#: Every hard rule by name, pair rules first (in candidate order), then
#: the limits, then pins.
RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("self", "pair", words="a trust is never its own buddy"),
        Rule(
            "not_a_buddy",
            "pair",
            ("seekers_can_buddy", "max_partners"),
            words="a buddy offers capacity and partners, and is not a "
            "seeker unless seekers_can_buddy is on",
        ),
        Rule(
            "expertise",
            "pair",
            ("min_expertise", "require_stronger_than_seeker"),
            words="the buddy's expertise in the area is at least "
            "min_expertise (and above the seeker's own when "
            "require_stronger_than_seeker is on)",
        ),
        Rule(
            "too_close",
            "pair",
            ("min_travel_minutes",),
            words="travel is at least min_travel_minutes: a neighbour is "
            "a potential competitor",
        ),
        Rule(
            "too_far",
            "pair",
            ("max_travel_minutes",),
            words="travel is at most max_travel_minutes",
        ),
        Rule(
            "competitor",
            "pair",
            relation="competitor",
            words="no pair joined by a competitor relation",
        ),
        Rule(
            "tertiary",
            "pair",
            relation="tertiary",
            words="no pair joined by a tertiary relation",
        ),
        Rule(
            "acquirer",
            "pair",
            ("allow_acquirer_buddies",),
            relation="acquirer",
            words="no pair joined by an acquirer relation unless "
            "allow_acquirer_buddies is on",
        ),
        Rule(
            "veto",
            "pair",
            relation="veto",
            words="no buddy the seeker vetoes",
        ),
        Rule(
            "culture",
            "pair",
            ("min_culture_fit",),
            words="culture fit is at least min_culture_fit",
        ),
        Rule(
            "capacity",
            "limit",
            trust_field="capacity",
            words="a buddy's workload stays within its capacity",
        ),
        Rule(
            "max_partners",
            "limit",
            ("max_partners",),
            trust_field="max_partners",
            words="a buddy supports at most its limit of distinct seekers "
            "(its own max_partners, else the policy's)",
        ),
        Rule(
            "max_buddies_per_seeker",
            "limit",
            ("max_buddies_per_seeker",),
            words="a seeker has at most max_buddies_per_seeker distinct "
            "buddies",
        ),
        Rule(
            "budget",
            "limit",
            ("budget",),
            words="the fees of the proposal stay within the budget",
        ),
        Rule(
            "pin",
            "pin",
            relation="pinned",
            words="a pinned seeker and buddy are paired (in the pin's "
            "area, if it names one)",
        ),
    )
}


def partner_limit(trust: Trust, policy: Policy) -> int | None:
    """Return a buddy's limit of distinct seekers: its own
    ``max_partners``, else the policy's (``None``: no limit)."""
    own = trust.max_partners
    return own if own is not None else policy.max_partners


def partner_limit_source(trust: Trust) -> str:
    """Say where a buddy's partner limit comes from."""
    if trust.max_partners is not None:
        return "its own max_partners"
    return "policy.max_partners"
