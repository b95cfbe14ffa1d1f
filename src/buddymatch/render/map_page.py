"""The map as a web page and as a picture: HTML around the SVG, and PNG.

The HTML page embeds the SVG drawing
([`buddymatch.render.map`][buddymatch.render.map]) with
a pairings table; the PNG is the same SVG rasterised by ``resvg-py``
(optional, wheel-only;
[`MissingDependencyError`][buddymatch.errors.MissingDependencyError]
when it or a usable font is missing).
"""

from __future__ import annotations

from typing import Any

from buddymatch.errors import (
    MissingDependencyError,
)
from buddymatch.escape import xml_escape as _x
from buddymatch.render.map import FONT, Roles, full_name, render_svg
from buddymatch.result import (
    Result,
)
from buddymatch.wording import area_words

# ---------------------------------------------------------------------------
# HTML and PNG
# ---------------------------------------------------------------------------

_CSS = """
body { font-family: DejaVu Sans, Verdana, Helvetica, Arial, sans-serif;
       color: #222; margin: 1.5rem; }
figure { margin: 0; }
svg { max-width: 100%; height: auto; }
line.assignment:hover { stroke-width: 6; stroke-opacity: 1; }
g.trust:hover rect, g.trust:hover circle { stroke-width: 3; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem;
         text-align: left; }
td.n { text-align: right; }
td.area { white-space: nowrap; }
.swatch { display: inline-block; width: 1.4em; height: 0.35em;
          vertical-align: middle; margin-right: 0.4em; }
""".strip()


