"""Writing what buddymatch produces, in the format a file's name asks for.

[`write_output`][buddymatch.render.write_output] is the one place that picks a
format from a file's
extension, from one table of object kind -> extension -> writer:

- a [`Result`][buddymatch.result.Result]: ``.csv`` (pairings), ``.json``,
  ``.md`` (the report);
- a [`Map`][buddymatch.render.Map] of a result: ``.svg``, ``.html`` (or
  ``.htm``), ``.png``;
- an explanation, of a result, of one pair or of one buddy: ``.md``,
  ``.html``, ``.json``;
- the [`Terms`][buddymatch.terms_model.Terms] of one partnership: ``.md``,
  ``.json``;
- a re-matching's diff, a [`RematchResult`][buddymatch.rematch.RematchResult]:
  ``.csv`` (one row per change), ``.json``, ``.md``.

[`output_format`][buddymatch.render.output_format] checks a file name against
the same table, so a
caller can refuse a wrong ``--out`` before any work is done;
`named_format` checks a format named on its own (``--format json``),
and `render_output` returns the text (or bytes) of a format without
writing a file, for standard output.

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
from buddymatch.explanation import (
    BuddyExplanation,
    PairExplanation,
    ResultExplanation,
)
from buddymatch.io import write_bytes_atomic, write_text_atomic
from buddymatch.io.write import pairings_csv_text
from buddymatch.rematch_result import RematchResult
from buddymatch.render.explanation import (
    render_buddy_html,
    render_buddy_markdown,
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
    "STDOUT_NAME",
    "Map",
    "Output",
    "OutputKind",
    "check_map_path",
    "named_format",
    "output_format",
    "render_output",
    "write_map",
    "write_output",
]

#: What [`output_format`][buddymatch.render.output_format] checks a file name
#: for.
OutputKind = Literal[
    "result",
    "map",
    "explanation",
    "pair explanation",
    "buddy explanation",
    "terms",
    "rematch",
]

#: What problems call standard output, written to instead of a file.
STDOUT_NAME = "<stdout>"


class _Json(Protocol):
    def to_json(self) -> str: ...


# Each renderer takes the object and the options of its kind as keywords
# (the data formats, JSON and CSV, have no use for them), and ``target``,
# the file it is for, to name in its errors; it returns the file's text,
# or its bytes for a binary format.
_Renderer = Callable[..., str | bytes]


def _json(obj: _Json, **_: Any) -> str:
    return obj.to_json() + "\n"


def _pairings(result: Result, **_: Any) -> str:
    return pairings_csv_text(result)


def _rematch_csv(rematched: RematchResult, **_: Any) -> str:
    return render_rematch_csv(rematched)


def _map_svg(drawn: Map, *, target: str, **options: Any) -> str:
    return render_svg(drawn.result, **options)


def _map_html(drawn: Map, *, target: str, **options: Any) -> str:
    return render_html(drawn.result, **options)


def _map_png(drawn: Map, *, target: str, **options: Any) -> bytes:
    load_resvg(target)  # name the file if PNG is unavailable
    return render_png(drawn.result, **options)


def _text(render: Callable[..., str]) -> _Renderer:
    """Return a renderer of the text *render* makes of the object."""

    def text(obj: object, *, target: str, **options: Any) -> str:
        return render(obj, **options)

    return text


@dataclass(frozen=True)
class _Formats:
    """The files one kind of object is written as.

    ``writers`` maps each extension to its renderer, in the order an
    error names them; ``options`` are the keywords its renderers take;
    ``unknown`` and ``file`` word the error ("unknown output format",
    "name the explanation file ..."); ``aliases`` maps further extensions
    onto those (``.htm`` is HTML).
    """

    writers: Mapping[str, _Renderer]
    options: tuple[str, ...] = ()
    unknown: str = "output"
    file: str = "output"
    aliases: Mapping[str, str] = field(default_factory=dict)


_FORMATS: dict[OutputKind, _Formats] = {
    "result": _Formats(
        {
            ".csv": _pairings,
            ".json": _json,
            ".md": _text(render_markdown),
        },
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
    "buddy explanation": _Formats(
        {
            ".md": _text(render_buddy_markdown),
            ".html": _text(render_buddy_html),
            ".json": _json,
        },
        options=("title",),
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

#: File extensions a map is written as
#: ([`write_map`][buddymatch.render.write_map]).
MAP_FORMATS: tuple[str, ...] = tuple(_FORMATS["map"].writers)


def output_format(path: str | os.PathLike[str], kind: OutputKind) -> str:
    """Return the format *path*'s extension names for a *kind* of object.

    Parameters
    ----------
    path
        The file to write.
    kind
        What will be written: ``"result"``, ``"map"``, ``"explanation"``,
        ``"pair explanation"``, ``"buddy explanation"``, ``"terms"`` or
        ``"rematch"``.

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


