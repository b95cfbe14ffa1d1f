"""Ctrl-C and SIGTERM stop a running ``buddymatch propose``, as a person
or a service manager would send them.

Each test runs the command in a pseudo-terminal (so that it draws its
progress bar, and Ctrl-C is a keystroke the terminal turns into SIGINT),
waits until the search is running, and signals it.  The first signal
stops the search and writes the best proposal so far, saying so; a
second aborts with exit 130 and writes nothing.  The issue's acceptance
is an exit within 2 s of the signal: it is asserted with a generous
bound, for a shared machine; ``buddymatch propose`` prints the figure.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import buddymatch as bm
from buddymatch.io import read_problem
from buddymatch.synth import preset

# Pseudo-terminals are POSIX.
pytest.importorskip("termios")
from pseudo_terminal import Terminal

#: Seconds from the signal to the exit, at most (the issue asks for 2;
#: the bound leaves room for a loaded machine).
EXIT_WITHIN = 10.0
#: Seconds after the start at which the signal is sent.
SEARCHING = 3.0
NOTICE = "stopping: finishing with the best proposal so far"


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The "national" benchmark (200 seekers, 1000 buddies) as CSV: its
    search runs for the whole time limit."""
    folder = tmp_path_factory.mktemp("national")
    bm.write_problem_csv(preset("national"), folder)
    return folder


@contextlib.contextmanager
def _propose(
    folder: Path, out: Path, time_limit: int = 30
) -> Iterator[Terminal]:
    terminal = Terminal(
        [
            "propose",
            str(folder / "trusts.csv"),
            "--relations",
            str(folder / "relations.csv"),
            "--time-limit",
            str(time_limit),
            "--out",
            str(out),
        ]
    )
    try:
        yield terminal
    finally:
        terminal.close()


def _searching(terminal: Terminal, seconds: float = SEARCHING) -> None:
    """Wait until the search has run for a while (on "national", CP-SAT
    runs from the first second)."""
    end = terminal.started + seconds
    while time.monotonic() < end and terminal.read(0.01):
        pass


def _check_written(folder: Path, out: Path, terminal: Terminal) -> None:
    """The proposal so far was written, verified and said to be so."""
    assert terminal.code in (0, 1), terminal.output[-3000:]
    assert out.exists(), terminal.output[-3000:]
    result = bm.Result.from_json(out.read_text(encoding="utf-8"))
    problem = read_problem(
        folder / "trusts.csv", relations=folder / "relations.csv"
    )
    assert bm.verify(problem, bm.Policy(), result) == []
    assert result.solver["stopped"] == "interrupt"
    assert result.status == "feasible"  # the limit was far away
    assert NOTICE in terminal.output
    assert "stopped by the user after" in terminal.output
    assert "the best proposal so far" in terminal.output


def test_ctrl_c_writes_the_best_proposal_so_far(
    national: Path, tmp_path: Path
) -> None:
    out = tmp_path / "result.json"
    with _propose(national, out) as terminal:
        _searching(terminal)
        terminal.press_ctrl_c()
        seconds = terminal.wait_exit()
    print(f"Ctrl-C to exit: {seconds:.2f} s")
    assert seconds < EXIT_WITHIN
    _check_written(national, out, terminal)


def test_sigterm_stops_like_ctrl_c(national: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    with _propose(national, out) as terminal:
        _searching(terminal)
        terminal.kill(signal.SIGTERM)
        seconds = terminal.wait_exit()
    print(f"SIGTERM to exit: {seconds:.2f} s")
    assert seconds < EXIT_WITHIN
    _check_written(national, out, terminal)


def test_ctrl_c_twice_aborts_and_writes_nothing(
    national: Path, tmp_path: Path
) -> None:
    out = tmp_path / "result.json"
    with _propose(national, out) as terminal:
        _searching(terminal)
        terminal.press_ctrl_c()
        terminal.wait_for(NOTICE, within=EXIT_WITHIN)
        terminal.press_ctrl_c()
        seconds = terminal.wait_exit()
    print(f"second Ctrl-C to exit: {seconds:.2f} s")
    assert seconds < EXIT_WITHIN
    assert terminal.code == 130, terminal.output[-3000:]
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no partial file either
    assert "interrupted" in terminal.output


def test_ctrl_c_reaches_the_decomposition(
    national: Path, tmp_path: Path
) -> None:
    # With a minute, "national" spends half of it bounding by the
    # decomposition, whose LP solver (CLP) takes SIGINT over while it
    # solves: the signal must still stop the run.
    out = tmp_path / "result.json"
    with _propose(national, out, time_limit=60) as terminal:
        terminal.wait_for("bounds")
        _searching(terminal, 4.0)
        terminal.press_ctrl_c()
        seconds = terminal.wait_exit()
    print(f"Ctrl-C to exit, bounding: {seconds:.2f} s")
    assert seconds < EXIT_WITHIN
    _check_written(national, out, terminal)


def test_the_handlers_before_are_restored() -> None:
    from buddymatch.cli.progress import _Stopping

    before = {
        number: signal.getsignal(number)
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    with _Stopping() as stopping, stopping.search():
        assert signal.getsignal(signal.SIGINT) is not before[signal.SIGINT]
        assert signal.getsignal(signal.SIGTERM) is not before[signal.SIGTERM]
    after = {number: signal.getsignal(number) for number in before}
    assert after == before
    assert signal.set_wakeup_fd(-1) == -1  # none left set


def test_numpys_threads_never_take_a_stop_signal() -> None:
    # In a fresh process (numpy not loaded yet), a command that solves
    # loads numpy with the stop signals held: every thread it starts
    # holds SIGINT and SIGTERM, so none can take a Ctrl-C that CLP's
    # handler would swallow during a decomposition LP.
    import subprocess
    import sys

    tasks = Path("/proc/self/task")
    if not tasks.exists():
        pytest.skip("needs /proc (Linux)")
    code = """
import os, signal, sys
assert "numpy" not in sys.modules
from buddymatch.cli.progress import _Stopping

with _Stopping():
    import numpy
    numpy.ones((300, 300)) @ numpy.ones((300, 300))
    me = os.getpid()
    for tid in os.listdir("/proc/self/task"):
        if int(tid) == me:
            continue  # the main thread: it takes the signals
        status = open(f"/proc/self/task/{tid}/status").read()
        mask = int(next(l for l in status.splitlines()
                        if l.startswith("SigBlk")).split()[1], 16)
        for number in (signal.SIGINT, signal.SIGTERM):
            assert mask & (1 << (number - 1)), (tid, hex(mask))
print("held", len(os.listdir("/proc/self/task")) - 1)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("held")
