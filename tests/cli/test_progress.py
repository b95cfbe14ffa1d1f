"""What a search shows while it runs, and what a log keeps of it.

The engine reports its phase and best proposal so far as
[ProgressEvent][buddymatch.params.ProgressEvent]s; the command line draws
them as a live bar on a terminal, prints one line when stderr is not a
terminal, and never wraps a log at 80 columns.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

import buddymatch as bm
from buddymatch.cli import app
from buddymatch.cli.progress import _best_words, _final_line
from buddymatch.params import ProgressEvent
from buddymatch.synth import preset
from conftest import make_trust, solve_verified

runner = CliRunner()


class _Events:
    """Collects the events of one call (from any thread)."""

    def __init__(self) -> None:
        self.seen: list[ProgressEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self.seen.append(event)

    @property
    def phases(self) -> list[str]:
        """The phases in the order they began."""
        order: list[str] = []
        for event in self.seen:
            if not order or order[-1] != event.phase:
                order.append(event.phase)
        return order


def _check_numbers(events: _Events, result: bm.Result) -> None:
    needs = {c.priority: c.total for c in result.coverage}
    for event in events.seen:
        assert event.elapsed >= 0
        assert event.time_limit == 20.0
        if event.phase != "candidates":
            assert dict(event.needs) == needs
        for priority, met in event.cover.items():
            assert 0 <= met <= needs[priority]
        if event.bound is not None:
            assert event.quality is not None and event.gap is not None
            assert event.bound >= event.quality - 1e-6
            assert event.gap == pytest.approx(
                abs(event.bound - event.quality) / max(1, abs(event.quality))
            )


def test_a_search_reports_each_phase_and_its_best_so_far() -> None:
    events = _Events()
    result = solve_verified(preset("nhs"), events=events)
    phases = events.phases
    assert phases[:2] == ["candidates", "warm start"]
    assert "quality" in phases and phases[-1] == "result"
    # The first seconds are not silent: the warm start's cover and
    # quality are known before CP-SAT starts.
    warm = next(e for e in events.seen if e.phase == "warm start" and e.cover)
    assert warm.quality is not None and warm.bound is None
    _check_numbers(events, result)
    # The last report is the proposal returned, with its proven bound.
    last = events.seen[-1]
    assert dict(last.cover) == {c.priority: c.covered for c in result.coverage}
    assert last.quality == pytest.approx(result.objective)
    assert result.status == "optimal" and last.bound == pytest.approx(
        result.bound
    )


def test_the_flow_reports_its_proposal_once() -> None:
    # One need per seeker, one area: a transportation problem.  Seekers
    # near Coventry, buddies in Oxford, Sheffield and Cambridge.
    places = [(51.75, -1.26), (53.38, -1.47), (52.20, 0.12)]
    buddies = [
        make_trust(f"B{i}", *place, capacity=1, expertise={"finance": 5})
        for i, place in enumerate(places)
    ]
    seekers = [
        make_trust(f"S{j}", 52.41 + 0.05 * j, -1.51, expertise={"finance": 1})
        for j in range(4)
    ]
    problem = bm.Problem(
        trusts=(*buddies, *seekers),
        needs=tuple(bm.Need(seeker=f"S{j}", area="finance") for j in range(4)),
    )
    events = _Events()
    legacy: list[tuple[float, float, float, float]] = []
    result = solve_verified(
        problem, events=events, progress=lambda *a: legacy.append(a)
    )
    assert result.solver["backend"] == "min-cost-flow"
    assert events.phases == ["candidates", "flow"]
    _check_numbers(events, result)
    assert len(legacy) == 1
    assert legacy[0][1] == legacy[0][2] == pytest.approx(result.objective)
    last = events.seen[-1]
    assert sum(last.cover.values()) == 3  # three buddies of capacity 1
    assert last.gap == 0.0


def test_the_live_line_shows_cover_quality_bound_and_gap() -> None:
    base = ProgressEvent(
        phase="cover priority 2",
        elapsed=3.0,
        time_limit=30.0,
        needs={3: 225, 2: 519, 1: 256},
        cover={3: 223, 2: 440},
    )
    line = _best_words(base)
    assert "priority 3: 223/225 · priority 2: 440/519" in line
    assert "priority 1: …" in line  # not known while priority 2 runs
    assert "bound" not in line
    assert _best_words(None) == "no proposal yet"
    quality = ProgressEvent(
        phase="quality",
        elapsed=9.0,
        time_limit=30.0,
        needs={1: 4},
        cover={1: 3},
        quality=250.0,
        bound=260.0,
        gap=0.04,
    )
    assert "quality 250.0   bound 260.0   gap 4.0%" in _best_words(quality)
    # On a shortlist no bound is proven, and the line says so.
    shortlist = ProgressEvent(
        phase="quality (shortlist)",
        elapsed=9.0,
        time_limit=30.0,
        needs={1: 4},
        cover={1: 3},
        quality=250.0,
    )
    assert "no proven bound" in _best_words(shortlist)


def _result(status: str, **fields: object) -> bm.Result:
    coverage = (
        bm.Coverage(priority=2, covered=40, total=45, bound=44),
        bm.Coverage(priority=1, covered=5, total=7, bound=7),
    )
    return bm.Result(
        status=status,  # type: ignore[arg-type]
        coverage=coverage,
        runtime=12.34,
        **fields,  # type: ignore[arg-type]
    )


def test_the_final_line_says_how_the_search_ended() -> None:
    solved = _result("optimal", objective=1234.5, bound=1234.5, gap=0.0)
    assert _final_line(solved, stopped=False) == (
        "solved in 12.3 s: optimal, 45/52 needs met, quality 1,234.5, gap 0.0%"
    )
    cut = _result("feasible", objective=1000.0)
    assert _final_line(cut, stopped=True) == (
        "stopped by the user after 12.3 s: the best proposal so far, "
        "feasible (not proven optimal), 45/52 needs met, quality "
        "1,000.0, no proven bound"
    )
    nothing = bm.Result(status="no_solution", runtime=0.5)
    assert _final_line(nothing, stopped=True) == (
        "stopped by the user after 0.5 s: no proposal found"
    )
    assert _final_line(nothing, stopped=False) == (
        "searched for 0.5 s: no proposal found"
    )


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    bm.write_example(folder)
    return folder


def _inputs(folder: Path) -> list[str]:
    return [
        str(folder / "trusts.csv"),
        "--relations",
        str(folder / "relations.csv"),
        "--policy",
        str(folder / "policy.toml"),
        "--deterministic",
    ]


def test_a_log_gets_one_final_line_and_no_bar(example: Path) -> None:
    done = runner.invoke(app, ["propose", *_inputs(example)])
    assert done.exit_code in (0, 1), done.output
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("solved in ") and "needs met" in lines[0]
    assert "s left" not in done.output and "searching" not in done.output
    quiet = runner.invoke(app, ["propose", *_inputs(example), "--quiet"])
    assert quiet.stderr == ""


def test_a_terminal_gets_the_live_bar(tmp_path: Path) -> None:
    pytest.importorskip("termios")
    from pseudo_terminal import Terminal

    # "national" searches for the whole limit: the bar has time to show.
    bm.write_problem_csv(preset("national"), tmp_path)
    args = [
        "propose",
        str(tmp_path / "trusts.csv"),
        "--relations",
        str(tmp_path / "relations.csv"),
        "--time-limit",
        "3",
    ]
    terminal = Terminal(args, columns=100)
    try:
        terminal.wait_exit()
    finally:
        terminal.close()
    shown = terminal.output
    assert terminal.code in (0, 1), shown[-2000:]
    for words in (
        "cover priority",  # the phase
        "of 3 s",  # the time limit
        "s left",
        "met priority 3: ",  # the cover of the best so far
        "quality ",
        "solved in",  # the last line
    ):
        assert words in shown, words


def _piped(args: list[str]) -> str:
    """Run the command with stdout and stderr piped, as into a log."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("COLUMNS", None)
    done = subprocess.run(
        [sys.executable, "-m", "buddymatch", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        env=env,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def test_a_log_is_not_wrapped_at_80_columns(example: Path) -> None:
    out = _piped(["propose", *_inputs(example)])
    result = solve_verified(
        bm.read_problem(
            example / "trusts.csv", relations=example / "relations.csv"
        ),
        bm.read_policy(example / "policy.toml"),
        time_limit=10.0,
        deterministic=True,
    )
    lines = out.splitlines()
    # Each unmet need's reason (a long sentence) stays whole in its
    # table row, and the summary's cover stays on one line.
    assert max(len(unmet.detail) for unmet in result.unmet) > 80
    for unmet in result.unmet:
        assert any(unmet.detail in line for line in lines), unmet.detail
    cover = next(
        line
        for line in result.summary().splitlines()
        if line.startswith("needs covered")
    )
    assert cover in lines
