"""A map of a proposal: trusts at their sites, each pairing as a line.

Drawing moved to [`buddymatch.render.map`][buddymatch.render.map] and writing
to
[`buddymatch.render.write_output`][buddymatch.render.write_output]; this module
reads a result back
([`read_result`][buddymatch.mapping.read_result]) and keeps the names it always
offered.

    from buddymatch.mapping import read_result, write_map

    write_map(read_result("result.json"), "map.svg")  # .svg .html .png
"""

from __future__ import annotations

import os

from buddymatch.io.result_json import read_result_json
from buddymatch.render import MAP_FORMATS, check_map_path, write_map
from buddymatch.render.map import AREA_COLOURS, render_svg, short_name
from buddymatch.render.map import check_trusts as _check_trusts
from buddymatch.render.map_page import render_html, render_png
from buddymatch.result import Result

__all__ = [
    "AREA_COLOURS",
    "MAP_FORMATS",
    "check_map_path",
    "read_result",
    "render_html",
    "render_png",
    "render_svg",
    "short_name",
    "write_map",
]


def read_result(path: str | os.PathLike[str]) -> Result:
    """Read a result from the JSON that ``propose --out x.json`` writes.

    Parameters
    ----------
    path
        The JSON file.

    Returns
    -------
    Result
        The result, checked to carry a site for every trust it names.

    Raises
    ------
    InputError
        When the file is missing, too large, not UTF-8, not JSON or not a
        result; each problem's ``line`` is the field path (e.g.
        ``"trusts.3.lat"``), or the physical line of a JSON syntax error.
    """
    result = read_result_json(
        path, fix="map the JSON file that buddymatch propose --out wrote"
    )
    _check_trusts(result, os.fspath(path))
    return result
