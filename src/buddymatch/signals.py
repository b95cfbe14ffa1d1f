"""The stop signals, and holding them in one thread.

Kept apart from `buddymatch.solvers.interrupt` and free of numpy: the
command line holds these signals while numpy loads (whose native threads
inherit the mask), and importing anything from ``buddymatch.solvers``
loads numpy first.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator, Sequence

__all__ = ["STOP_SIGNALS", "signals_held"]

#: The signals a search listens to, where the platform has them.
STOP_SIGNALS: tuple[int, ...] = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM")
    if hasattr(signal, name)
)


@contextlib.contextmanager
def signals_held(
    signals: Sequence[int] = (signal.SIGINT,),
) -> Iterator[None]:
    """Block *signals* in the calling thread for the block's length.

    A signal sent to the process meanwhile stays pending, unless another
    thread takes it, and is handled as usual once the block ends.  A
    thread started within the block inherits the mask.  Does nothing
    where threads cannot block signals (Windows).
    """
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        yield
        return
    previous = mask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)
