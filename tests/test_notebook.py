"""examples/quickstart.ipynb: stored clean, and it runs from top to bottom.

Running it needs nbclient, nbformat and ipykernel (``pip install -e
".[notebook]"``); without them that test is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).parent.parent / "examples" / "quickstart.ipynb"


def test_the_notebook_is_stored_without_outputs() -> None:
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code
    for cell in code:
        assert cell["outputs"] == []
        assert cell["execution_count"] is None
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


def test_the_notebook_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from jupyter_client import KernelManager

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel talks over local sockets, made in the test's own folder.
    monkeypatch.chdir(tmp_path)
    kernel = KernelManager(kernel_name="python3", transport="ipc")
    client = nbclient.NotebookClient(
        notebook,
        km=kernel,
        timeout=120,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError on any failing cell

    outputs = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    ]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = [o.get("data", {}) for o in outputs]
    html = " ".join(d.get("text/html", "") for d in shown)
    assert "buddymatch problem" in html
    assert "buddymatch result" in html
    if any("render_svg(" in cell.source for cell in notebook.cells):
        (svg,) = [d["image/svg+xml"] for d in shown if "image/svg+xml" in d]
        assert "<svg" in svg
