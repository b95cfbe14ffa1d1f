"""The data model: trusts, their needs, relations between them, and policy.

All models are Pydantic v2, frozen and ``extra="forbid"``: an unknown field is
an error, and a change makes a new, validated object (use
[`replace`][buddymatch.model.Problem.replace],
not ``model_copy(update=...)``, which skips validation).

Each rule traces back to the 2014 review of buddying; see
``docs/concepts.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from buddymatch.frames import problem_html
from buddymatch.wording import plural

#: Ids of trusts (and names of areas and culture dimensions) match this.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
#: Longest id accepted; longer ones are almost always a pasting mistake.
MAX_ID_LENGTH = 64

Id = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN, max_length=MAX_ID_LENGTH),
]

TrustKind = Literal[
    "acute",
    "acute_teaching",
    "ambulance",
    "community",
    "integrated",
    "mental_health",
    "specialist",
]
TRUST_KINDS: tuple[str, ...] = TrustKind.__args__  # type: ignore[attr-defined]

RelationKind = Literal[
    "competitor",
    "tertiary",
    "acquirer",
    "veto",
    "prior",
    "preferred",
    "pinned",
]
RELATION_KINDS: tuple[str, ...] = RelationKind.__args__  # type: ignore[attr-defined]
#: Relations that read the same both ways round.
SYMMETRIC_RELATIONS = frozenset(
    {"competitor", "tertiary", "acquirer", "prior"}
)

#: The tiers every policy knows, from the review's "tiered approach":
#: mentoring, a tailored programme, intensive support.
DEFAULT_TIER_NAMES: tuple[str, ...] = ("light", "programme", "intensive")

#: Expertise is on a 0-5 scale; 0 means the trust does not run the service.
EXPERTISE_MAX = 5
#: Culture scores are on 0-10, the scale of NHS Staff Survey theme scores.
CULTURE_MAX = 10.0


class _Frozen(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=True,
        validate_default=True,
    )


class Trust(_Frozen):
    """An NHS trust: a possible seeker of help, a possible buddy, or both.

    Parameters
    ----------
    id
        Unique id (letters, digits, ``_ . -``; e.g. an ODS code).
    name
        Display name.
    kind
        One of `TRUST_KINDS`.
    lat, lon
        Location of the main site, WGS84 degrees.
    region
        Optional region name, for reports.
    culture
        Culture profile: dimension -> score on 0-10.  All trusts of a problem
        share one set of dimensions; an empty profile means culture plays no
        part.
    expertise
        Area -> level 0-5 (0 = does not run that service).
    capacity
        Workload units it can give as a buddy; 0 = not a buddy.
    max_partners
        Distinct seekers it may support; ``None`` = the policy default.
    """

    id: Id
    name: Annotated[str, StringConstraints(max_length=500)] = ""
    kind: TrustKind = "acute"
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    region: Annotated[str, StringConstraints(max_length=200)] | None = None
    culture: dict[Id, Annotated[float, Field(ge=0.0, le=CULTURE_MAX)]] = Field(
        default_factory=dict
    )
    expertise: dict[Id, Annotated[int, Field(ge=0, le=EXPERTISE_MAX)]] = Field(
        default_factory=dict
    )
    capacity: int = Field(default=0, ge=0)
    max_partners: int | None = Field(default=None, ge=0)

    @field_validator("lat", "lon")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class Need(_Frozen):
    """One improvement need of a seeker, matched on its own.

    Parameters
    ----------
    seeker
        Id of the trust that needs help.
    area
        The improvement area (must have expertise data).
    tier
        Tier of support: ``light``, ``programme``, ``intensive`` or a tier
        the policy defines.
    buddies
        How many distinct buddies this area needs.
    priority
        1-3, higher is more urgent; cover is maximised priority by priority.
    """

    seeker: Id
    area: Id
    tier: Id = "light"
    buddies: int = Field(default=1, ge=1, le=20)
    priority: int = Field(default=2, ge=1, le=3)


class Relation(_Frozen):
    """A relation between two trusts that rules a pairing in or out.

    ``competitor``, ``tertiary``, ``acquirer`` and ``prior`` are symmetric;
    ``veto``, ``preferred`` and ``pinned`` read "seeker *a* with buddy *b*".
    A ``pinned`` relation may name an area; without one it forces at least
    one assignment between the two.
    """

    a: Id
    b: Id
    kind: RelationKind
    area: Id | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class PairOverride(_Frozen):
    """A user-supplied score and/or workload for one (need, buddy) pair.

    The score replaces every computed pair term (expertise, culture, travel,
    preferred, prior); the partnership cost still applies.  Overrides never
    bypass a hard rule.
    """

    seeker: Id
    area: Id
    buddy: Id
    score: float | None = None
    workload: int | None = Field(default=None, ge=0)

    @field_validator("score")
    @classmethod
    def _finite_score(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("score must be a finite number")
        return value


class TravelTime(_Frozen):
    """One entry of a user-supplied travel matrix: minutes, seeker to buddy."""

    origin: Id
    destination: Id
    minutes: float = Field(ge=0.0)

    @field_validator("minutes")
    @classmethod
    def _finite_minutes(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("minutes must be a finite number")
        return value


class Tier(_Frozen):
    """What a tier of support costs: workload units, duration and fee."""

    workload: int = Field(ge=0)
    months: int = Field(ge=1, le=120)
    fee: float = Field(ge=0.0)


DEFAULT_TIERS: dict[str, Tier] = {
    # Fees on the sliding scale the review asks for (GBP per assignment);
    # a fraction of what a consultancy would charge, by the review's account.
    "light": Tier(workload=1, months=6, fee=5_000.0),
    "programme": Tier(workload=3, months=12, fee=20_000.0),
    "intensive": Tier(workload=6, months=24, fee=60_000.0),
}

_NONE_ABLE = (
    "max_travel_minutes",
    "max_partners",
    "max_buddies_per_seeker",
    "budget",
    "cost_neutral_allowance",
)


class Policy(_Frozen):
    """Every rule and weight of a matching, with defaults for the common case.

    Limits marked "or None" are switched off by ``None`` (``"none"`` in
    TOML).  Score weights are in *points*; an assignment's score is
    ``weight_expertise * level + weight_culture * fit
    - weight_travel * minutes (+ bonuses)``.
    """

    min_expertise: int = Field(default=3, ge=0, le=EXPERTISE_MAX)
    require_stronger_than_seeker: bool = False
    min_culture_fit: float = Field(default=0.0, ge=0.0, le=1.0)
    min_travel_minutes: float = Field(default=30.0, ge=0.0)
    max_travel_minutes: float | None = Field(default=150.0, ge=0.0)
    speed_kmh: float = Field(default=60.0, gt=0.0, le=1000.0)
    circuity: float = Field(default=1.3, ge=1.0, le=5.0)
    travel_fallback: bool = False
    max_partners: int | None = Field(default=3, ge=0)
    max_buddies_per_seeker: int | None = Field(default=4, ge=0)
    seekers_can_buddy: bool = False
    allow_acquirer_buddies: bool = False
    weight_expertise: float = Field(default=10.0, ge=0.0, le=1e4)
    weight_culture: float = Field(default=30.0, ge=0.0, le=1e4)
    weight_travel: float = Field(default=0.1, ge=0.0, le=1e4)
    bonus_preferred: float = Field(default=15.0, ge=0.0, le=1e5)
    bonus_prior: float = Field(default=10.0, ge=0.0, le=1e5)
    partnership_cost: float = Field(default=5.0, ge=0.0, le=1e5)
    keep_ongoing: Literal["pinned", "soft"] = "pinned"
    disruption_cost: float = Field(default=50.0, ge=0.0, le=1e6)
    budget: float | None = Field(default=None, ge=0.0)
    cost_neutral_allowance: float | None = Field(default=None, ge=0.0)
    start_date: dt.date | None = None
    tiers: dict[Id, Tier] = Field(default_factory=lambda: dict(DEFAULT_TIERS))

    @model_validator(mode="before")
    @classmethod
    def _none_and_tiers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key in _NONE_ABLE:
            value = data.get(key)
            if isinstance(value, str) and value.strip().lower() == "none":
                data[key] = None
        tiers = data.get("tiers")
        if isinstance(tiers, dict):
            # Given tiers are merged over the defaults, field by field, so a
            # policy can change one fee without restating the whole tier.
            merged: dict[str, Any] = {
                name: tier.model_dump() for name, tier in DEFAULT_TIERS.items()
            }
            for name, tier in tiers.items():
                if isinstance(tier, Tier):
                    tier = tier.model_dump()
                if isinstance(tier, dict) and name in merged:
                    merged[name] = {**merged[name], **tier}
                else:
                    merged[name] = tier
            data["tiers"] = merged
        return data

    @field_validator(
        "min_travel_minutes",
        "max_travel_minutes",
        "weight_expertise",
        "weight_culture",
        "weight_travel",
        "budget",
        "cost_neutral_allowance",
    )
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _window(self) -> Policy:
        if (
            self.max_travel_minutes is not None
            and self.max_travel_minutes < self.min_travel_minutes
        ):
            raise ValueError(
                f"max_travel_minutes ({self.max_travel_minutes:g}) is below "
                f"min_travel_minutes ({self.min_travel_minutes:g}): no pair "
                "could ever be within the travel window"
            )
        return self

    def tier(self, name: str) -> Tier:
        """Return the tier called *name* (``KeyError`` if unknown)."""
        return self.tiers[name]

    def effective_start(self) -> dt.date:
        """Return ``start_date``, or today when none is set."""
        return self.start_date or dt.date.today()


@dataclass(frozen=True)
class Issue:
    """A whole-problem validation finding, located by a field path.

    The path names the item, e.g. ``("needs", 3, "seeker")``; readers map it
    back to the file, line and column the item came from.
    """

    path: tuple[str | int, ...]
    message: str
    fix: str


class Problem(_Frozen):
    """A complete matching problem, validated as a whole.

    Parameters
    ----------
    trusts
        Every trust, seekers and buddies alike.
    needs
        The seekers' needs (one per seeker and area).
    relations
        Competitor, tertiary, acquirer, veto, prior, preferred and pinned
        relations.
    overrides
        User-supplied pair scores and workloads.
    travel
        Optional travel matrix (minutes from seeker to buddy).  When given,
        it replaces the straight-line model; see ``Policy.travel_fallback``.

    Raises
    ------
    pydantic.ValidationError
        Listing every whole-problem issue (see
        [`problem_issues`][buddymatch.model.problem_issues]).
    """

    trusts: tuple[Trust, ...]
    needs: tuple[Need, ...] = ()
    relations: tuple[Relation, ...] = ()
    overrides: tuple[PairOverride, ...] = ()
    travel: tuple[TravelTime, ...] | None = None

    @model_validator(mode="after")
    def _whole(self) -> Problem:
        issues = problem_issues(self)
        if issues:
            lines = [
                f"{'.'.join(str(p) for p in i.path)}: {i.message} ({i.fix})"
                for i in issues
            ]
            raise ValueError(
                f"{len(issues)} problem(s) in the problem as a whole:\n"
                + "\n".join(lines)
            )
        return self

    # -- conveniences (derived, never stored) -------------------------------

    def trust(self, trust_id: str) -> Trust:
        """Return the trust with id *trust_id* (``KeyError`` if none)."""
        for trust in self.trusts:
            if trust.id == trust_id:
                return trust
        raise KeyError(trust_id)

    @property
    def trust_ids(self) -> tuple[str, ...]:
        """Trust ids in input order."""
        return tuple(t.id for t in self.trusts)

    @property
    def seeker_ids(self) -> tuple[str, ...]:
        """Ids of trusts with needs, in order of first need."""
        return tuple(dict.fromkeys(n.seeker for n in self.needs))

    @property
    def areas(self) -> tuple[str, ...]:
        """Expertise areas, in the order of the first trust's data."""
        return tuple(self.trusts[0].expertise) if self.trusts else ()

    @property
    def culture_dimensions(self) -> tuple[str, ...]:
        """Culture dimensions shared by all trusts (may be empty)."""
        return tuple(self.trusts[0].culture) if self.trusts else ()

    def canonical(self) -> Problem:
        """Return the same problem in a canonical order.

        Trusts by id, needs by (seeker, area), relations, overrides and
        travel entries by their fields.  The solver works on this form, so
        the order of rows in the input never changes a proposal.
        """

        def rel_key(r: Relation) -> tuple[str, str, str, str]:
            return (r.kind, r.a, r.b, r.area or "")

        trusts = tuple(sorted(self.trusts, key=lambda t: t.id))
        needs = tuple(sorted(self.needs, key=lambda n: (n.seeker, n.area)))
        relations = tuple(sorted(self.relations, key=rel_key))
        overrides = tuple(
            sorted(self.overrides, key=lambda o: (o.seeker, o.area, o.buddy))
        )
        travel = (
            None
            if self.travel is None
            else tuple(
                sorted(self.travel, key=lambda e: (e.origin, e.destination))
            )
        )
        if (trusts, needs, relations, overrides, travel) == (
            self.trusts,
            self.needs,
            self.relations,
            self.overrides,
            self.travel,
        ):
            return self
        # Already validated as a whole; reordering cannot break a rule.
        return Problem.model_construct(
            trusts=trusts,
            needs=needs,
            relations=relations,
            overrides=overrides,
            travel=travel,
        )

    def replace(self, **changes: Any) -> Problem:
        """Return a validated copy with *changes* applied."""
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(changes)
        return Problem(**data)

    def _repr_html_(self) -> str:
        """Return the compact summary Jupyter shows for a problem."""
        return problem_html(self)

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        """Count the problem's parts rather than list them.

        Pydantic builds ``repr()``, ``str()`` and rich's pretty form from
        these; a national problem listed in full is over half a million
        characters.  The parts themselves are fields (``problem.trusts``,
        ``problem.needs``, ...).
        """
        yield "trusts", len(self.trusts)
        yield "seekers", len(self.seeker_ids)
        yield "needs", len(self.needs)
        yield "areas", len(self.areas)
        yield "relations", len(self.relations)
        yield "overrides", len(self.overrides)
        if self.travel is None:
            yield "travel", "straight line"
        else:
            entries = plural(len(self.travel), "entry", "entries")
            yield "travel", f"matrix of {entries}"


