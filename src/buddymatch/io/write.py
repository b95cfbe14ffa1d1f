"""Writing files: atomically, as sets, checked beforehand, safe to open in
a spreadsheet.

Every file is written atomically (a temporary file, then ``os.replace``),
and a set of files all or none
([`write_file_set`][buddymatch.io.write.write_file_set]); a plain mistake
in an output path is reported before any work
([`check_output_file`][buddymatch.io.write.check_output_file],
[`check_output_folder`][buddymatch.io.write.check_output_folder]) as an
[`OutputError`][buddymatch.errors.OutputError] naming the caller's path.  Text
cells a spreadsheet could run as formulas are neutralised
([`spreadsheet_safe`][buddymatch.io.write.spreadsheet_safe]; reversibly by
`escape_text`, which the
readers undo with `unescape_text`).  The writers of each format live
beside its reader; the pairings CSV of a result, which has no reader, is
written here.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import secrets
import shutil
import stat
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar, overload

from buddymatch.errors import OutputError
from buddymatch.io.files import StrPath
from buddymatch.result import PAIRINGS_COLUMNS, Result, pairings_rows

_V = TypeVar("_V")

#: What a spreadsheet may run as a formula when a cell starts with it.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_STARTS = "".join(_FORMULA_STARTS) + "'"


@overload
def spreadsheet_safe(value: str) -> str: ...
@overload
def spreadsheet_safe(value: _V) -> _V: ...
def spreadsheet_safe(value: object) -> object:
    """Return *value* safe to open in a spreadsheet.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return could run as a formula, so it gets a leading apostrophe (which
    spreadsheets show as text).  Anything else, numbers included (a
    negative number written as a number is no formula), is returned as is.

    Parameters
    ----------
    value
        A cell value.

    Returns
    -------
    object
        The value, with ``'`` prefixed when it is risky text.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def escape_text(text: str) -> str:
    """Neutralise like
    [`spreadsheet_safe`][buddymatch.io.write.spreadsheet_safe], but reversibly.

    A text that already starts with an apostrophe gets one more, so the
    readers can always drop exactly the one the writers added.
    """
    if text.startswith(tuple(_ESCAPED_STARTS)):
        return "'" + text
    return text


def unescape_text(text: str) -> str:
    """Undo `escape_text`: drop the apostrophe the writers add."""
    if len(text) > 1 and text[0] == "'" and text[1] in _ESCAPED_STARTS:
        return text[1:]
    return text


def output_error(path: StrPath, exc: OSError) -> OutputError:
    """Return *exc* as an [`OutputError`][buddymatch.OutputError] naming the
    caller's *path*.

    The operating system names the file it was working on, which may be
    a temporary one the caller never asked for.
    """
    if isinstance(exc, OutputError):
        return exc
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOENT:
        parent = Path(os.path.abspath(path)).parent
        if not parent.is_dir():
            reason = f"the folder {parent} does not exist"
    return OutputError(os.fspath(path), reason, exc.errno)


def _check_writable_folder(path: StrPath, folder: Path) -> None:
    """Refuse *path* unless *folder* is an existing, writable folder."""
    if not folder.exists():
        raise OutputError(
            os.fspath(path),
            f"the folder {folder} does not exist",
            errno.ENOENT,
        )
    if not folder.is_dir():
        raise OutputError(
            os.fspath(path), f"{folder} is not a folder", errno.ENOTDIR
        )
    # Root passes this test on any folder of a writable file system; a
    # refusal that only shows when writing is still an OutputError.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(
            os.fspath(path),
            f"the folder {folder} is not writable (permission denied)",
            errno.EACCES,
        )


def check_output_file(path: StrPath) -> None:
    """Check, before any work, that the file *path* can be written.

    Its folder must exist and be writable, and *path* must not be a
    folder.  Passing is no promise (the disk may fill up meanwhile), but
    a plain mistake is reported before a long computation, not after.

    Parameters
    ----------
    path
        The file to be written.

    Raises
    ------
    OutputError
        Naming *path* and what is wrong.
    """
    target = Path(os.path.abspath(path))
    _check_writable_folder(path, target.parent)
    if target.is_dir():
        raise OutputError(os.fspath(path), "it is a folder", errno.EISDIR)


def check_output_folder(path: StrPath) -> None:
    """Check, before any work, that files can be written into folder *path*.

    Either *path* is a writable folder, or it does not exist and its
    nearest existing parent is a writable folder (it will be created).

    Parameters
    ----------
    path
        The folder to be written into.

    Raises
    ------
    OutputError
        Naming *path* and what is wrong.
    """
    folder = Path(os.path.abspath(path))
    while not os.path.lexists(folder) and folder.parent != folder:
        folder = folder.parent
    _check_writable_folder(path, folder)


def write_bytes_atomic(path: StrPath, data: bytes) -> None:
    """Write *data* to *path* atomically.

    The bytes go to a temporary file in the same folder, which then
    replaces *path* in one step: readers see the old file or the new one,
    never half of either.  An existing file's permissions are kept.

    Parameters
    ----------
    path
        The file to write.
    data
        Its new content.

    Raises
    ------
    OutputError
        If the operating system refuses (a missing folder, no space left,
        permission denied); it names *path*, and the temporary file is
        gone.
    """
    target = Path(path)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        _write_new_file(temp, data)
        try:
            with contextlib.suppress(FileNotFoundError):
                os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise output_error(path, exc) from exc


