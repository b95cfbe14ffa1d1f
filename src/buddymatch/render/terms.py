"""Terms of reference as files: Markdown or JSON, one per partnership.

The terms themselves, their dates and fees, are drafted by
[terms_for][buddymatch.terms_model.terms_for]; this module writes them.
[render_terms_markdown][buddymatch.render.terms.render_terms_markdown]
gives one partnership's terms as Markdown;
[write_terms][buddymatch.render.terms.write_terms] drafts and writes the
terms of every partnership of a result, named by
[terms_file_names][buddymatch.render.terms.terms_file_names].

The Markdown comes from a Jinja2 template, ``templates/terms.md.j2`` in
the package, which a trust may replace with its own letterhead and
wording ([load_terms_template][buddymatch.render.terms.load_terms_template],
``--template``).  A template is user input: it runs sandboxed, an unknown
variable is an error, and every value it prints is escaped for Markdown
([md_escape][buddymatch.escape.md_escape]) while its own text is not.
Jinja2 is imported on first use, so importing this module stays cheap.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from buddymatch.errors import BuddymatchError, InputError, InputProblem
from buddymatch.escape import md_escape
from buddymatch.io import write_file_set
from buddymatch.model import ID_PATTERN, MAX_ID_LENGTH, Policy
from buddymatch.result import Partnership, Result
from buddymatch.terms_model import (
    AreaTerms,
    Party,
    Review,
    Terms,
    terms_for,
)
from buddymatch.wording import area_words

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "DEFAULT_TERMS_TEMPLATE",
    "TermsTemplate",
    "load_terms_template",
    "render_terms_markdown",
    "terms_file_names",
    "write_terms",
]

_ID_RE = re.compile(ID_PATTERN)
# Names Windows keeps for devices, with any extension ("NUL.1--B.md" opens
# the NUL device there): a stem whose part before its first dot is one of
# them gets a leading "_", which no id starts with.
_DEVICE_NAME = re.compile(r"(?i)(?:con|prn|aux|nul|com[0-9]|lpt[0-9])")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _duration(months: int, days: int = 0) -> str:
    """``16 months``, ``1 month``, ``16 months and 12 days``."""
    parts = []
    if months or not days:
        parts.append(f"{months} month{'' if months == 1 else 's'}")
    if days:
        parts.append(f"{days} day{'' if days == 1 else 's'}")
    return " and ".join(parts)


def _money(amount: float) -> str:
    """Pounds, with pence only when there are any (``£20,000``)."""
    if round(amount, 2) == round(amount):
        return f"£{amount:,.0f}"
    return f"£{amount:,.2f}"


def _day(day: dt.date) -> str:
    """A date as ``1 April 2026`` (no locale involved)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


#: The built-in template's name; a template of your own may start with
#: ``{% extends "buddymatch/terms.md.j2" %}`` and replace its blocks.
DEFAULT_TERMS_TEMPLATE = "buddymatch/terms.md.j2"
_PACKAGE_PREFIX = "buddymatch/"
_TEMPLATE_FIX = (
    "correct the template (Jinja2 syntax; the variables and filters are "
    "listed in docs/terms.md), or leave --template out for the built-in one"
)


@dataclass(frozen=True)
class TermsTemplate:
    """A terms-of-reference template, parsed and ready to render.

    Made by
    [load_terms_template][buddymatch.render.terms.load_terms_template];
    load a template once to render the terms of many partnerships.

    Attributes
    ----------
    file
        The template's file as given, or ``None`` for the built-in one.
    """

    file: str | None
    _template: jinja2.Template

    def render(self, terms: Terms) -> str:
        """Return *terms* as Markdown written by this template.

        Parameters
        ----------
        terms
            Terms from [terms_for][buddymatch.terms_model.terms_for].

        Returns
        -------
        str
            The document; every value the template prints is escaped
            for Markdown.

        Raises
        ------
        InputError
            If a template of your own fails (an unknown variable, an
            unsafe attribute, a filter given the wrong value), with its
            file and line.
        """
        context = {
            "terms": terms,
            "seeker": terms.seeker,
            "buddy": terms.buddy,
            "areas": terms.areas,
            "interim_reviews": tuple(r for r in terms.reviews if not r.final),
            "final_review": terms.reviews[-1] if terms.reviews else None,
        }
        if self.file is None:
            # Ours: a failure is a bug, not the user's input.
            return self._template.render(context)
        try:
            return self._template.render(context)
        except Exception as exc:  # anything a user's template can raise
            raise _template_error(self.file, exc) from None