_T = TypeVar("_T")


def _duplicates(items: list[_T]) -> set[_T]:
    return {item for item, n in Counter(items).items() if n > 1}


def _not_a_trust(
    path: tuple[str | int, ...], what: str, trust_id: str
) -> Issue:
    return Issue(
        path,
        f"{what} {trust_id!r}, which is not a trust",
        "use the id of a trust in the trusts list",
    )


def problem_issues(problem: Problem) -> list[Issue]:
    """Return every whole-problem issue of *problem*, in a stable order.

    Checks: at least one trust; unique trust ids; one set of culture
    dimensions and one set of expertise areas shared by all trusts; needs
    naming known seekers and areas with expertise data, one per seeker and
    area; relations between two different known trusts; pins naming a
    need of the seeker and not contradicting a veto; overrides naming a
    known need and buddy; travel entries between known trusts.
    """
    issues: list[Issue] = []
    trusts = problem.trusts
    if not trusts:
        return [
            Issue(
                ("trusts",),
                "there are no trusts",
                "add at least one trust row",
            )
        ]
    ids = [t.id for t in trusts]
    known = set(ids)
    dup_ids = _duplicates(ids)
    seen: set[str] = set()
    for i, trust in enumerate(trusts):
        if trust.id in dup_ids and trust.id in seen:
            issues.append(
                Issue(
                    ("trusts", i, "id"),
                    f"trust id {trust.id!r} is used more than once",
                    "give every trust its own id",
                )
            )
        seen.add(trust.id)

    dims = set(trusts[0].culture)
    areas = set(trusts[0].expertise)
    for i, trust in enumerate(trusts[1:], start=1):
        if set(trust.culture) != dims:
            issues.append(
                Issue(
                    ("trusts", i, "culture"),
                    f"trust {trust.id!r} has culture dimensions "
                    f"{sorted(trust.culture)}, but {trusts[0].id!r} has "
                    f"{sorted(dims)}",
                    "give every trust a score for the same culture dimensions",
                )
            )
        if set(trust.expertise) != areas:
            issues.append(
                Issue(
                    ("trusts", i, "expertise"),
                    f"trust {trust.id!r} has expertise areas "
                    f"{sorted(trust.expertise)}, but {trusts[0].id!r} has "
                    f"{sorted(areas)}",
                    "give every trust a level (0-5) for the same areas",
                )
            )

    need_set: set[tuple[str, str]] = set()
    for i, need in enumerate(problem.needs):
        if need.seeker not in known:
            issues.append(
                _not_a_trust(
                    ("needs", i, "seeker"), "need names seeker", need.seeker
                )
            )
        if need.area not in areas:
            issues.append(
                Issue(
                    ("needs", i, "area"),
                    f"need area {need.area!r} has no expertise data",
                    f"add expertise levels for {need.area!r} for every "
                    "trust, or correct the area's name",
                )
            )
        key = (need.seeker, need.area)
        if key in need_set:
            issues.append(
                Issue(
                    ("needs", i, "area"),
                    f"seeker {need.seeker!r} lists area {need.area!r} "
                    "more than once",
                    "list each area once per seeker; use `buddies` for "
                    "several buddies",
                )
            )
        need_set.add(key)
    seekers = {n.seeker for n in problem.needs}

    vetoes = {(r.a, r.b) for r in problem.relations if r.kind == "veto"}
    for i, rel in enumerate(problem.relations):
        for end in ("a", "b"):
            tid = getattr(rel, end)
            if tid not in known:
                issues.append(
                    _not_a_trust(
                        ("relations", i, end),
                        f"relation {rel.kind} names",
                        tid,
                    )
                )
        if rel.a == rel.b:
            issues.append(
                Issue(
                    ("relations", i, "b"),
                    f"relation {rel.kind} pairs {rel.a!r} with itself",
                    "name two different trusts",
                )
            )
        if rel.area is not None and rel.kind != "pinned":
            issues.append(
                Issue(
                    ("relations", i, "area"),
                    f"only a pinned relation may name an area, not {rel.kind}",
                    "leave the area empty",
                )
            )
        if rel.kind == "pinned":
            if rel.a in known and rel.a not in seekers:
                issues.append(
                    Issue(
                        ("relations", i, "a"),
                        f"pin names {rel.a!r} as seeker, but it has no needs",
                        "a pin reads 'seeker a with buddy b': put the "
                        "seeker first, or add its needs",
                    )
                )
            elif rel.area is not None and (rel.a, rel.area) not in need_set:
                issues.append(
                    Issue(
                        ("relations", i, "area"),
                        f"pin names area {rel.area!r}, which is not a need "
                        f"of {rel.a!r}",
                        "name one of the seeker's need areas, or leave "
                        "the area empty",
                    )
                )
            if (rel.a, rel.b) in vetoes:
                issues.append(
                    Issue(
                        ("relations", i, "kind"),
                        f"{rel.a!r} with {rel.b!r} is both pinned and vetoed",
                        "remove either the pin or the veto",
                    )
                )

    override_keys: set[tuple[str, str, str]] = set()
    for i, ov in enumerate(problem.overrides):
        if (ov.seeker, ov.area) not in need_set:
            issues.append(
                Issue(
                    ("overrides", i, "area"),
                    f"override names need {ov.seeker}/{ov.area}, which is "
                    "not a need",
                    "name a seeker and one of its need areas",
                )
            )
        if ov.buddy not in known:
            issues.append(
                _not_a_trust(
                    ("overrides", i, "buddy"), "override names buddy", ov.buddy
                )
            )
        elif ov.buddy == ov.seeker:
            issues.append(
                Issue(
                    ("overrides", i, "buddy"),
                    f"override pairs {ov.seeker!r} with itself",
                    "name a different buddy",
                )
            )
        key3 = (ov.seeker, ov.area, ov.buddy)
        if key3 in override_keys:
            issues.append(
                Issue(
                    ("overrides", i, "buddy"),
                    f"pair {ov.seeker}/{ov.area}/{ov.buddy} is overridden "
                    "more than once",
                    "keep one row per pair",
                )
            )
        override_keys.add(key3)

    if problem.travel is not None:
        given: dict[tuple[str, str], float] = {}
        for i, entry in enumerate(problem.travel):
            for end in ("origin", "destination"):
                tid = getattr(entry, end)
                if tid not in known:
                    issues.append(
                        _not_a_trust(
                            ("travel", i, end), "travel time names", tid
                        )
                    )
            pair = (entry.origin, entry.destination)
            if pair in given and given[pair] != entry.minutes:
                issues.append(
                    Issue(
                        ("travel", i, "minutes"),
                        f"travel time {entry.origin}->{entry.destination} "
                        f"is given twice ({given[pair]:g} and "
                        f"{entry.minutes:g} minutes)",
                        "keep one row per origin and destination",
                    )
                )
            given[pair] = entry.minutes
    return issues
