"""What a call of [`propose`][buddymatch.solvers.propose] reports as it runs.

One `Reporter` per call keeps the phase and the best proposal so
far, and sends a [ProgressEvent][buddymatch.params.ProgressEvent] to the
caller's ``events`` at each change; the quality stage's improving
solutions also go to the older four-number ``progress`` callback, as
before.  Reports come from the caller's thread (phases) and from CP-SAT's
(solutions), so the state is kept under a lock.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping

from buddymatch.params import EventCallback, ProgressCallback, ProgressEvent

__all__ = ["Reporter"]


class Reporter:
    """The phase and best-so-far numbers of one call, sent on change.

    Parameters
    ----------
    start
        ``time.perf_counter()`` when the call began.
    time_limit
        The call's time limit, repeated in each event.
    progress
        The four-number callback (quality stage and flow only).
    events
        The event callback.
    """

    def __init__(
        self,
        start: float,
        time_limit: float,
        progress: ProgressCallback | None = None,
        events: EventCallback | None = None,
    ) -> None:
        self.start = start
        self.progress = progress
        self._events = events
        self._lock = threading.Lock()
        self._phase = "candidates"
        self._time_limit = time_limit
        self._needs: dict[int, int] = {}
        self._cover: dict[int, int] = {}
        self._quality: float | None = None
        self._bound: float | None = None
        self._gap: float | None = None
        self._ceiling: float | None = None

    @property
    def wants_events(self) -> bool:
        """Whether anyone listens to events (solution callbacks cost a
        little: the solver adds them only then)."""
        return self._events is not None

    def needs(self, per_priority: Mapping[int, int]) -> None:
        """Record the problem's needs per priority (sent from now on)."""
        with self._lock:
            self._needs = dict(per_priority)

    def phase(self, name: str) -> None:
        """Report that phase *name* begins."""
        with self._lock:
            self._phase = name
        self._send()

    def best(
        self,
        cover: Mapping[int, int] | None = None,
        *,
        quality: float | None = None,
        bound: float | None = None,
    ) -> None:
        """Report a better proposal: its cover per priority (the
        priorities known), and its quality and the bound when known."""
        with self._lock:
            if cover is not None:
                self._cover = dict(cover)
            if quality is not None:
                bound = self._tightest(bound)
                self._quality = quality
                self._bound = bound
                self._gap = (
                    abs(bound - quality) / max(1.0, abs(quality))
                    if bound is not None
                    else None
                )
        self._send()

    def cover_found(self, priority: int, covered: int) -> None:
        """Report a better solution of the cover stage of *priority*: the
        priorities below it are unknown for it."""
        with self._lock:
            cover = {p: n for p, n in self._cover.items() if p > priority}
            cover[priority] = covered
            self._cover = cover
        self._send()

    def quality_found(
        self, objective: float, bound: float, gap: float
    ) -> None:
        """Report an improving solution of the quality stage (*bound* and
        *gap* NaN when none is proven)."""
        proven = self._tightest(None if math.isnan(bound) else bound)
        if self.progress is not None:
            if proven is None:
                self.progress(self.elapsed(), objective, math.nan, math.nan)
            else:
                gap = abs(proven - objective) / max(1.0, abs(objective))
                self.progress(self.elapsed(), objective, proven, gap)
        self.best(quality=objective, bound=proven)

    def quality_ceiling(self, bound: float) -> None:
        """Record a proven bound on quality found outside the search (the
        decomposition's, given the cover every later proposal keeps):
        from now on no larger bound is reported.  Without it the live
        line showed CP-SAT's bound of the compact model (a gap of 10.5 %
        on "national") while the result reported the decomposition's
        (1.1 %)."""
        with self._lock:
            self._ceiling = (
                bound if self._ceiling is None else min(self._ceiling, bound)
            )

    def _tightest(self, bound: float | None) -> float | None:
        """The smaller of *bound* and the ceiling, either may be None."""
        if self._ceiling is None:
            return bound
        return self._ceiling if bound is None else min(bound, self._ceiling)

    def elapsed(self) -> float:
        """Seconds since the call began."""
        return time.perf_counter() - self.start

    def _send(self) -> None:
        if self._events is None:
            return
        with self._lock:
            event = ProgressEvent(
                phase=self._phase,
                elapsed=self.elapsed(),
                time_limit=self._time_limit,
                needs=dict(self._needs),
                cover=dict(self._cover),
                quality=self._quality,
                bound=self._bound,
                gap=self._gap,
            )
        self._events(event)