def named_format(
    name: str, kind: OutputKind, *, source: str = "--format"
) -> str:
    """Return the format *name* names for a *kind* of object.

    For output with no file name to take the format from (standard
    output), where the format is named on its own.

    Parameters
    ----------
    name
        The format: an extension, with or without its dot, in any case
        (``json``, ``.md``, ``HTML``).
    kind
        What will be written (as for
        [`output_format`][buddymatch.render.output_format]).
    source
        What to call the name in the problem (the option that gave it).

    Returns
    -------
    str
        The extension, lower case, with its dot, aliases resolved.

    Raises
    ------
    InputError
        If *name* is no format of that kind; the fix lists the ones there
        are.
    """
    formats = _FORMATS[kind]
    written = "." + name.strip().lower().removeprefix(".")
    suffix = formats.aliases.get(written, written)
    if suffix not in formats.writers:
        names = [n.removeprefix(".") for n in formats.writers]
        raise InputError(
            [
                InputProblem(
                    "command line",
                    None,
                    source,
                    f"unknown {formats.unknown} format {name!r}",
                    "choose " + ", ".join(names[:-1]) + f" or {names[-1]}",
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
    if isinstance(obj, BuddyExplanation):
        return "buddy explanation"
    raise TypeError(
        f"write_output cannot write a {type(obj).__name__}: give a Result, "
        "a Map of one, an explanation, Terms or a RematchResult"
    )


#: Everything [`write_output`][buddymatch.render.write_output] and
#: `render_output` write.
Output = (
    Result
    | Map
    | Terms
    | ResultExplanation
    | PairExplanation
    | BuddyExplanation
    | RematchResult
)


def write_output(
    obj: Output,
    path: str | os.PathLike[str],
    **options: Any,
) -> Path:
    """Write *obj* in the format named by *path*'s extension.

    The file is written atomically: readers see the old file or the new
    one, never half of either.

    Parameters
    ----------
    obj
        A [`Result`][buddymatch.result.Result] (``.csv`` pairings, text
        cells spreadsheet-safe; ``.json``; ``.md`` report), a
        [`Map`][buddymatch.render.Map]
        of one (``.svg``, ``.html`` or ``.htm``, ``.png``), an explanation
        from ``explain_result``, ``explain_need``, ``explain_pair`` or
        ``explain_buddy`` (``.md``, ``.html``, ``.json``),
        [`Terms`][buddymatch.terms_model.Terms] (``.md``,
        ``.json``) or a [`RematchResult`][buddymatch.rematch.RematchResult]
        (``.csv``
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
    kind = _checked_options(obj, options, "write_output")
    suffix = output_format(path, kind)
    target = Path(path)
    data = _FORMATS[kind].writers[suffix](
        obj, target=os.fspath(path), **options
    )
    if isinstance(data, bytes):
        write_bytes_atomic(target, data)
    else:
        write_text_atomic(target, data)
    return target


def render_output(
    obj: Output, format: str, *, target: str = STDOUT_NAME, **options: Any
) -> str | bytes:
    """Return what [`write_output`][buddymatch.render.write_output] would
    write, without a file.

    Parameters
    ----------
    obj
        As for [`write_output`][buddymatch.render.write_output].
    format
        The format: an extension such as ``.json`` or ``json`` (see
        `named_format`).
    target
        What the output is for, named in errors (default
        ``<stdout>``).
    **options
        As for [`write_output`][buddymatch.render.write_output].

    Returns
    -------
    str or bytes
        The text, or the bytes of a binary format (a PNG map).

    Raises
    ------
    InputError
        For a format *obj*'s kind has not, or a map's own input errors.
    TypeError
        As for [`write_output`][buddymatch.render.write_output].
    """
    kind = _checked_options(obj, options, "render_output")
    suffix = named_format(format, kind, source="format")
    return _FORMATS[kind].writers[suffix](obj, target=target, **options)


def _checked_options(
    obj: object, options: Mapping[str, Any], caller: str
) -> OutputKind:
    """Return the kind of *obj*; raise TypeError for an option it has
    not."""
    kind = _kind_of(obj)
    formats = _FORMATS[kind]
    unknown = sorted(set(options) - set(formats.options))
    if unknown:
        takes = ", ".join(formats.options) or "none"
        raise TypeError(
            f"{caller} has no option {unknown[0]!r} for a {kind} "
            f"(its options: {takes})"
        )
    return kind


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
