"""Stopping a search: every phase ends promptly once the stop event is
set, with what it has, and Ctrl-C reaches the search on the main thread.

The command line's signal handling is tested end to end in
``tests/cli/test_signals.py``; here, the engine's side of it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType

import numpy as np
import pytest

import buddymatch as bm
from buddymatch.candidates import CandidateSet, build_candidates
from buddymatch.params import ProgressEvent
from buddymatch.solvers import _budget_check
from buddymatch.solvers.cpsat.master import integer_master
from buddymatch.solvers.decomposition import decomposition_bounds
from buddymatch.solvers.greedy import greedy, greedy_start
from buddymatch.solvers.room import usable_candidates
from buddymatch.synth import preset


@pytest.fixture(scope="module")
def nhs() -> CandidateSet:
    return build_candidates(preset("nhs").canonical(), bm.Policy())


def _stopped() -> threading.Event:
    stop = threading.Event()
    stop.set()
    return stop


def test_a_stopped_greedy_tries_no_need(nhs: CandidateSet) -> None:
    usable = usable_candidates(nhs)
    coverable = np.unique(nhs.need[usable])
    start = greedy_start(nhs, usable, [], stop=_stopped())
    assert start.chosen is not None and not start.chosen.any()
    assert start.untried[coverable].all()
    # Not stopped: every need is tried.
    going = greedy_start(nhs, usable, [], stop=threading.Event())
    assert not going.untried.any()


def test_a_stopped_decomposition_bounds_no_stage(nhs: CandidateSet) -> None:
    found = decomposition_bounds(nhs, time_limit=30, stop=_stopped())
    assert found.stages == []


def test_a_stopped_master_keeps_its_start(nhs: CandidateSet) -> None:
    usable = usable_candidates(nhs)
    warm = greedy(nhs, usable, [])
    assert warm is not None
    buddies = np.unique(nhs.buddy[warm])
    columns = [np.flatnonzero(warm & (nhs.buddy == b)) for b in buddies]
    found = integer_master(
        nhs,
        columns,
        buddies.astype(np.int64),
        [],
        start=warm,
        time_limit=30,
        stop=_stopped(),
    )
    assert found.status == "feasible"
    assert np.array_equal(found.chosen, warm)
    # No stage was searched: at most the ones proven by counting.
    assert all(stage["dtime"] == 0.0 for stage in found.stages)


def test_a_stopped_call_asks_no_budget_question() -> None:
    problem = preset("tiny")
    policy = bm.Policy(budget=1.0)
    cands = build_candidates(problem.canonical(), policy)
    usable = usable_candidates(cands)
    chosen = np.zeros(cands.n_candidates, dtype=bool)
    ask = _budget_check(cands, usable, [], chosen, False, None, _stopped())
    assert ask is not None
    assert ask(0) is None  # not known: nothing was asked


@pytest.fixture
def sigint_recorded() -> Iterator[list[float]]:
    """SIGINT handled by a recorder, for the test's length."""
    heard: list[float] = []

    def record(number: int, frame: FrameType | None) -> None:
        heard.append(time.monotonic())

    previous = signal.signal(signal.SIGINT, record)
    try:
        yield heard
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_sigint_clp_swallowed_is_sent_again(
    nhs: CandidateSet,
    sigint_recorded: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ortools.linear_solver import pywraplp

    # CLP's own SIGINT handler cuts an LP short: it then answers FEASIBLE
    # (as it does on "national" when Ctrl-C comes during an LP).
    real = pywraplp.Solver.Solve

    def cut_short(self: pywraplp.Solver, *args: object) -> int:
        real(self, *args)
        return int(pywraplp.Solver.FEASIBLE)

    decomposition_bounds(nhs, time_limit=30, max_iterations=1)
    assert sigint_recorded == []  # LPs solved to the end: no signal
    monkeypatch.setattr(pywraplp.Solver, "Solve", cut_short)
    decomposition_bounds(nhs, time_limit=30, max_iterations=1)
    assert sigint_recorded  # the swallowed Ctrl-C, heard again


def test_ctrl_c_raises_keyboard_interrupt_at_once_in_a_library_call(
    tmp_path: object,
) -> None:
    # Sent from CP-SAT's own thread while a cover stage runs: Python's
    # handler waits for the main thread, which waits inside CP-SAT.  The
    # search must stop at once so that KeyboardInterrupt comes, and come
    # long before the 30 s limit (the issue asks for 2 s; the bound
    # leaves room for a loaded machine).
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    sent: list[float] = []

    def events(event: ProgressEvent) -> None:
        in_solver = threading.current_thread() is not threading.main_thread()
        if in_solver and event.phase.startswith("cover") and not sent:
            sent.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        bm.propose(preset("national"), time_limit=30, events=events)
    assert sent
    print(f"SIGINT to KeyboardInterrupt: {time.monotonic() - sent[0]:.2f} s")
    assert time.monotonic() - sent[0] < 10.0
    # Nothing left behind: Python's handler and no wakeup descriptor.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.set_wakeup_fd(-1) == -1


@pytest.mark.skipif(
    not hasattr(signal, "pthread_sigmask"), reason="threads cannot block"
)
def test_a_held_signal_waits_for_the_end_of_the_block() -> None:
    # While CLP solves, SIGINT is held pending (its handler would swallow
    # it), and reaches Python's handler when the solve is over.
    from buddymatch.signals import signals_held

    heard: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda n, f: heard.append(n))
    try:
        with signals_held():
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            time.sleep(0.05)
            assert heard == []
            assert signal.SIGINT in signal.sigpending()
        time.sleep(0.05)
        assert heard == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)
