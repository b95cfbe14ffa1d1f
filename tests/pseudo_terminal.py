"""A command run in a pseudo-terminal, as a person runs it (tests only).

Used by the command line's tests of signals and progress: the command
sees a terminal (so rich draws its live display), Ctrl-C typed into it
becomes SIGINT, and everything it shows is kept in ``output``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time

#: Seconds a command may take to show what a test waits for, at most.
START_WITHIN = 60.0
CTRL_C = b"\x03"


class Terminal:
    """``buddymatch ARGS`` running in a pseudo-terminal of its own."""

    def __init__(
        self, args: list[str], rows: int = 40, columns: int = 120
    ) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "TERM": "xterm",
        }
        env.pop("COLUMNS", None)
        pid, fd = pty.fork()
        if pid == 0:  # the child: the terminal is its controlling one
            os.execve(
                sys.executable,
                [sys.executable, "-m", "buddymatch", *args],
                env,
            )
        self.pid, self.fd = pid, fd
        fcntl.ioctl(
            fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0)
        )
        self.started = time.monotonic()
        self.output = ""
        self.code: int | None = None
        self.signalled = 0.0  # time.monotonic() of the last signal

    def read(self, timeout: float) -> bool:
        """Read what is there; return False at the end of the output."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # the child closed the terminal
            return False
        self.output += data.decode("utf-8", "replace")
        return bool(data)

    def wait_for(self, *texts: str, within: float = START_WITHIN) -> str:
        """Read until one of *texts* is shown; return it."""
        end = time.monotonic() + within
        while time.monotonic() < end:
            for text in texts:
                if text in self.output:
                    return text
            if not self.read(0.01):
                break
        raise AssertionError(
            f"none of {texts} shown; output:\n{self.output[-3000:]}"
        )

    def _running(self) -> None:
        """Check that the command has not ended (a signal after the end
        would prove nothing)."""
        done, status = os.waitpid(self.pid, os.WNOHANG)
        if done:
            self.code = os.waitstatus_to_exitcode(status)
        assert self.code is None, f"ended already:\n{self.output[-3000:]}"

    def press_ctrl_c(self) -> None:
        """Type Ctrl-C: the terminal sends SIGINT to the command."""
        self._running()
        self.signalled = time.monotonic()
        os.write(self.fd, CTRL_C)

    def kill(self, number: int) -> None:
        """Send *number* as a service manager does."""
        self._running()
        self.signalled = time.monotonic()
        os.kill(self.pid, number)

    def wait_exit(self, within: float = START_WITHIN) -> float:
        """Wait for the exit; return seconds since the last signal."""
        end = time.monotonic() + within
        while time.monotonic() < end:
            if not self.read(0.01):
                break
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.code = os.waitstatus_to_exitcode(status)
                break
        if self.code is None:
            done, status = os.waitpid(self.pid, 0)
            self.code = os.waitstatus_to_exitcode(status)
        return time.monotonic() - self.signalled

    def close(self) -> None:
        if self.code is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
        os.close(self.fd)
