"""Screenshot what buddymatch shows a person, to look at before a release.

Proposes buddies for the bundled example, then writes and screenshots,
with headless Chromium, the pages a user opens:

- ``explanation.html``: why these buddies (``buddymatch explain --out``);
- ``map.html``: the map and its pairings table (``buddymatch map``);
- ``terms.html``: the first partnership's terms of reference, from the
  built-in template and from ``examples/terms_letterhead.md.j2``
  (``terms-letterhead.html``), their Markdown shown as HTML by the
  ``markdown`` package when it is installed (the docs extra has it), else
  as plain text;
- ``map.png``: the PNG map (needs the ``map`` extra), copied as it is;
- with ``--site DIR`` (a site built by ``mkdocs build --site-dir DIR``):
  the docs' home, CLI and API reference pages, to check that the
  reference shows cross-references and wrapped signatures, not raw roles.

Every page is written next to its screenshot (``*.png``) in the output
folder, which is not part of the repository: look at the pictures, never
commit them.  Usage::

    python tools/screenshot.py                 # into ./screenshots
    python tools/screenshot.py --out /tmp/shots --width 1280
    python tools/screenshot.py --site /tmp/site   # also the docs site

Chromium is looked for as ``chromium``, ``chromium-browser``,
``google-chrome``, or wherever ``--chromium`` says.
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import buddymatch as bm
from buddymatch.errors import MissingDependencyError
from buddymatch.explain import explain_result
from buddymatch.render import Map, write_output
from buddymatch.render.terms import render_terms_markdown

ROOT = Path(__file__).resolve().parent.parent
_BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# A plain page for the terms, in the map page's type and colours.
_TERMS_CSS = """
body { font-family: DejaVu Sans, Verdana, Helvetica, Arial, sans-serif;
       color: #222; margin: 1.5rem; max-width: 60rem; line-height: 1.45; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; }
pre { white-space: pre-wrap; }
"""


#: Pages of the docs site shot with ``--site``.
_SITE_PAGES = (
    "index.html",
    "cli/index.html",
    "architecture/index.html",
    "reference/solve/index.html",
    "reference/explain/index.html",
)


def _markdown_page(text: str, title: str) -> str:
    """Return Markdown *text* as an HTML page (plain text without the
    ``markdown`` package)."""
    try:
        import markdown  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        body = f"<pre>{html.escape(text)}</pre>"
    else:
        body = markdown.markdown(text, extensions=["tables"])
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_TERMS_CSS}</style>"
        f"</head><body>\n{body}\n</body></html>\n"
    )


def _shoot(
    browser: str, page: Path, picture: Path, width: int, height: int
) -> None:
    """Screenshot *page* into *picture* with headless Chromium."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",  # running as root in a container
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={picture}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main(argv: list[str] | None = None) -> int:
    """Write the example's pages and screenshot them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=1600)
    parser.add_argument("--time-limit", type=float, default=5.0)
    parser.add_argument("--chromium", help="the browser to run")
    parser.add_argument(
        "--site", type=Path, help="a built docs site to screenshot too"
    )
    args = parser.parse_args(argv)
    browser = args.chromium or next(
        (b for b in _BROWSERS if shutil.which(b)), None
    )
    if browser is None:
        print("no Chromium found; give --chromium PATH", file=sys.stderr)
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    folder = bm.example_dir()
    policy = bm.read_policy(folder / "policy.toml")
    problem = bm.read_problem(
        folder / "trusts.csv", relations=folder / "relations.csv"
    )
    result = bm.propose(
        problem, policy, time_limit=args.time_limit, deterministic=True
    )
    if bm.verify(problem, policy, result):
        print("the proposal fails verification", file=sys.stderr)
        return 1

    pages = ["explanation.html", "map.html"]
    write_output(
        explain_result(problem, policy, result, time_limit=args.time_limit),
        out / "explanation.html",
    )
    write_output(Map(result), out / "map.html")
    terms = bm.terms_for(result, result.partnerships[0], policy)
    for name, template in (
        ("terms.html", None),
        ("terms-letterhead.html", ROOT / "examples/terms_letterhead.md.j2"),
    ):
        text = render_terms_markdown(terms, template=template)
        (out / name).write_text(
            _markdown_page(text, "Terms of reference"), encoding="utf-8"
        )
        pages.append(name)
    for name in pages:
        page = out / name
        picture = out / f"{name}.png"  # map.html.png beside map.png
        _shoot(browser, page, picture, args.width, args.height)
        print(f"written: {picture}")
    if args.site is not None:
        for page in _SITE_PAGES:
            picture = out / ("site-" + page.replace("/", "-") + ".png")
            _shoot(
                browser,
                args.site / page,
                picture,
                args.width,
                args.height,
            )
            print(f"written: {picture}")
    try:
        write_output(Map(result), out / "map.png")
        print(f"written: {out / 'map.png'}")
    except MissingDependencyError as exc:
        print(f"skipped map.png: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
