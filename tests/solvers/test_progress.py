"""buddymatch.solvers.progress: what the live line is told.

A bound found outside the search (the decomposition's quality bound)
caps every bound reported after it, in events and in the four-number
callback alike, with the gap recomputed against it.
"""

from __future__ import annotations

import math

import pytest

from buddymatch.params import ProgressEvent
from buddymatch.solvers.progress import Reporter


def _reporter() -> tuple[
    Reporter, list[ProgressEvent], list[tuple[float, ...]]
]:
    events: list[ProgressEvent] = []
    calls: list[tuple[float, ...]] = []
    report = Reporter(
        0.0,
        60.0,
        progress=lambda *args: calls.append(args),
        events=events.append,
    )
    return report, events, calls


def test_without_a_ceiling_the_search_bound_is_reported() -> None:
    report, events, calls = _reporter()
    report.quality_found(90.0, 120.0, 30 / 90)
    assert events[-1].bound == 120.0
    assert calls[-1][2] == 120.0


def test_a_ceiling_caps_every_later_bound() -> None:
    report, events, calls = _reporter()
    report.quality_ceiling(100.0)
    report.quality_found(90.0, 120.0, 30 / 90)
    assert events[-1].bound == 100.0
    assert events[-1].gap == pytest.approx(10 / 90)
    assert calls[-1][2] == 100.0
    assert calls[-1][3] == pytest.approx(10 / 90)
    # A search bound below the ceiling is reported as it is.
    report.quality_found(95.0, 98.0, 3 / 95)
    assert events[-1].bound == 98.0
    # No search bound (a shortlist): the ceiling is the bound.
    report.quality_found(96.0, math.nan, math.nan)
    assert events[-1].bound == 100.0
    report.best(quality=97.0)
    assert events[-1].bound == 100.0


def test_the_smallest_ceiling_holds() -> None:
    report, events, _ = _reporter()
    report.quality_ceiling(100.0)
    report.quality_ceiling(104.0)
    report.best(quality=90.0)
    assert events[-1].bound == 100.0