#: What ``template=`` accepts: a loaded template, a path, or ``None`` for
#: the built-in one.
TermsTemplateSource: TypeAlias = (
    "TermsTemplate | str | os.PathLike[str] | None"
)


def load_terms_template(
    path: str | os.PathLike[str] | None = None,
) -> TermsTemplate:
    """Read, parse and check a terms-of-reference template.

    The template is Jinja2 producing Markdown (``docs/terms.md`` lists its
    variables and filters).  It runs in Jinja2's sandbox, an undefined
    variable is an error, and every value it prints (``{{ ... }}``) is
    escaped for Markdown, so a trust named ``*x*`` or ``| x |`` shows as
    text; the template's own text is written as it stands.  It may begin
    with ``{% extends "buddymatch/terms.md.j2" %}`` and replace only the
    blocks it changes.  Once parsed, it is rendered once for a specimen
    partnership, so that a misspelt variable is reported before any
    solving.

    Parameters
    ----------
    path
        A UTF-8 template file, or ``None`` for the built-in
        ``templates/terms.md.j2``.

    Returns
    -------
    TermsTemplate
        The template, ready to render.

    Raises
    ------
    InputError
        If the file cannot be read, is not UTF-8, or the template has an
        error: the problem names the file, the line and Jinja2's message.
    """
    if path is None:
        return _builtin_template()
    file = os.fspath(path)
    try:
        source = Path(file).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _problem(file, None, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise _problem(
            file, None, f"cannot read the template: {reason}"
        ) from None
    env = _environment(file, source)
    try:
        template = TermsTemplate(file, env.get_template(_USER_TEMPLATE))
    except Exception as exc:  # a syntax error, a missing parent
        raise _template_error(file, exc) from None
    template.render(_SPECIMEN)  # raises InputError, naming file and line
    return template


def _template(source: TermsTemplateSource) -> TermsTemplate:
    """Return *source* as a loaded template (``None``: the built-in)."""
    if isinstance(source, TermsTemplate):
        return source
    return load_terms_template(source)


@functools.cache
def _builtin_template() -> TermsTemplate:
    return TermsTemplate(
        None, _environment(None, None).get_template(DEFAULT_TERMS_TEMPLATE)
    )


# The name a user's own template is loaded under: not a file name, so that
# no path, however spelt, can stand for the built-in one or for itself.
_USER_TEMPLATE = "<your template>"


def _environment(file: str | None, source: str | None) -> jinja2.Environment:
    """Return a sandboxed Jinja2 environment escaping values for Markdown.

    The loader knows the built-in templates (``buddymatch/...``) and, when
    *file* is given, the user's template under `_USER_TEMPLATE`;
    nothing else on disk can be included.
    """
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def load(name: str) -> tuple[str, str, Any] | None:
        if name == _USER_TEMPLATE and source is not None:
            return source, str(file), lambda: True
        if name.startswith(_PACKAGE_PREFIX):
            stem = name.removeprefix(_PACKAGE_PREFIX)
            item = resources.files("buddymatch").joinpath("templates", stem)
            if "/" not in stem and item.is_file():
                return item.read_text(encoding="utf-8"), name, lambda: True
        return None

    def markdown(value: object) -> object:
        # Jinja2's own autoescaping writes HTML entities, which leave `*`,
        # `_`, `|` and `[` free to start emphasis, links or table cells:
        # every printed value goes through md_escape instead.  A value
        # already marked (|safe, |e, a macro's or a block's output) is
        # Markdown the template made, and passes.
        if hasattr(value, "__html__"):
            return value
        return _Markdown(md_escape(str(value)))

    # Autoescaping stays on so that macros and blocks return marked text
    # (escaped once, not twice); ``finalize`` supplies the Markdown rule.
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FunctionLoader(load),
        autoescape=True,
        finalize=markdown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(
        {
            "e": markdown,
            "escape": markdown,
            "day": _day,
            "money": _money,
            "duration": _duration,
            "area_words": area_words,
        }
    )
    return env


class _Markdown(str):
    """Text already escaped for Markdown.

    Jinja2 prints an object with ``__html__`` as that method returns it,
    without escaping it again: the mark that ``finalize`` and ``|e`` put
    on what they escaped.
    """

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


def _template_line(exc: BaseException, file: str) -> tuple[str, int | None]:
    """Return the template file and line *exc* was raised at.

    Jinja2 reports a syntax error's line itself; for an error while
    rendering, it rewrites the traceback so that frames of template code
    carry the template's file name and line: the deepest such frame is
    where the template went wrong.
    """
    lineno = getattr(exc, "lineno", None)
    if lineno is not None:
        name = getattr(exc, "filename", None) or file
        return (file if name == _USER_TEMPLATE else name), lineno
    where: tuple[str, int | None] = (file, None)
    names = {file}
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        code_file = tb.tb_frame.f_code.co_filename
        if code_file in names or code_file.startswith(_PACKAGE_PREFIX):
            where = (code_file, tb.tb_lineno)
        tb = tb.tb_next
    return where


def _template_error(file: str, exc: BaseException) -> InputError:
    """Return *exc*, raised by the user's template, as an input error."""
    import jinja2

    at, line = _template_line(exc, file)
    if isinstance(exc, jinja2.TemplateNotFound):
        message = (
            f"there is no template {exc.name!r} to extend or include "
            f"(the built-in one is {DEFAULT_TERMS_TEMPLATE!r})"
        )
    elif isinstance(exc, jinja2.TemplateError):
        message = exc.message or type(exc).__name__
    else:
        message = f"{type(exc).__name__}: {exc}"
    # InputProblem adds its own full stop before the fix.
    message = message.rstrip(".")
    return InputError([InputProblem(at, line, None, message, _TEMPLATE_FIX)])


def _problem(file: str, line: int | None, message: str) -> InputError:
    return InputError([InputProblem(file, line, None, message, _TEMPLATE_FIX)])


# A partnership with every field set: a template is rendered for it once
# when loaded, so that its mistakes show before any solving.
_SPECIMEN = Terms(
    seeker=Party(id="S1", name="Seeker NHS Trust", role="seeker"),
    buddy=Party(id="B1", name="Buddy NHS Foundation Trust", role="buddy"),
    areas=(
        AreaTerms(
            area="governance",
            tier="light",
            workload=1,
            months=6,
            start=dt.date(2026, 4, 1),
            end=dt.date(2026, 9, 30),
            fee=5000.0,
        ),
        AreaTerms(
            area="quality_safety",
            tier="programme",
            workload=3,
            months=12,
            start=dt.date(2026, 4, 1),
            end=dt.date(2027, 3, 31),
            fee=20000.0,
        ),
    ),
    workload=4,
    fee=25000.0,
    months=12,
    start=dt.date(2026, 4, 1),
    end=dt.date(2027, 3, 31),
    reviews=(
        Review(date=dt.date(2026, 7, 1)),
        Review(date=dt.date(2026, 10, 1)),
        Review(date=dt.date(2027, 1, 1)),
        Review(date=dt.date(2027, 3, 31), final=True),
    ),
    coordination=("Each trust names a lead.",),
    termination="Either trust may end it by one month's written notice.",
    seeker_fees=25000.0,
    allowance=20000.0,
    within_allowance=False,
)


def render_terms_markdown(
    terms: Terms, template: TermsTemplateSource = None
) -> str:
    """Return the terms of reference as Markdown, user text escaped.

    Parameters
    ----------
    terms
        Terms from [terms_for][buddymatch.terms_model.terms_for].
    template
        A template of your own: a path to a Jinja2 file, or one loaded by
        [load_terms_template][buddymatch.render.terms.load_terms_template];
        default buddymatch's ``templates/terms.md.j2``.

    Returns
    -------
    str
        A Markdown document ending in a newline.

    Raises
    ------
    InputError
        If a template of your own cannot be read, parsed or rendered
        (naming its file and line).
    """
    return _template(template).render(terms)


def terms_file_names(result: Result) -> dict[tuple[str, str], str]:
    """Return the file name stem of each partnership's terms.

    ``<seeker>--<buddy>``; when two stems would name one file on a
    case-insensitive file system (``RXX--B1`` and ``rxx--B1``), or
    coincide because ids contain ``--``, the later partnership gets
    ``~2``, ``~3`` ... (``~`` never occurs in an id).  A stem that Windows
    would take for a device (``NUL.1--B1``: the part before the first dot
    is ``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM0``-``COM9`` or
    ``LPT0``-``LPT9``) starts with ``_``.  With ids of at most 64
    characters, names stay far below the 255 that file systems allow.

    Parameters
    ----------
    result
        The proposal.

    Returns
    -------
    dict
        (seeker, buddy) -> stem, in partnership order.

    Raises
    ------
    BuddymatchError
        If an id is not a valid trust id (a result edited by hand).
    """
    names: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    for p in result.partnerships:
        for tid in (p.seeker, p.buddy):
            if not _ID_RE.fullmatch(tid) or len(tid) > MAX_ID_LENGTH:
                raise BuddymatchError(
                    f"{tid[:80]!r} is not a valid trust id; terms of "
                    "reference files are named from ids"
                )
        stem = base = f"{p.seeker}--{p.buddy}"
        if _DEVICE_NAME.fullmatch(base.split(".", 1)[0]):
            stem = base = "_" + base
        copy = 1
        while stem.casefold() in taken:
            copy += 1
            stem = f"{base}~{copy}"
        taken.add(stem.casefold())
        names[(p.seeker, p.buddy)] = stem
    return names


def write_terms(
    result: Result,
    directory: str | os.PathLike[str],
    *,
    fmt: Literal["md", "json"] = "md",
    policy: Policy | None = None,
    start: dt.date | None = None,
    area_starts: Mapping[tuple[str, str, str], dt.date] | None = None,
    overwrite: bool = True,
    template: TermsTemplateSource = None,
) -> list[Path]:
    """Write one terms-of-reference file per partnership of *result*.

    Files are named ``<seeker>--<buddy>.md`` (or ``.json``), see
    [`terms_file_names`][buddymatch.render.terms.terms_file_names], and written
    inside *directory* (created if
    missing) as one set
    ([`buddymatch.io.write_file_set`][buddymatch.io.write_file_set]): every
    file or, if writing fails, none; a name can never leave it.

    Parameters
    ----------
    result
        The proposal.
    directory
        The folder to write into.
    fmt
        ``md`` (Markdown) or ``json``.
    policy
        As for [`terms_for`][buddymatch.render.terms.terms_for]; default
        ``result.policy``.
    start
        Start of new work; default the policy's start date, else today.
    area_starts
        (seeker, area, buddy) -> start, for arrangements already running.
    overwrite
        Replace files of the same name (a re-run refreshes its own
        files).  When false and any target exists, nothing is written.
    template
        For Markdown, a template of your own (a path, or one loaded by
        [load_terms_template][buddymatch.render.terms.load_terms_template]);
        default the built-in one.

    Returns
    -------
    list of Path
        The files written, in partnership order.

    Raises
    ------
    FileExistsError
        If *overwrite* is false and a target file exists.
    OutputError
        If *directory* cannot be written (a parent that is a file, no
        space left, permission denied); nothing new is left behind.
    BuddymatchError
        If a partnership names an invalid id.
    InputError
        If *template* cannot be read, parsed or rendered; nothing is
        written.
    ValueError
        If *fmt* is neither ``md`` nor ``json``, or a template is given
        for JSON.
    """
    if fmt not in ("md", "json"):
        raise ValueError(f"unknown terms format {fmt!r}; use 'md' or 'json'")
    if template is not None and fmt != "md":
        raise ValueError("a terms template writes Markdown: use fmt='md'")
    markdown = _template(template) if fmt == "md" else None
    folder = Path(directory)
    stems = terms_file_names(result)
    targets: list[tuple[Partnership, Path]] = []
    for p in result.partnerships:
        name = f"{stems[(p.seeker, p.buddy)]}.{fmt}"
        # Ids cannot hold a separator, but the guard costs nothing.
        if (
            Path(name).name != name
            or os.sep in name
            or (os.altsep and os.altsep in name)
        ):
            raise BuddymatchError(f"unsafe terms file name {name!r}")
        targets.append((p, folder / name))
    if not overwrite:
        existing = [str(path) for _, path in targets if path.exists()]
        if existing:
            raise FileExistsError(
                f"{', '.join(existing)} already "
                f"{'exist' if len(existing) > 1 else 'exists'}"
            )
    starts = area_starts or {}
    texts: dict[str, bytes] = {}
    for p, path in targets:
        terms = terms_for(
            result,
            p,
            policy,
            start=start,
            area_starts={
                area: day
                for (s, area, b), day in starts.items()
                if (s, b) == (p.seeker, p.buddy)
            },
        )
        text = (
            markdown.render(terms)
            if markdown is not None
            else terms.to_json() + "\n"
        )
        texts[path.name] = text.encode("utf-8")
    write_file_set(folder, texts)
    return [path for _, path in targets]
