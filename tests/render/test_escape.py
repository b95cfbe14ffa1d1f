"""One escaping module: every writer escapes through ``buddymatch.escape``.

The rules themselves are tested where the formats are (reports, maps,
frames, explanations); here: what each function does at its edges, and a
scan of the sources that no module escapes markup on its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from buddymatch.escape import (
    html_escape,
    md_escape,
    xml_escape,
)

SOURCE = Path(__file__).resolve().parents[2] / "src" / "buddymatch"
ESCAPE = SOURCE / "escape.py"

# Ways of escaping markup by hand: the standard library's escapers and the
# character references they write.
_HAND_ESCAPING = re.compile(
    r"\bhtml\.escape\b|^\s*import html\b|^\s*from html import"
    r"|xml\.sax\.saxutils|markupsafe"
    r"|&amp;|&lt;|&gt;|&quot;|&#39;|&#x27;",
    re.MULTILINE,
)

#: Modules that write Markdown, HTML or SVG, and the escaping they use.
_WRITERS = {
    "display.py": "html_escape",
    "render/explanation.py": None,  # through the outline
    "render/map.py": "xml_escape",
    "render/outline.py": "html_escape",
    "render/report.py": "md_escape",
    "render/terms.py": "md_escape",
}


def test_only_render_escape_escapes_markup() -> None:
    found = [
        f"{path.relative_to(SOURCE)}: {match.group(0).strip()}"
        for path in sorted(SOURCE.rglob("*.py"))
        if path != ESCAPE
        for match in _HAND_ESCAPING.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


@pytest.mark.parametrize(("module", "function"), sorted(_WRITERS.items()))
def test_writers_escape_through_render_escape(
    module: str, function: str | None
) -> None:
    text = (SOURCE / module).read_text(encoding="utf-8")
    if function is None:
        assert "from buddymatch.render.outline import" in text
    else:
        assert re.search(
            rf"from buddymatch\.escape import .*\b{function}\b", text
        )


def test_markdown() -> None:
    assert md_escape("a\nb\r\n c") == "a b c"
    assert md_escape("<b>|*_`[x]~\\") == (
        "&lt;b&gt;\\|\\*\\_\\`\\[x\\]\\~\\\\"
    )


def test_html_and_xml() -> None:
    hostile = "<a href='x'>&\"</a>"
    assert html_escape(hostile) == (
        "&lt;a href=&#x27;x&#x27;&gt;&amp;&quot;&lt;/a&gt;"
    )
    assert xml_escape(hostile) == (
        "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
    )
    # XML 1.0 forbids these even as references: they are replaced.
    assert xml_escape("a\x00b\x1bc\ufffe") == "a\ufffdb\ufffdc\ufffd"
    assert xml_escape(3) == "3"