def _write_new_file(path: Path, data: bytes) -> None:
    """Create *path* (which must not exist) holding *data*, on disk.

    On failure, nothing of *path* is left.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _make_folders(folder: Path) -> list[Path]:
    """Create *folder* and its missing parents; return those created,
    outermost first."""
    missing: list[Path] = []
    while not os.path.lexists(folder) and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    created: list[Path] = []
    try:
        for each in reversed(missing):
            each.mkdir()
            created.append(each)
    except BaseException:
        _remove_folders(created)
        raise
    return created


def _remove_folders(created: list[Path]) -> None:
    """Remove the folders *created* (outermost first) if they are empty."""
    for each in reversed(created):
        with contextlib.suppress(OSError):
            each.rmdir()


def write_file_set(
    directory: StrPath, files: Mapping[str, bytes]
) -> list[Path]:
    """Write *files* into *directory* as one set: all of them, or none.

    Every file is first written into a hidden temporary folder, so that
    running out of space or permission costs nothing: the temporary
    folder is removed and *directory* is as it was.  Then the set is
    moved into place.  A missing *directory* (and its missing parents) is
    created, by renaming the temporary folder, written beside it, in one
    step.  Into an existing *directory*, the temporary folder is written
    inside it (the same file system, so moves need no space) and each
    file replaces any file of the same name atomically; other files are
    left alone, and if a move fails, the files replaced so far are put
    back where the file system allows it.

    Parameters
    ----------
    directory
        The folder to write into.
    files
        File name (no folder part) -> content, in the order to write.

    Returns
    -------
    list of Path
        The files written, in the order of *files*.

    Raises
    ------
    OutputError
        Naming *directory*, if it cannot be written or the operating
        system refuses; nothing new is left behind.
    ValueError
        If a name has a folder part or is hidden (starts with ``.``).
    """
    for name in files:
        if (
            not name
            or name.startswith(".")
            or Path(name).name != name
            or os.sep in name
            or (os.altsep is not None and os.altsep in name)
        ):
            raise ValueError(f"not a plain file name: {name!r}")
    check_output_folder(directory)
    folder = Path(os.path.abspath(directory))
    existed = folder.is_dir()
    created: list[Path] = []
    stage: Path | None = None
    try:
        if existed:
            stage = folder / f".{secrets.token_hex(6)}.tmp"
        else:
            created = _make_folders(folder.parent)
            stage = folder.with_name(
                f".{folder.name}.{secrets.token_hex(6)}.tmp"
            )
        stage.mkdir()
        for name, data in files.items():
            _write_new_file(stage / name, data)
        if existed:
            _move_files(stage, folder, list(files))
            shutil.rmtree(stage, ignore_errors=True)
        else:
            os.rename(stage, folder)
    except BaseException as exc:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        _remove_folders(created)
        if isinstance(exc, OSError):
            raise output_error(directory, exc) from exc
        raise
    return [Path(directory) / name for name in files]


def _move_files(stage: Path, folder: Path, names: list[str]) -> None:
    """Move the files *names* from *stage* into *folder*, all or none.

    A file replaced is first hard-linked into *stage* so that it can be
    put back if a later move fails (where hard links are not available,
    it cannot be).
    """
    old = stage / ".replaced"
    old.mkdir()
    done: list[tuple[Path, bool, Path | None]] = []
    try:
        for name in names:
            target, staged = folder / name, stage / name
            existed = os.path.lexists(target)
            backup: Path | None = None
            if existed:
                with contextlib.suppress(FileNotFoundError):
                    os.chmod(staged, stat.S_IMODE(os.stat(target).st_mode))
                if not os.path.islink(target):
                    with contextlib.suppress(OSError):
                        os.link(target, old / name)
                        backup = old / name
            os.replace(staged, target)
            done.append((target, existed, backup))
    except BaseException:
        for target, existed, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                elif not existed:
                    target.unlink()
        raise


def write_text_atomic(path: StrPath, text: str) -> None:
    """Write *text* to *path* as UTF-8, atomically.

    Parameters
    ----------
    path
        The file to write.
    text
        Its new content; line ends are written as given.
    """
    write_bytes_atomic(path, text.encode("utf-8"))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Return *header* and *rows* as CSV text, as the readers read it."""
    buffer = io.StringIO(newline="")
    # The default CRLF line end also makes the writer quote a lone CR in a
    # cell, which then reads back as written.
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_pairings_csv(result: Result, path: StrPath) -> None:
    """Write the pairings CSV: one row per assignment and per unmet need.

    Columns are `PAIRINGS_COLUMNS`.  Text cells
    pass through [`spreadsheet_safe`][buddymatch.io.write.spreadsheet_safe];
    numbers stay numbers.

    Parameters
    ----------
    result
        The result to write.
    path
        The file to write.
    """
    write_text_atomic(path, pairings_csv_text(result))


def pairings_csv_text(result: Result) -> str:
    """Return the pairings CSV that
    [`write_pairings_csv`][buddymatch.io.write.write_pairings_csv] writes."""
    rows = (
        [spreadsheet_safe(row[column]) for column in PAIRINGS_COLUMNS]
        for row in pairings_rows(result)
    )
    return csv_text(PAIRINGS_COLUMNS, rows)
