"""Signals that reach a search at once, though the main thread is busy.

Python runs a signal handler on the main thread, between two bytecodes:
while that thread waits inside a CP-SAT solve (a stage may run for the
whole time limit) the handler waits too, and Ctrl-C went unanswered until
the stage ended.  CP-SAT's own SIGINT handler (``catch_sigint_signal``)
ended only the stage that was running, and swallowed the signal: the call
went on to its time limit.  So CP-SAT never catches signals here, and
`SignalWatch` hears them through the interpreter's wakeup file
descriptor, on a thread of its own, the moment they arrive: it can set a
search's stop event while the main thread is still inside the solver.

`interrupt_to_stop` is what a plain library call gets: Ctrl-C stops
the search at once and raises KeyboardInterrupt as usual.

CLP, the decomposition's LP solver, installs a SIGINT handler of its own
for the length of each solve, which swallows Ctrl-C the same way (it
only cuts that LP short).  So SIGINT is held pending while CLP solves
(`buddymatch.signals.signals_held`): the main thread blocks it, and the
threads of this package (the watcher here, the command line's progress
bar) never take it, so CLP never sees it and Python's handler gets it
once the solve is over.  Resending it when CLP reports an LP cut short
(`resend_sigint`) covered most cases but not a signal caught as the LP
finished: the solve then ended "optimal" and the signal was lost (1 run
in about 10 of the pseudo-terminal test, which went on for 56 s).
Holding it in the main thread is not enough either: the kernel then
gives a process-wide signal to another thread that does not hold it,
such as the thread pool numpy's OpenBLAS starts as it loads, and CLP's
handler takes it there.  So the command line loads numpy with the
signals held (its threads inherit that), and those threads never take
one; a library caller's threads may, and then only the resend is left.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any

from buddymatch.signals import signals_held

__all__ = [
    "SignalWatch",
    "interrupt_to_stop",
    "resend_sigint",
]

#: A Python-level signal handler, as `signal.signal` takes it.
Handler = Callable[[int, FrameType | None], Any]

# The byte that tells the watching thread to end (no signal is numbered 0).
_QUIT = 0


class SignalWatch:
    """Call *on_signal* from a thread of its own as each signal arrives.

    A context manager, active only on the main thread (the only one that
    may set signal handlers); elsewhere it does nothing.  On entry it
    installs *handler* for each of *signals* (``None`` keeps the handler
    in place, which must then be a Python function, as Python's default
    SIGINT handler is) and points the interpreter's wakeup file
    descriptor at a socket that a watching thread reads; on exit it
    restores both.

    Parameters
    ----------
    on_signal
        Called with the signal's number, on the watching thread, once per
        signal received.
    signals
        The signals to hear.
    handler
        The Python-level handler to install for *signals* while active;
        it runs on the main thread, when that thread next runs Python.
    take_over
        Use the wakeup descriptor even when another is set (the command
        line owns the process); otherwise stay inactive then (an asyncio
        loop, say, listens on it).
    """

    def __init__(
        self,
        on_signal: Callable[[int], None],
        signals: Sequence[int] = (signal.SIGINT,),
        handler: Handler | None = None,
        *,
        take_over: bool = False,
    ) -> None:
        self._on_signal = on_signal
        self._signals = tuple(signals)
        self._handler = handler
        self._take_over = take_over
        self._previous: dict[int, Any] = {}
        self._old_fd = -1
        self._sockets: tuple[socket.socket, socket.socket] | None = None
        self._thread: threading.Thread | None = None
        #: Whether the watch is listening (main thread, descriptor free).
        self.active = False

    def __enter__(self) -> SignalWatch:
        if threading.current_thread() is not threading.main_thread():
            return self
        if self._handler is None and any(
            not callable(signal.getsignal(s)) for s in self._signals
        ):
            # No Python handler: the interpreter writes no wakeup byte.
            return self
        try:
            reader, writer = socket.socketpair()
        except OSError:  # a sandbox without sockets: signals as usual
            return self
        writer.setblocking(False)
        old = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        if old != -1 and not self._take_over:
            signal.set_wakeup_fd(old)
            reader.close()
            writer.close()
            return self
        self._old_fd = old
        self._sockets = (reader, writer)
        if self._handler is not None:
            for number in self._signals:
                self._previous[number] = signal.signal(number, self._handler)
        self._thread = threading.Thread(
            target=self._watch, name="buddymatch-signals", daemon=True
        )
        # Started with the signals held, it holds them from its first
        # instruction (a thread inherits its creator's mask).
        with signals_held(self._signals):
            self._thread.start()
        self.active = True
        return self

    def _watch(self) -> None:
        # This thread learns of signals through the socket: it must never
        # take one itself (see signals_held).
        with signals_held(self._signals):
            self._read()

    def _read(self) -> None:
        assert self._sockets is not None
        reader = self._sockets[0]
        while True:
            try:
                data = reader.recv(64)
            except OSError:
                return
            for number in data:
                if number == _QUIT:
                    return
                if number in self._signals:
                    self._on_signal(number)

    def __exit__(self, *exc: object) -> None:
        if not self.active:
            return
        self.active = False
        signal.set_wakeup_fd(self._old_fd)
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        assert self._sockets is not None and self._thread is not None
        reader, writer = self._sockets
        with contextlib.suppress(OSError):
            writer.send(bytes([_QUIT]))
        self._thread.join()
        reader.close()
        writer.close()


@contextlib.contextmanager
def interrupt_to_stop(stop: threading.Event) -> Iterator[bool]:
    """Set *stop* the moment Ctrl-C arrives, for a call made without one.

    Python's own SIGINT handler stays in place and raises
    KeyboardInterrupt as soon as the main thread runs Python again, which
    the stopped search lets it do at once (rather than at the end of the
    CP-SAT stage it is in).  Nothing happens off the main thread, under a
    SIGINT handler of the caller's own, or when the wakeup descriptor is
    taken (an asyncio loop): there signals keep their usual course.

    Yields
    ------
    bool
        Whether Ctrl-C is watched.
    """
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield False
        return
    with SignalWatch(lambda _number: stop.set()) as watch:
        yield watch.active


def resend_sigint() -> None:
    """Send SIGINT again, to the handler now in place.

    For a native solver that caught one with a handler of its own and
    has put the previous handler back: Python's (or the command line's)
    then hears it as it would have.
    """
    signal.raise_signal(signal.SIGINT)