def render_html(
    result: Result,
    *,
    width: int = 900,
    title: str = "Buddying proposal",
) -> str:
    """Return a self-contained HTML page: the map and the pairings table.

    The page links nothing (no script, style sheet, font or map tile), so
    it opens offline and can be mailed as one file.  Hovering a line or a
    trust shows its details (seeker, buddy, area, minutes, culture fit,
    score).

    Parameters
    ----------
    result
        The proposal.
    width
        Width of the map in pixels (480-4000).
    title
        Page title and map heading.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    InputError
        If the result names a trust missing from ``result.trusts``.
    ValueError
        If *width* is out of range.
    """
    svg = render_svg(result, width=width, title=title)
    roles = Roles.of(result)
    rows = []
    for a in sorted(
        result.assignments, key=lambda a: (a.seeker, a.area, a.buddy)
    ):
        colour, _ = roles.style(a.area)
        rows.append(
            "<tr>"
            f"<td>{_x(full_name(roles.trusts[a.seeker]))}</td>"
            f'<td class="area"><span class="swatch" '
            f'style="background:{colour}"></span>'
            f"{_x(area_words(a.area))}</td><td>{_x(a.tier)}</td>"
            f"<td>{_x(full_name(roles.trusts[a.buddy]))}</td>"
            f'<td class="n">{a.travel_minutes:.0f}</td>'
            f'<td class="n">{a.culture_fit:.2f}</td>'
            f'<td class="n">{a.expertise}</td>'
            f'<td class="n">{a.score:.2f}</td></tr>'
        )
    unmet_rows = [
        "<tr>"
        f"<td>{_x(full_name(roles.trusts[u.seeker]))}</td>"
        f"<td>{_x(area_words(u.area))}</td><td>{_x(u.tier)}</td>"
        f'<td class="n">{u.priority}</td><td>{_x(u.detail)}</td></tr>'
        for u in sorted(result.unmet, key=lambda u: (u.seeker, u.area))
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_x(title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<figure>\n{svg}</figure>",
        f"<pre>{_x(result.summary())}</pre>",
        "<h2>Pairings</h2>",
    ]
    if rows:
        parts += [
            "<table>",
            "<thead><tr><th>seeker</th><th>area</th><th>tier</th>"
            "<th>buddy</th><th>minutes</th><th>culture fit</th>"
            "<th>expertise</th><th>score</th></tr></thead>",
            "<tbody>",
            *rows,
            "</tbody></table>",
        ]
    else:
        parts.append("<p>No pairings were proposed.</p>")
    parts.append("<h2>Unmet needs</h2>")
    if unmet_rows:
        parts += [
            "<table>",
            "<thead><tr><th>seeker</th><th>area</th><th>tier</th>"
            "<th>priority</th><th>reason</th></tr></thead>",
            "<tbody>",
            *unmet_rows,
            "</tbody></table>",
        ]
    else:
        parts.append("<p>Every need is met.</p>")
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


_PNG_FIX = (
    "pip install 'buddymatch[map]' (or pip install resvg-py), or write "
    ".svg or .html instead"
)
_FONT_FIX = (
    "install a sans-serif font: DejaVu Sans (apt-get install "
    "fonts-dejavu-core; dnf install dejavu-sans-fonts; apk add "
    "font-dejavu) or Liberation or Noto Sans; or write .svg or .html "
    "instead, which the browser draws with its own fonts"
)
#: Fonts tried for the generic ``sans-serif`` at the end of the map's font
#: list when none it names is installed: resvg takes ``sans-serif`` to mean
#: Arial alone, so a Linux machine with, say, only Noto Sans would draw no
#: text at all.
_FALLBACK_FONTS = (
    "DejaVu Sans",
    "Liberation Sans",
    "Noto Sans",
    "Arial",
    "Helvetica",
    "Verdana",
    "FreeSans",
    "Roboto",
    "Open Sans",
    "Ubuntu",
    "Cantarell",
    "Segoe UI",
)
#: Options given to every resvg call (tests drop the system fonts here).
_RESVG_OPTIONS: dict[str, Any] = {}
# The font options that draw text on this machine, found once per process.
_FONT_OPTIONS: dict[str, Any] | None = None


def load_resvg(file: str) -> Any:
    """Import resvg and find a font for the map's text, or say what is
    missing.

    resvg draws text only with fonts installed on the machine and draws
    nothing, silently, where it finds none: a map without labels.  So a
    one-letter probe is drawn in the map's fonts (then, if blank, with
    each of a few common fonts standing in for ``sans-serif``); the first
    that draws is used for every PNG of the process.

    Parameters
    ----------
    file
        The file that needs it, named in the error.

    Returns
    -------
    module
        The ``resvg_py`` module.

    Raises
    ------
    MissingDependencyError
        If resvg-py is not installed, or no font on this machine can draw
        the map's text (with the system package that supplies one).
    """
    global _FONT_OPTIONS
    try:
        import resvg_py  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        raise MissingDependencyError(
            "resvg-py", f"writing {file}", _PNG_FIX, str(exc)
        ) from None
    if _FONT_OPTIONS is None:
        found = _find_font(resvg_py)
        if found is None:
            raise MissingDependencyError(
                "fonts-dejavu-core",
                f"writing {file}",
                _FONT_FIX,
                "resvg found no font for the map's text (looked for "
                f"{FONT} and {', '.join(_FALLBACK_FONTS[1:])})",
            )
        _FONT_OPTIONS = found
    return resvg_py


def _find_font(resvg: Any) -> dict[str, Any] | None:
    """Return the resvg options that draw the map's text, or ``None``."""
    head = '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24">'
    probe = (
        f'{head}<text x="2" y="18" font-size="18" font-family="{FONT}">'
        "M</text></svg>"
    )
    blank = resvg.svg_to_bytes(svg_string=f"{head}</svg>", **_RESVG_OPTIONS)
    for family in (None, *_FALLBACK_FONTS):
        options = {} if family is None else {"sans_serif_family": family}
        drawn = resvg.svg_to_bytes(
            svg_string=probe, **_RESVG_OPTIONS, **options
        )
        if drawn != blank:  # same size, so any ink changes the bytes
            return options
    return None


def render_png(
    result: Result,
    *,
    width: int = 900,
    title: str = "Buddying proposal",
    scale: float = 2.0,
) -> bytes:
    """Return the map as PNG bytes (needs the optional ``resvg-py``).

    resvg draws the same SVG as [render_svg][buddymatch.render.map.render_svg]
    with the machine's own fonts (see
    [load_resvg][buddymatch.render.map_page.load_resvg]); it is one wheel with
    no system library to install.

    Parameters
    ----------
    result
        The proposal.
    width
        Width of the map in SVG pixels (480-4000).
    title
        Heading drawn above the map.
    scale
        Device pixels per SVG pixel; 2 gives a sharp picture on
        high-density screens.

    Returns
    -------
    bytes
        The PNG file's content.

    Raises
    ------
    MissingDependencyError
        If ``resvg-py`` is not installed, or the machine has no font to
        draw the text with, saying what to install.
    InputError
        If the result names a trust it does not carry.
    """
    resvg = load_resvg("PNG")
    svg = render_svg(result, width=width, title=title)
    png = resvg.svg_to_bytes(
        svg_string=svg, zoom=scale, **_RESVG_OPTIONS, **(_FONT_OPTIONS or {})
    )
    assert isinstance(png, bytes)
    return png
