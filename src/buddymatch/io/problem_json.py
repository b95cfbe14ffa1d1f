"""The problem as JSON:
[`read_problem_json`][buddymatch.io.problem_json.read_problem_json] and
[`write_problem_json`][buddymatch.io.problem_json.write_problem_json].

The JSON is decoded by `buddymatch.io.files` (its values bounded
first; a key given twice in one object is recorded, not silently
dropped), and each object checked like a CSV row by the item builders
shared with the CSV reader (`buddymatch.io.items`); every problem is
placed at its field path (``trusts.3.lat``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from buddymatch.io import files
from buddymatch.io.files import StrPath
from buddymatch.io.items import (
    SECTIONS,
    Loaded,
    allowed_tiers,
    assemble,
    build_need,
    build_override,
    build_relation,
    build_travel,
    build_trust,
)
from buddymatch.io.problems import Item, JsonSite, Problems
from buddymatch.io.values import did_you_mean, show
from buddymatch.io.write import write_text_atomic
from buddymatch.model import (
    Need,
    PairOverride,
    Policy,
    Problem,
    Relation,
    TravelTime,
    Trust,
)

_JSON_FIELDS: dict[str, type[BaseModel]] = {
    "trusts": Trust,
    "needs": Need,
    "relations": Relation,
    "overrides": PairOverride,
    "travel": TravelTime,
}


def _json_key(key: str) -> str:
    """Return *key* as a part of a field path; ``""`` for the empty key,
    which would otherwise vanish from the path (and leave a top-level
    problem without a place)."""
    return key if key else '""'


class _JsonReader:
    """Walks decoded JSON, checking each object like a CSV row."""

    def __init__(
        self, file: str, problems: Problems, tiers: Sequence[str]
    ) -> None:
        self.file = file
        self.problems = problems
        self.tiers = tiers
        self.loaded = Loaded()
        #: Keys given twice in one object, by the object's id(): json keeps
        #: the last silently, so the decoder hook records them (with the
        #: object itself, so its id cannot be reused by another).
        self.repeated: dict[int, tuple[object, list[str]]] = {}

    def hook(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        """Build one decoded object, recording the keys given twice."""
        obj: dict[str, Any] = {}
        for key, value in pairs:
            if key in obj:
                self.repeated.setdefault(id(obj), (obj, []))[1].append(key)
            obj[key] = value
        return obj

    def fields(
        self,
        item: Item,
        obj: Mapping[str, Any],
        allowed: Iterable[str],
    ) -> dict[str, object]:
        """Return the non-null fields of *obj*, reporting unknown keys."""
        names = list(allowed)
        for key in self.repeated.get(id(obj), (obj, []))[1]:
            item.report(
                _json_key(key),
                f"{show(key)} is given more than once in this object",
                "give each field once",
            )
        values: dict[str, object] = {}
        for key, value in obj.items():
            if key not in names:
                item.report(
                    _json_key(key),
                    f"unknown field {show(key)}",
                    f"rename or delete it{did_you_mean(key, names)}; the "
                    f"fields are {', '.join(names)}",
                )
            elif value is not None:
                values[key] = value
        return values

    def mapping(
        self, item: Item, key: str, value: object
    ) -> Mapping[str, object]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            item.report(
                key,
                f"{show(value)} is not an object",
                f"give {key} as an object of name: value",
            )
            return {}
        for repeated in self.repeated.get(id(value), (value, []))[1]:
            item.report(
                f"{key}.{repeated}",
                f"{repeated!r} is given more than once",
                "give each name once",
            )
        return value

    def read(self, data: object) -> None:
        loaded = self.loaded
        root = JsonSite(self.file)
        for section in SECTIONS:
            loaded.section_sites[section] = JsonSite(self.file, section)
        if not isinstance(data, dict):
            self.problems.add(
                self.file,
                None,
                None,
                f"the document is {show(data)}, not an object",
                "give an object with trusts, needs, relations, overrides "
                "and travel",
            )
            loaded.complete = False
            return
        top = Item(root, self.problems)
        self.fields(top, data, SECTIONS)
        if "trusts" not in data:
            top.report(
                "trusts",
                "the problem has no trusts list",
                'add "trusts": [...] with one object per trust',
            )
            loaded.complete = False
        for section in SECTIONS:
            value = data.get(section)
            if value is None:
                continue
            if not isinstance(value, list):
                top.report(
                    section,
                    f"{show(value)} is not a list",
                    f"give {section} as a list of objects",
                )
                if section == "trusts":
                    loaded.complete = False
                continue
            too_long = files.list_too_long(len(value))
            if too_long is not None:
                top.report(
                    section,
                    too_long,
                    "split the input, or leave out items the matching "
                    "does not use",
                )
                loaded.complete = False
                continue
            if section == "travel":
                loaded.has_travel = True
            for index, obj in enumerate(value):
                self.item(section, index, obj)

    def item(self, section: str, index: int, obj: object) -> None:
        site = JsonSite(self.file, f"{section}.{index}")
        item = Item(site, self.problems)
        if not isinstance(obj, dict):
            item.report(
                "",
                f"{show(obj)} is not an object",
                "give each item as an object of field: value",
            )
            if section == "trusts":
                self.loaded.trusts_reported = True
                self.loaded.complete = False
            return
        model = _JSON_FIELDS[section]
        values = self.fields(item, obj, model.model_fields)
        built: tuple[BaseModel | None, BaseModel | None]
        if section == "trusts":
            culture = self.mapping(item, "culture", values.pop("culture", {}))
            expertise = self.mapping(
                item, "expertise", values.pop("expertise", {})
            )
            built = build_trust(item, values, culture, expertise)
            if built[0] is None:
                self.loaded.trusts_reported = True
        elif section == "needs":
            built = build_need(item, values, self.tiers)
        elif section == "relations":
            built = build_relation(item, values)
        elif section == "overrides":
            built = build_override(item, values)
        else:
            built = build_travel(item, values)
        self.loaded.add(section, built, site)


def read_problem_json(
    path_or_text: StrPath, *, policy: Policy | None = None
) -> Problem:
    """Read a problem from JSON, as
    [`write_problem_json`][buddymatch.io.problem_json.write_problem_json]
    writes it.

    Parameters
    ----------
    path_or_text
        A path, or the JSON text itself (a string starting with ``{``).
    policy
        When given, need tiers must be among ``policy.tiers``; otherwise
        among the default tier names.

    Returns
    -------
    Problem
        The validated problem.

    Raises
    ------
    InputError
        Listing every problem; ``line`` is the field path (e.g.
        ``"trusts.3.lat"``), or the physical line of a JSON syntax error.
    """
    problems = Problems()
    text: str | None
    if isinstance(path_or_text, str) and path_or_text.lstrip().startswith(
        ("{", "[")
    ):
        file, text = "<json>", path_or_text
    else:
        file = files.source_name(path_or_text)
        text = problems.take(files.read_text(path_or_text))
        if text is None:
            raise problems.error()
    reader = _JsonReader(file, problems, allowed_tiers(policy))
    data = files.load_json(text, file, object_pairs_hook=reader.hook)
    reader.read(data)
    return assemble(reader.loaded, problems)


def write_problem_json(problem: Problem, path: StrPath) -> None:
    """Write *problem* as JSON that
    [`read_problem_json`][buddymatch.io.problem_json.read_problem_json] reads
    back.

    Parameters
    ----------
    problem
        The problem to write.
    path
        The file to write.
    """
    write_text_atomic(path, problem.model_dump_json(indent=2) + "\n")
