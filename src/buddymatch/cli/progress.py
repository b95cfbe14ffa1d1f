"""Stopping and progress while a command solves: Ctrl-C and SIGTERM, the
live bar on a terminal and the one final line in logs.
"""

from __future__ import annotations

import _thread
import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.live import Live
from rich.table import Table

from buddymatch.cli.app import (
    STOP_NOTICE,
    err,
)
from buddymatch.cli.common import (
    _esc,
)

# The library (pydantic models, numpy, the solver, networkx) is imported
# inside the commands that use it, so ``buddymatch --help`` starts at once.
if TYPE_CHECKING:
    from buddymatch.params import (
        ProgressEvent,
    )
    from buddymatch.result import Result
    from buddymatch.solvers.interrupt import SignalWatch


class _Stopping:
    """Ctrl-C and SIGTERM in a command that solves.

    While the search runs (`search`), the first signal stops it
    (the engine returns its best proposal so far at once) and says so on
    stderr; the second aborts: KeyboardInterrupt, nothing written, exit
    130.  Before and after the search, any signal aborts.  The signals
    are heard on a thread of their own
    (`SignalWatch`) because the main
    thread may be inside CP-SAT, where a Python handler would wait for
    the stage to end; the handlers in place before are restored on exit.
    """

    def __init__(self) -> None:
        self.stop = threading.Event()
        self._notice = STOP_NOTICE
        self._abort = threading.Event()
        self._lock = threading.Lock()
        self._heard = 0
        self._solving = False
        self._searched = False
        self._aborted = ""  # what an abort says (KeyboardInterrupt)
        self._watch: SignalWatch | None = None

    def __enter__(self) -> _Stopping:
        from buddymatch.signals import STOP_SIGNALS, signals_held

        # Native threads that numpy starts as it loads (OpenBLAS's pool)
        # inherit the loading thread's signal mask.  Loaded with the stop
        # signals held, they never take a Ctrl-C, which CLP's own handler
        # would swallow if one of them took it during a decomposition LP
        # (solvers.interrupt).  Importing from buddymatch.solvers loads
        # numpy too, so it is done within the hold.
        with signals_held(STOP_SIGNALS):
            import numpy  # noqa: F401

            from buddymatch.solvers.interrupt import SignalWatch

        self._watch = SignalWatch(
            self._on_signal, STOP_SIGNALS, self._handler, take_over=True
        )
        self._watch.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._watch is not None:
            self._watch.__exit__()

    @property
    def stopped(self) -> bool:
        """Whether a signal stopped the search."""
        return self.stop.is_set()

    @contextlib.contextmanager
    def search(self, notice: str = STOP_NOTICE) -> Iterator[None]:
        """Within: the first signal stops the search, saying *notice*."""
        with self._lock:
            self._solving, self._notice = True, notice
        try:
            yield
        finally:
            with self._lock:
                self._solving, self._searched = False, True

    def _on_signal(self, number: int) -> None:
        """On the watching thread: stop the search, or abort."""
        with self._lock:
            if self._abort.is_set():
                return  # the abort's own simulated SIGINT, or later ones
            self._heard += 1
            first = self._heard == 1 and self._solving
            if not first:
                self._abort.set()
                if self._solving:
                    self._aborted = "aborted: nothing written"
                elif self._searched:
                    # Outputs are atomic: each is whole or not there.
                    self._aborted = (
                        "aborted after the search: each output is either "
                        "complete or not written"
                    )
        self.stop.set()
        if first:
            err.print(f"[yellow]{self._notice}[/yellow]")
            return
        # The main thread raises KeyboardInterrupt (in _handler) as soon
        # as it runs Python again, which the stopped search lets it do.
        _thread.interrupt_main(signal.SIGINT)

    def _handler(self, number: int, frame: FrameType | None) -> None:
        """On the main thread: raise once the watching thread aborts."""
        if self._abort.is_set():
            raise KeyboardInterrupt(self._aborted)


