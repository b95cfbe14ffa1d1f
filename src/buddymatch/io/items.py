"""Items: one builder per kind, shared by the CSV and JSON readers, and
the problem they assemble into.

A builder checks the fields of one trust, need, relation, override or
travel time by a plan of parsers (`buddymatch.io.values`) and returns
the item, or a stand-in built without validation when its key fields are
sound, so that the whole-problem checks still see it.  `Loaded`
keeps each item with the site it came from, so that
`assemble` can trace every issue of
[`buddymatch.model.problem_issues`][buddymatch.model.problem_issues] back to
its file, line and column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from buddymatch.io.problems import Item, Line, Problems, Site, describe
from buddymatch.io.values import (
    AREA,
    BUDDIES,
    CAPACITY,
    CULTURE,
    DIMENSION,
    EXPERTISE,
    LAT,
    LON,
    MAX_PARTNERS,
    MINUTES,
    NAME,
    NOTE,
    PRIORITY,
    REGION,
    SCORE,
    TRUST_ID,
    WORKLOAD,
    Parser,
    numeric,
    one_of,
)
from buddymatch.model import (
    DEFAULT_TIER_NAMES,
    RELATION_KINDS,
    TRUST_KINDS,
    Issue,
    Need,
    PairOverride,
    Policy,
    Problem,
    Relation,
    TravelTime,
    Trust,
    problem_issues,
)

_M = TypeVar("_M", bound=BaseModel)

#: Each field's parser, and whether the field is required.
FieldPlan = Mapping[str, tuple[Parser[Any], bool]]


def _report_validation(item: Item, exc: ValidationError) -> None:
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        item.report(key, describe(error), "correct the value")


def build_item(
    item: Item,
    model: type[_M],
    values: Mapping[str, object],
    plan: FieldPlan,
    keys: Sequence[str],
    extra: Mapping[str, object] | None = None,
    filler: Mapping[str, object] | None = None,
) -> tuple[_M | None, _M | None]:
    """Check *values* by *plan*: return ``(item, None)`` or a stand-in.

    A stand-in (built without validation) is returned for a faulty item
    whose *keys* are sound, so whole-problem checks can still see it (and
    report, say, a duplicate id) without a second round of fixing.
    """
    data: dict[str, object] = dict(extra or {})
    for name, (parser, required) in plan.items():
        if name in values:
            parsed = item.parse(name, values[name], parser)
            if name not in item.bad:
                data[name] = parsed
        elif required and name not in item.bad:
            item.report(name, f"{name} is missing", f"give the {name}")
    if not item.bad:
        try:
            return model(**data), None
        except ValidationError as exc:
            _report_validation(item, exc)
    if item.bad.intersection(keys):
        return None, None
    fields: dict[str, Any] = {**(filler or {}), **data}
    return None, model.model_construct(**fields)


TRUST_PLAN: FieldPlan = {
    "id": (TRUST_ID, True),
    "name": (NAME, False),
    "kind": (one_of(TRUST_KINDS, "a trust kind"), False),
    "lat": (numeric(LAT), True),
    "lon": (numeric(LON), True),
    "region": (REGION, False),
    "capacity": (numeric(CAPACITY), False),
    "max_partners": (numeric(MAX_PARTNERS), False),
}


def build_trust(
    item: Item,
    values: Mapping[str, object],
    culture: Mapping[str, object],
    expertise: Mapping[str, object],
) -> tuple[Trust | None, Trust | None]:
    scores: dict[str, float] = {}
    for dim, raw in culture.items():
        key = f"culture.{dim}"
        name = item.parse(key, dim, DIMENSION)
        score = item.parse(key, raw, numeric(CULTURE))
        if name is not None:
            # A faulty score still names its dimension, so a stand-in keeps
            # the trust's set of dimensions whole.
            scores[name] = score if score is not None else 0.0
    levels: dict[str, int] = {}
    for area, raw in expertise.items():
        key = f"expertise.{area}"
        name = item.parse(key, area, AREA)
        level = item.parse(key, raw, numeric(EXPERTISE))
        if name is not None:
            levels[name] = level if level is not None else 0
    return build_item(
        item,
        Trust,
        values,
        TRUST_PLAN,
        keys=("id",),
        extra={"culture": scores, "expertise": levels},
        filler={"lat": 0.0, "lon": 0.0},
    )


def build_need(
    item: Item, values: Mapping[str, object], tiers: Sequence[str]
) -> tuple[Need | None, Need | None]:
    plan: FieldPlan = {
        "seeker": (TRUST_ID, True),
        "area": (AREA, True),
        "tier": (one_of(tiers, "a tier"), False),
        "buddies": (numeric(BUDDIES), False),
        "priority": (numeric(PRIORITY), False),
    }
    return build_item(item, Need, values, plan, keys=("seeker", "area"))


_RELATION_PLAN: FieldPlan = {
    "a": (TRUST_ID, True),
    "b": (TRUST_ID, True),
    "kind": (one_of(RELATION_KINDS, "a relation kind"), True),
    "area": (AREA, False),
    "note": (NOTE, False),
}
_OVERRIDE_PLAN: FieldPlan = {
    "seeker": (TRUST_ID, True),
    "area": (AREA, True),
    "buddy": (TRUST_ID, True),
    "score": (numeric(SCORE), False),
    "workload": (numeric(WORKLOAD), False),
}
_TRAVEL_PLAN: FieldPlan = {
    "origin": (TRUST_ID, True),
    "destination": (TRUST_ID, True),
    "minutes": (numeric(MINUTES), True),
}


def build_relation(
    item: Item, values: Mapping[str, object]
) -> tuple[Relation | None, Relation | None]:
    return build_item(
        item, Relation, values, _RELATION_PLAN, keys=("a", "b", "kind", "area")
    )


def build_override(
    item: Item, values: Mapping[str, object]
) -> tuple[PairOverride | None, PairOverride | None]:
    return build_item(
        item,
        PairOverride,
        values,
        _OVERRIDE_PLAN,
        keys=("seeker", "area", "buddy"),
    )


def build_travel(
    item: Item, values: Mapping[str, object]
) -> tuple[TravelTime | None, TravelTime | None]:
    return build_item(
        item,
        TravelTime,
        values,
        _TRAVEL_PLAN,
        keys=("origin", "destination", "minutes"),
    )


def allowed_tiers(policy: Policy | None) -> tuple[str, ...]:
    return tuple(policy.tiers) if policy is not None else DEFAULT_TIER_NAMES


# -- the problem as a whole: items with their provenance --------------------

SECTIONS = ("trusts", "needs", "relations", "overrides", "travel")
#: Fields that name a trust; an issue about one of them may be an echo of a
#: trust row that could not be read at all.
_ID_FIELDS = frozenset({"seeker", "buddy", "a", "b", "origin", "destination"})


@dataclass
class Loaded:
    """Items read so far, each with the site it came from.

    Faulty items with sound keys are kept as stand-ins: they take part in
    the whole-problem checks, but the read fails anyway (their faults are
    already reported).
    """

    items: dict[str, list[BaseModel]] = field(
        default_factory=lambda: {s: [] for s in SECTIONS}
    )
    sites: dict[str, list[Site]] = field(
        default_factory=lambda: {s: [] for s in SECTIONS}
    )
    section_sites: dict[str, Site] = field(default_factory=dict)
    has_travel: bool = False
    #: False when some input could not be read at all: whole-problem checks
    #: would then only echo that.
    complete: bool = True
    #: Ids of trust rows too broken to read (wrong number of cells).
    unsure_ids: set[str] = field(default_factory=set)
    #: True once a problem about the trusts as a whole was reported.
    trusts_reported: bool = False
    #: True once the needs of a trusts file went over the row limit.
    needs_refused: bool = False

    def add(
        self,
        section: str,
        built: tuple[BaseModel | None, BaseModel | None],
        site: Site,
    ) -> None:
        good, stand_in = built
        item = good if good is not None else stand_in
        if item is not None:
            self.items[section].append(item)
            self.sites[section].append(site)

    def draft(self) -> Problem:
        """Return the problem built without validation (for the checks)."""
        return Problem.model_construct(**self._fields())

    def problem(self) -> Problem:
        return Problem(**self._fields())

    def _fields(self) -> dict[str, Any]:
        return {
            "trusts": tuple(self.items["trusts"]),
            "needs": tuple(self.items["needs"]),
            "relations": tuple(self.items["relations"]),
            "overrides": tuple(self.items["overrides"]),
            "travel": (
                tuple(self.items["travel"]) if self.has_travel else None
            ),
        }

    def is_echo(self, issue: Issue) -> bool:
        """Return whether *issue* only repeats a problem already reported."""
        path = issue.path
        if path == ("trusts",):
            return self.trusts_reported
        if len(path) == 3 and path[2] in _ID_FIELDS:
            section, index, name = path
            item = self.items[str(section)][int(index)]
            return getattr(item, str(name), None) in self.unsure_ids
        return False

    def locate(self, issue: Issue) -> tuple[str, Line, str | None]:
        path = issue.path
        section = str(path[0])
        if len(path) >= 2 and isinstance(path[1], int):
            site = self.sites[section][path[1]]
            key = ".".join(str(part) for part in path[2:])
        else:
            site = self.section_sites.get(section) or next(
                iter(self.section_sites.values())
            )
            key = ".".join(str(part) for part in path[1:])
        line, column = site.at(key)
        return site.file, line, column


def assemble(loaded: Loaded, problems: Problems) -> Problem:
    """Run the whole-problem checks; return the validated problem or raise."""
    if loaded.complete:
        for issue in problem_issues(loaded.draft()):
            if not loaded.is_echo(issue):
                file, line, column = loaded.locate(issue)
                problems.add(file, line, column, issue.message, issue.fix)
    if problems:
        raise problems.error()
    try:
        return loaded.problem()
    except ValidationError as exc:  # pragma: no cover - checks above agree
        site = next(iter(loaded.section_sites.values()))
        for error in exc.errors():
            problems.add(
                site.file, None, None, describe(error), "correct the input"
            )
        raise problems.error() from None
