"""Exceptions and warnings raised by buddymatch.

Every exception buddymatch raises on purpose derives from
[`BuddymatchError`][buddymatch.errors.BuddymatchError], so a service can catch
the library's errors in one
place.  Bad input is always an [`InputError`][buddymatch.errors.InputError]
that lists *every* problem
found, each with the file, line and column it comes from and a fix in plain
English.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass


class BuddymatchError(Exception):
    """Base class of every exception buddymatch raises on purpose."""


def _visible(text: str) -> str:
    """Return *text* with every character a terminal would act on escaped.

    Control characters (escape sequences, line breaks), bidirectional
    overrides and other invisible characters are written as Python
    escapes (``\\x1b``, ``\\u202e``), so a column name or key taken from
    a hostile file cannot recolour, move or hide what is printed.

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        *text* itself when every character is printable.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass(frozen=True)
class InputProblem:
    """One problem found in the input.

    Parameters
    ----------
    file
        The file (or ``"<problem>"`` for data given in Python) it was found in.
    line
        Physical line of the file (the header is line 1), or ``None`` when the
        problem concerns the file as a whole.  For JSON input, the field path.
    column
        Column name (CSV), key (TOML) or field, or ``None``.
    message
        What is wrong, quoting the offending value.
    fix
        What to do about it.
    """

    file: str
    line: int | str | None
    column: str | None
    message: str
    fix: str

    def __post_init__(self) -> None:
        # Columns, keys and field paths come from the input itself, and
        # every problem is printed: none may carry a terminal escape.
        for name in ("line", "column", "message", "fix"):
            value = getattr(self, name)
            if isinstance(value, str) and not value.isprintable():
                object.__setattr__(self, name, _visible(value))

    def location(self) -> str:
        """Return ``file, line N, column C`` with the parts that are known."""
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}. Fix: {self.fix}"

    def to_dict(self) -> dict[str, object]:
        """Return the problem as a plain dictionary (for JSON)."""
        return asdict(self)


class InputError(BuddymatchError, ValueError):
    """Bad input: carries every problem found, not just the first.

    Parameters
    ----------
    problems
        The problems, in the order they were found.
    """

    def __init__(self, problems: Iterable[InputProblem]) -> None:
        self.problems: list[InputProblem] = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])

    def __str__(self) -> str:
        return self._render()


class OutputError(BuddymatchError, OSError):
    """A file or folder buddymatch was asked to write cannot be written.

    Raised before any work when the destination is plainly unusable (its
    folder is missing or is not a folder), and while writing when the
    operating system refuses (no space left, permission denied).  It
    names the path the caller gave, never a temporary file, and is an
    `OSError`, so code that caught the operating system's errors
    still catches it.

    Parameters
    ----------
    path
        The file or folder the caller asked for.
    reason
        Why it cannot be written, in plain words (the operating system's
        own, such as ``No space left on device``).
    errno
        The operating system's error number, when it gave one.
    """

    def __init__(
        self, path: str, reason: str, errno: int | None = None
    ) -> None:
        super().__init__(errno, reason, path)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot write {_visible(self.path)}: {self.reason}"

    def __reduce__(self) -> tuple[object, ...]:
        # OSError pickles its constructor arguments in its own order.
        return (type(self), (self.path, self.reason, self.errno))


class MissingDependencyError(BuddymatchError, ImportError):
    """An optional package that a feature needs cannot be loaded.

    Nothing is wrong with the input: installing the package (or asking for
    another format) is the fix.  It is an `ImportError`, so code
    that guarded the import itself still catches it.

    Parameters
    ----------
    package
        The package's name, as ``pip`` knows it (e.g. ``"cairosvg"``).
    purpose
        What needs it, e.g. ``"writing map.png"``.
    fix
        How to install it, or what to do instead, as a command to run.
    reason
        Why it cannot be loaded (the import's own message).
    """

    def __init__(
        self, package: str, purpose: str, fix: str, reason: str = ""
    ) -> None:
        self.package = package
        self.purpose = purpose
        self.fix = fix
        self.reason = reason
        super().__init__(str(self), name=package)

    def __str__(self) -> str:
        why = f" ({_visible(self.reason)})" if self.reason else ""
        return (
            f"{_visible(self.purpose)} needs the optional package "
            f"{self.package}, which cannot be loaded{why}. "
            f"Fix: {self.fix}"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # ImportError pickles only its message; keep every field.
        return (
            type(self),
            (self.package, self.purpose, self.fix, self.reason),
        )


class SolverError(BuddymatchError, RuntimeError):
    """The solver reported a state that is a bug in buddymatch.

    Raised for CP-SAT's MODEL_INVALID and any status buddymatch does not
    know; never for an infeasible or unsolved instance, which are results.
    """


class BuddymatchWarning(UserWarning):
    """Legal but suspicious input (for example a need nobody could serve)."""