class _SolveProgress:
    """The search's progress: a live bar on a terminal, one line in logs.

    On a terminal (stderr), a bar against the time limit with the phase,
    the cover per priority and quality of the best proposal so far, its
    bound and gap, and the time left, refreshed four times a second and
    gone when the search ends.  Elsewhere nothing is drawn while solving
    (`_solve_ended` then writes one line).  Its ``events`` are the
    engine's event callback (``SolveParams.events``).
    """

    def __init__(
        self, live: bool, time_limit: float, deterministic: bool
    ) -> None:
        self.live = live
        self._limit = time_limit
        self._deterministic = deterministic
        self._start = time.perf_counter()
        self._lock = threading.Lock()
        self._event: ProgressEvent | None = None
        self._phase = "starting"
        self._live: Live | None = None

    @property
    def events(self) -> Callable[[ProgressEvent], None] | None:
        """The callback to give the engine (``None`` when not drawn)."""
        return self._on_event if self.live else None

    def __enter__(self) -> _SolveProgress:
        if self.live:
            self._live = Live(
                get_renderable=self._render,
                console=err,
                refresh_per_second=4,
                transient=True,
            )
            # The bar's refresh thread inherits this thread's signal mask:
            # started with SIGINT held, it never takes one (the LP solver's
            # handler would swallow it, see solvers.interrupt).
            from buddymatch.signals import signals_held

            with signals_held():
                self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def _on_event(self, event: ProgressEvent) -> None:
        with self._lock:
            self._event = event
            self._phase = event.phase

    def _render(self) -> RenderableType:
        from rich.console import Group
        from rich.progress_bar import ProgressBar

        with self._lock:
            event, phase = self._event, self._phase
        elapsed = time.perf_counter() - self._start
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_column(no_wrap=True)
        if self._deterministic:
            # Deterministic time, not seconds: the bar only pulses.
            bar = ProgressBar(total=None, pulse=True)
            clock = f"{elapsed:.1f} s (deterministic limit {self._limit:g})"
        else:
            bar = ProgressBar(total=self._limit, completed=elapsed)
            left = max(0.0, self._limit - elapsed)
            clock = f"{elapsed:.1f} of {self._limit:g} s, {left:.1f} s left"
        grid.add_row(f"{phase:<24}", bar, clock)
        return Group(grid, _best_words(event))


def _final_line(result: Result, stopped: bool) -> str:
    """How the search ended, and the numbers of its proposal, in the one
    line a log keeps.

    Examples: "solved in 12.3 s: optimal, 45/47 needs met, quality
    1,234.5, gap 0.0%"; "stopped by the user after 4.7 s: the best
    proposal so far, feasible (not proven optimal), 831/1000 needs met,
    quality 54,171.0, no proven bound".
    """
    seconds = f"{result.runtime:.1f} s"
    if stopped:
        how = f"stopped by the user after {seconds}"
    elif result.is_feasible() or result.status == "infeasible":
        how = f"solved in {seconds}"
    else:
        how = f"searched for {seconds}"
    if not result.is_feasible():
        what = (
            "no proposal found"
            if result.status == "no_solution"
            else result.status
        )
        return f"{how}: {what}"
    status: str = result.status
    if status != "optimal":
        status += " (not proven optimal)"
    words = [f"{how}: {status}"]
    if stopped:
        words[0] = f"{how}: the best proposal so far, {status}"
    met = sum(c.covered for c in result.coverage)
    total = sum(c.total for c in result.coverage)
    words.append(f"{met}/{total} needs met")
    if result.objective is not None:
        words.append(f"quality {result.objective:,.1f}")
    if result.gap is not None:
        words.append(f"gap {result.gap:.1%}")
    else:
        words.append("no proven bound")
    return ", ".join(words)


def _best_words(event: ProgressEvent | None) -> str:
    """The best proposal so far, in one line of the progress display."""
    if event is None or not event.cover:
        return "no proposal yet"
    cover = " · ".join(
        f"priority {p}: {event.cover[p]}/{event.needs.get(p, '?')}"
        if p in event.cover
        else f"priority {p}: …"
        for p in (event.needs or event.cover)
    )
    words = [f"met {cover}"]
    if event.quality is not None:
        words.append(f"quality {event.quality:,.1f}")
    if event.bound is not None and event.gap is not None:
        words.append(f"bound {event.bound:,.1f}")
        words.append(f"gap {event.gap:.1%}")
    elif event.quality is not None:
        # Before the quality stage, or on a shortlist: nothing proven.
        words.append("no proven bound")
    return "   ".join(words)


def _solve_ended(
    result: Result,
    stopping: _Stopping,
    quiet: bool,
) -> None:
    """After the search: the one line a log keeps (unless *quiet*).

    Raises
    ------
    KeyboardInterrupt
        If a signal stopped the search before any proposal was found:
        there is nothing to write (exit 130).
    """
    if not quiet:
        err.print(_esc(_final_line(result, stopping.stopped)))
    if stopping.stopped and result.status == "no_solution":
        raise KeyboardInterrupt(
            "stopped before any proposal was found; nothing written"
        )
