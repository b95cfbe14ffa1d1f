"""The bundled example: 150 fictional trusts at real English towns.

Twelve trusts in difficulty need help in two to five areas each; the other
138 are possible buddies, some of them competitors or tertiary providers of
a seeker.  With the default policy most needs can be met; Truro's intensive
maternity need, which asks for two buddies, has only one trust able to take
it on.  ``buddymatch example DIR`` writes the files with
[`write_example`][buddymatch.examples.write_example].

The files are data, written once: they do not change when the generator in
[`buddymatch.synth`][buddymatch.synth] does.
"""

from __future__ import annotations

import errno
import os
from importlib import resources
from pathlib import Path

from buddymatch.errors import BuddymatchError
from buddymatch.io import write_file_set

#: The example's files, in the order they are written.
EXAMPLE_FILES: tuple[str, ...] = ("trusts.csv", "relations.csv", "policy.toml")


class ExampleExistsError(BuddymatchError, FileExistsError):
    """Writing the example would overwrite files that already exist.

    ``filename`` names the first of them; the message lists them all.
    """

    def __str__(self) -> str:
        return str(self.strerror)


def example_dir() -> Path:
    """Return the folder holding the bundled example's files.

    Returns
    -------
    Path
        The package's ``data`` folder.

    Raises
    ------
    BuddymatchError
        If buddymatch is installed in a form without real files (for
        example inside a zip archive); use
        [`write_example`][buddymatch.examples.write_example] then.
    """
    folder = resources.files("buddymatch").joinpath("data")
    if not isinstance(folder, Path):
        raise BuddymatchError(
            "buddymatch's example files are not on the file system (is it "
            "installed as a zip?); write them out with "
            "buddymatch.examples.write_example(DIR) instead"
        )
    return folder


def write_example(
    directory: str | os.PathLike[str], *, overwrite: bool = False
) -> list[Path]:
    """Write the example's files into *directory*, creating it if needed.

    Parameters
    ----------
    directory
        Folder to write ``trusts.csv``, ``relations.csv`` and
        ``policy.toml`` into.
    overwrite
        Replace files that already exist (otherwise nothing is written).

    Returns
    -------
    list of Path
        The files written, in `EXAMPLE_FILES` order.

    Raises
    ------
    ExampleExistsError
        If any of the files exists and *overwrite* is false; no file is
        written then.
    OutputError
        If the folder cannot be written; no file is written then.
    """
    target = Path(directory)
    paths = [target / name for name in EXAMPLE_FILES]
    existing = [str(p) for p in paths if p.exists()]
    if existing and not overwrite:
        # Like any FileExistsError, it names the (first) file in the way.
        raise ExampleExistsError(
            errno.EEXIST,
            f"{', '.join(existing)} already "
            f"{'exist' if len(existing) > 1 else 'exists'}; choose another "
            "folder, or allow overwriting",
            existing[0],
        )
    source = resources.files("buddymatch").joinpath("data")
    # Bytes, not text: the files are copied exactly as packaged.
    write_file_set(
        target,
        {name: source.joinpath(name).read_bytes() for name in EXAMPLE_FILES},
    )
    return paths
