"""Coverage-guided fuzzing of buddymatch's readers with atheris.

Each target feeds libFuzzer's inputs, as file bytes, to one reader (the
``travel`` target to both travel-matrix readers) and checks the contract
of ``tests/test_fuzz_readers.py``, which it imports so the long run checks
exactly what the test suite checks: the reader returns its value or raises
an :class:`~buddymatch.errors.InputError` whose every problem is placed and
explained; any other exception, or a broken contract, stops the run and
leaves the input in the output folder (``crash-<sha1>``).

The seed corpus is the reader's valid seed plus the files of
``tests/data/broken/`` the reader reads; a dictionary of the formats'
tokens (column names, kinds, TOML and JSON punctuation) helps the
mutations.

atheris is not a buddymatch dependency (``pip install atheris``; a
binary wheel exists for CPython 3.11 on x86-64 Linux).  Usage::

    python tools/fuzz_readers.py trusts --seconds 600 --out runs/trusts
    python tools/fuzz_readers.py trusts --replay runs/trusts/corpus
    python tools/fuzz_readers.py --list

``--replay`` feeds each file of a corpus to the target once, without
atheris (run it under ``coverage run`` to see the lines a corpus reaches).

Statistics (executions, coverage ``cov`` and features ``ft``) are printed
by libFuzzer at the end; ``docs/safety.md`` records the runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
BROKEN = TESTS / "data" / "broken"

# The readers and their contract live with the tests.  Importing them
# inside atheris' hook also instruments buddymatch (and the pure-Python
# TOML and JSON parsers) as they are first imported; a replay imports
# them plainly, so that coverage.py can measure the lines a corpus reaches.
sys.path.insert(0, str(TESTS))
if "--replay" in sys.argv:
    import test_fuzz_readers as contract
else:
    import atheris  # type: ignore[import-untyped]

    with atheris.instrument_imports(include=["buddymatch", "tomllib", "json"]):
        import test_fuzz_readers as contract

#: Target name -> the readers it feeds, and the broken-corpus prefixes
#: whose files seed it.
TARGETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "trusts": (("trusts",), ("trusts_",)),
    "relations": (("relations",), ("relations_",)),
    "pairs": (("pairs",), ("pairs_",)),
    "travel": (("travel", "travel_matrix"), ("travel_",)),
    "policy": (("policy",), ("policy_",)),
    "arrangements": (("arrangements",), ()),
    "problem_json": (("problem_json",), ("problem_",)),
    "result_json": (("result_json",), ()),
}

#: Tokens libFuzzer may splice in (its dictionary format: one quoted
#: string a line).
TOKENS = [
    ",",
    ";",
    ":",
    '"',
    "'",
    "\n",
    "\r\n",
    "=",
    "[",
    "]",
    "{",
    "}",
    "id",
    "name",
    "kind",
    "lat",
    "lon",
    "region",
    "capacity",
    "max_partners",
    "needs",
    "culture_",
    "expertise_",
    "a",
    "b",
    "area",
    "note",
    "seeker",
    "buddy",
    "score",
    "workload",
    "origin",
    "destination",
    "minutes",
    "status",
    "start",
    "ongoing",
    "ended",
    "acute",
    "acute_teaching",
    "mental_health",
    "competitor",
    "tertiary",
    "acquirer",
    "veto",
    "prior",
    "preferred",
    "pinned",
    "light",
    "programme",
    "intensive",
    "none",
    "true",
    "false",
    "null",
    "nan",
    "inf",
    "1e999",
    "-0",
    "[tiers.",
    "fee",
    "months",
    "start_date",
    "2025-04-01",
    "trusts",
    "relations",
    "overrides",
    "travel",
    "assignments",
    "partnerships",
    "unmet",
    "status",
    "optimal",
]


def _dictionary(folder: Path) -> Path:
    path = folder / "tokens.dict"
    # libFuzzer's escapes: \\, \" and \xNN only.
    lines = []
    for token in TOKENS:
        escaped = "".join(
            f"\\x{ord(char):02X}"
            if char in '\\"' or not char.isprintable()
            else char
            for char in token
        )
        lines.append(f'"{escaped}"\n')
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _corpus(
    folder: Path, readers: tuple[str, ...], prefixes: tuple[str, ...]
) -> Path:
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    seed = contract.BY_NAME[readers[0]].seed
    (corpus / "seed").write_bytes(seed.encode("utf-8"))
    for path in sorted(BROKEN.iterdir()):
        if path.name.startswith(prefixes):
            shutil.copyfile(path, corpus / path.name)
    return corpus


def _feed(readers: list[contract.Reader], work: Path, data: bytes) -> None:
    for reader in readers:
        path = work / f"{reader.name}{reader.suffix}"
        path.write_bytes(data)
        contract.check_outcome(reader, path)


def _replay(readers: list[contract.Reader], corpus: Path) -> None:
    files = sorted(p for p in corpus.iterdir() if p.is_file())
    with tempfile.TemporaryDirectory(prefix="bm-replay-") as name:
        for path in files:
            _feed(readers, Path(name), path.read_bytes())
    print(f"{len(files)} inputs replayed; every one kept the contract")


def main() -> None:
    """Parse the options, then fuzz one target until the time is up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", nargs="?", choices=sorted(TARGETS))
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the corpus and any crash inputs "
        "(default: a new folder under the system's temporary folder)",
    )
    parser.add_argument(
        "--replay",
        type=Path,
        default=None,
        metavar="CORPUS",
        help="instead of fuzzing, feed every file of CORPUS to the target "
        "once (e.g. under coverage run)",
    )
    parser.add_argument("--list", action="store_true")
    options, libfuzzer = parser.parse_known_args()
    if options.list or options.target is None:
        print("\n".join(sorted(TARGETS)))
        return
    readers_named, prefixes = TARGETS[options.target]
    readers = [contract.BY_NAME[name] for name in readers_named]
    if options.replay is not None:
        _replay(readers, options.replay)
        return
    out = options.out or Path(
        tempfile.mkdtemp(prefix=f"buddymatch-fuzz-{options.target}-")
    )
    out.mkdir(parents=True, exist_ok=True)
    # Inputs are written to a file in the output folder: libFuzzer ends
    # the process itself, so nothing could clean up a folder elsewhere.
    work = out / "scratch"
    work.mkdir(exist_ok=True)

    def one_input(data: bytes) -> None:
        _feed(readers, work, data)

    argv = [
        sys.argv[0],
        f"-max_total_time={options.seconds}",
        "-timeout=30",
        "-rss_limit_mb=4096",
        "-max_len=4096",
        # Mutate whole seed files from the start, not growing prefixes.
        "-len_control=0",
        "-print_final_stats=1",
        f"-dict={_dictionary(out)}",
        f"-artifact_prefix={out}{os.sep}",
        *libfuzzer,
        str(_corpus(out, tuple(readers_named), prefixes)),
    ]
    print(f"fuzzing {options.target}: corpus and crashes in {out}", flush=True)
    import atheris

    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
