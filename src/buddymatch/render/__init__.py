"""Writing what buddymatch produces, in the format a file's name asks for.

:func:`write_output` is the one place that picks a format from a file's
extension, from one table of object kind -> extension -> writer:

- a :class:`~buddymatch.result.Result`: ``.csv`` (pairings), ``.json``,
  ``.md`` (the report);
- a :class:`Map` of a result: ``.svg``, ``.html`` (or ``.htm``), ``.png``;
- an explanation, of a result or of one pair: ``.md``, ``.html``,
  ``.json``;
- the :class:`~buddymatch.terms_model.Terms` of one partnership: ``.md``,
  ``.json``;
- a re-matching's diff, a :class:`~buddymatch.rematch.RematchResult`:
  ``.csv`` (one row per change), ``.json``, ``.md``.

:func:`output_format` checks a file name against the same table, so a
caller can refuse a wrong ``--out`` before any work is done.

The renderers behind the table are modules of this package: ``report``
(a result as Markdown), ``map`` (SVG, HTML and PNG maps),
``explanation`` (Markdown and HTML from the neutral ``outline``),
``terms`` (terms of reference), ``rematch`` (a re-matching's diff),
and ``escape``, through which all of them escape user text.  This
package reads the data classes only; it never imports the solver.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from buddymatch.errors import InputError, InputProblem
from buddymatch.explanation import PairExplanation, ResultExplanation
from buddymatch.io import (
    write_bytes_atomic,
    write_pairings_csv,
    write_text_atomic,
)
from buddymatch.rematch_result import RematchResult
from buddymatch.render.explanation import (
    render_explanations_html,
    render_explanations_markdown,
    render_pair_html,
    render_pair_markdown,
)
from buddymatch.render.map import Map, render_svg
from buddymatch.render.map_page import load_resvg, render_html, render_png
from buddymatch.render.rematch import (
    render_rematch_csv,
    render_rematch_markdown,
)
from buddymatch.render.report import render_markdown
from buddymatch.render.terms import render_terms_markdown
from buddymatch.result import Result
from buddymatch.terms_model import Terms

__all__ = [
    "MAP_FORMATS",
    "Map",
    "OutputKind",
    "check_map_path",
    "output_format",
    "write_map",
    "write_output",
]

#: What :func:`output_format` checks a file name for.
OutputKind = Literal[
    "result", "map", "explanation", "pair explanation", "terms", "rematch"
]


class _Json(Protocol):
    def to_json(self) -> str: ...


# Each writer takes the object, the file and the options of its kind as
# keywords; the data formats (JSON, CSV) have no use for them.
_Writer = Callable[..., None]


def _json(obj: _Json, path: Path, **_: Any) -> None:
    write_text_atomic(path, obj.to_json() + "\n")


def _pairings(result: Result, path: Path, **_: Any) -> None:
    write_pairings_csv(result, path)


def _rematch_csv(rematched: RematchResult, path: Path, **_: Any) -> None:
    write_text_atomic(path, render_rematch_csv(rematched))


def _report(result: Result, path: Path, **options: Any) -> None:
    write_text_atomic(path, render_markdown(result, **options))


def _map_svg(drawn: Map, path: Path, **options: Any) -> None:
    write_text_atomic(path, render_svg(drawn.result, **options))


def _map_html(drawn: Map, path: Path, **options: Any) -> None:
    write_text_atomic(path, render_html(drawn.result, **options))


def _map_png(drawn: Map, path: Path, **options: Any) -> None:
    load_resvg(str(path))  # name the file if PNG is unavailable
    write_bytes_atomic(path, render_png(drawn.result, **options))


def _text(render: Callable[..., str]) -> _Writer:
    """Return a writer of the text *render* makes of the object."""

    def write(obj: object, path: Path, **options: Any) -> None:
        write_text_atomic(path, render(obj, **options))

    return write


@dataclass(frozen=True)
class _Formats:
    """The files one kind of object is written as.

    ``writers`` maps each extension to its writer, in the order an error
    names them; ``options`` are the keywords its writers take;
    ``unknown`` and ``file`` word the error ("unknown output format",
    "name the explanation file ..."); ``aliases`` maps further extensions
    onto those (``.htm`` is HTML).
    """

    writers: Mapping[str, _Writer]
    options: tuple[str, ...] = ()
    unknown: str = "output"
    file: str = "output"
    aliases: Mapping[str, str] = field(default_factory=dict)


_FORMATS: dict[OutputKind, _Formats] = {
    "result": _Formats(
        {".csv": _pairings, ".json": _json, ".md": _report},
        options=("title",),
    ),
    "map": _Formats(
        {".svg": _map_svg, ".html": _map_html, ".png": _map_png},
        options=("width", "title"),
        unknown="map",
        aliases={".htm": ".html"},
    ),
    "explanation": _Formats(
        {
            ".md": _text(render_explanations_markdown),
            ".html": _text(render_explanations_html),
            ".json": _json,
        },
        options=("title",),
        file="explanation",
    ),
    "pair explanation": _Formats(
        {
            ".md": _text(render_pair_markdown),
            ".html": _text(render_pair_html),
            ".json": _json,
        },
        options=("names", "title"),
        file="explanation",
    ),
    "terms": _Formats(
        {".md": _text(render_terms_markdown), ".json": _json},
        file="terms",
    ),
    "rematch": _Formats(
        {
            ".csv": _rematch_csv,
            ".json": _json,
            ".md": _text(render_rematch_markdown),
        },
        options=("title",),
    ),
}

#: File extensions a map is written as (:func:`write_map`).
MAP_FORMATS: tuple[str, ...] = tuple(_FORMATS["map"].writers)


def output_format(path: str | os.PathLike[str], kind: OutputKind) -> str:
    """Return the format *path*'s extension names for a *kind* of object.

    Parameters
    ----------
    path
        The file to write.
    kind
        What will be written: ``"result"``, ``"map"``, ``"explanation"``,
        ``"pair explanation"``, ``"terms"`` or ``"rematch"``.

    Returns
    -------
    str
        The extension, lower case, aliases resolved (``.htm`` is
        ``.html``).

    Raises
    ------
    InputError
        If the extension names no format of that kind; the fix lists the
        ones there are.
    """
    formats = _FORMATS[kind]
    written = Path(path).suffix
    suffix = formats.aliases.get(written.lower(), written.lower())
    if suffix not in formats.writers:
        names = list(formats.writers)
        raise InputError(
            [
                InputProblem(
                    os.fspath(path),
                    None,
                    None,
                    f"unknown {formats.unknown} format "
                    f"{written or '(none)'!r}",
                    f"name the {formats.file} file "
                    + ", ".join(names[:-1])
                    + f" or {names[-1]}",
                )
            ]
        )
    return suffix


def _kind_of(obj: object) -> OutputKind:
    """Return the kind of *obj*, or raise TypeError."""
    if isinstance(obj, Result):
        return "result"
    if isinstance(obj, Map):
        return "map"
    if isinstance(obj, Terms):
        return "terms"
    if isinstance(obj, RematchResult):
        return "rematch"
    if isinstance(obj, ResultExplanation):
        return "explanation"
    if isinstance(obj, PairExplanation):
        return "pair explanation"
    raise TypeError(
        f"write_output cannot write a {type(obj).__name__}: give a Result, "
        "a Map of one, an explanation, Terms or a RematchResult"
    )


def write_output(
    obj: (
        Result
        | Map
        | Terms
        | ResultExplanation
        | PairExplanation
        | RematchResult
    ),
    path: str | os.PathLike[str],
    **options: Any,
) -> Path:
    """Write *obj* in the format named by *path*'s extension.

    The file is written atomically: readers see the old file or the new
    one, never half of either.

    Parameters
    ----------
    obj
        A :class:`~buddymatch.result.Result` (``.csv`` pairings, text
        cells spreadsheet-safe; ``.json``; ``.md`` report), a :class:`Map`
        of one (``.svg``, ``.html`` or ``.htm``, ``.png``), an explanation
        from ``explain_result`` or ``explain_pair`` (``.md``, ``.html``,
        ``.json``), :class:`~buddymatch.terms_model.Terms` (``.md``,
        ``.json``) or a :class:`~buddymatch.rematch.RematchResult` (``.csv``
        changes, text cells spreadsheet-safe; ``.json``; ``.md``).
    path
        The file to write; its extension (any case) picks the format.
    **options
        Passed to the renderer: ``title`` for a result's report, a map, an
        explanation or a re-matching's Markdown; ``width`` (pixels) for a
        map; ``names`` (trust id -> name) for a pair explanation.  The
        same options are taken for every format of a kind; JSON and CSV
        have no use for them.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InputError
        For an extension that names no format of *obj*'s kind (nothing is
        written), or a map's own input errors (a trust without a site,
        PNG without ``resvg-py`` or a font).
    OutputError
        If the file cannot be written.
    TypeError
        For an object of another type, or an option its kind does not
        take.
    """
    kind = _kind_of(obj)
    formats = _FORMATS[kind]
    unknown = sorted(set(options) - set(formats.options))
    if unknown:
        takes = ", ".join(formats.options) or "none"
        raise TypeError(
            f"write_output has no option {unknown[0]!r} for a {kind} "
            f"(its options: {takes})"
        )
    suffix = output_format(path, kind)
    target = Path(path)
    formats.writers[suffix](obj, target, **options)
    return target


def check_map_path(path: str | os.PathLike[str]) -> str:
    """Return the map format named by *path*'s extension.

    Parameters
    ----------
    path
        The output file.

    Returns
    -------
    str
        ``".svg"``, ``".html"`` or ``".png"`` (``.htm`` counts as HTML).

    Raises
    ------
    InputError
        For any other extension.
    """
    return output_format(path, "map")


def write_map(
    result: Result,
    path: str | os.PathLike[str],
    *,
    width: int = 900,
    title: str = "Buddying proposal",
) -> Path:
    """Write the map of *result* in the format named by *path*'s extension.

    The same as ``write_output(Map(result), path, width=width,
    title=title)``; written atomically.

    Parameters
    ----------
    result
        The proposal.
    path
        ``.svg``, ``.html`` (or ``.htm``) or ``.png``.
    width
        Width of the map in pixels (480-4000).
    title
        Heading drawn above the map.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    InputError
        For an unknown extension, a result that names a trust it does not
        carry, or PNG without ``resvg-py`` or a font installed.
    """
    return write_output(Map(result), path, width=width, title=title)
