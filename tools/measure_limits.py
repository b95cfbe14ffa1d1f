"""Measure reading time and peak memory at buddymatch's input limits.

Each case writes its input under a temporary folder, then reads it in a
fresh Python process, which reports the wall time of the read and its
peak resident memory (Linux's ``VmHWM``), both in all and above the
process's size once buddymatch is imported.  The cases are the largest
inputs the readers accept and the hostile ones they refuse (``docs/safety.md``
records a run).  Usage::

    python tools/measure_limits.py              # every case
    python tools/measure_limits.py trusts_max   # some cases
    python tools/measure_limits.py --list
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from buddymatch import io as bio

# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------

_AREAS = [f"area{i}" for i in range(8)]
_DIMS = ["openness", "learning", "safety"]


def _trust_rows(
    count: int, name_length: int = 30, needs_every: int = 3
) -> Iterator[str]:
    """Rows of a trusts file: 9 fixed columns, 3 culture, 8 expertise."""
    pad = "x" * max(0, name_length - 20)
    for i in range(count):
        if i % needs_every == 0:
            needs = f"{_AREAS[i % 8]}:programme;{_AREAS[(i + 1) % 8]}"
            capacity = 0
        else:
            needs, capacity = "", 3
        lat = 50.0 + (i % 500) / 100
        lon = -3.0 + (i % 400) / 100
        culture = ",".join(f"{5 + (i + k) % 4}.5" for k in range(3))
        expertise = ",".join(str((i + k) % 6) for k in range(8))
        yield (
            f"T{i},Trust {i:06d} NHS Foundation {pad},acute,{lat},{lon},"
            f"Region {i % 7},{capacity},,{needs},{culture},{expertise}\n"
        )


def _trusts_header() -> str:
    columns = [
        "id",
        "name",
        "kind",
        "lat",
        "lon",
        "region",
        "capacity",
        "max_partners",
        "needs",
        *(f"culture_{d}" for d in _DIMS),
        *(f"expertise_{a}" for a in _AREAS),
    ]
    return ",".join(columns) + "\n"


def write_trusts(
    path: Path, rows: int, name_length: int = 30, needs_every: int = 3
) -> Path:
    """Write a valid trusts file of *rows* trusts (20 columns)."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(_trusts_header())
        handle.writelines(_trust_rows(rows, name_length, needs_every))
    return path


def _largest_trusts(folder: Path, name_length: int = 30) -> list[Path]:
    # 20 columns: the header and 99,999 rows make exactly MAX_CELLS cells.
    rows = bio.MAX_CELLS // 20 - 1
    return [write_trusts(folder / "trusts.csv", rows, name_length)]


def _with_trusts(folder: Path, count: int = 1_000) -> Path:
    return write_trusts(folder / "trusts.csv", count, needs_every=2)


def _largest_relations(folder: Path) -> list[Path]:
    trusts = _with_trusts(folder)
    path = folder / "relations.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("a,b,kind,area,note\n")
        written = 0
        for i in range(1_000):
            for j in range(i + 1, 1_000):
                kind = "competitor" if (i + j) % 2 else "prior"
                handle.write(f"T{i},T{j},{kind},,noted {i}-{j}\n")
                written += 1
                if written == bio.MAX_ROWS:
                    return [trusts, path]
    raise AssertionError("not enough pairs")  # pragma: no cover


def _largest_pairs(folder: Path) -> list[Path]:
    trusts = _with_trusts(folder)  # seekers: even ids, 2 needs each
    path = folder / "pairs.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("seeker,area,buddy,score,workload\n")
        written = 0
        for seeker in range(0, 1_000, 2):
            for area in (_AREAS[seeker % 8], _AREAS[(seeker + 1) % 8]):
                for buddy in range(1, 200, 2):
                    handle.write(f"T{seeker},{area},T{buddy},{buddy}.5,1\n")
                    written += 1
    assert written == bio.MAX_ROWS
    return [trusts, path]


def _largest_travel(folder: Path) -> list[Path]:
    trusts = _with_trusts(folder)
    path = folder / "travel.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("origin,destination,minutes\n")
        handle.writelines(
            f"T{i},T{j},{30 + (i * j) % 120}.5\n"
            for i in range(1_000)
            for j in range(100)
        )
    return [trusts, path]


def _largest_json(folder: Path) -> list[Path]:
    # The largest trusts file, as JSON: within the value limit.
    [csv_path] = _largest_trusts(folder)
    problem = bio.read_problem(csv_path)
    path = folder / "problem.json"
    bio.write_problem_json(problem, path)
    return [path]


def _largest_arrangements(folder: Path) -> list[Path]:
    path = folder / "arrangements.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("seeker,area,buddy,status,start\n")
        handle.writelines(
            f"T{i},{_AREAS[i % 8]},T{j},ended,2024-01-01\n"
            for i in range(1_000)
            for j in range(100)
        )
    return [path]


def _million_rows(folder: Path) -> list[Path]:
    path = folder / "trusts.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("id,name,kind,lat,lon\n")
        handle.writelines(f"T{i},,acute,52,-1\n" for i in range(1_000_000))
    return [path]


def _hundred_mb_of_rows(folder: Path) -> list[Path]:
    path = folder / "trusts.csv"
    name = "n" * 78
    with path.open("w", encoding="utf-8") as handle:
        handle.write("id,name,kind,lat,lon\n")
        handle.writelines(
            f"T{i:07d},{name},acute,52,-1\n" for i in range(1_030_000)
        )
    return [path]


def _wide_header(folder: Path) -> list[Path]:
    path = folder / "trusts.csv"
    path.write_text("x," * 2_000_000 + "\n", encoding="utf-8")
    return [path]


def _line_of_commas(folder: Path) -> list[Path]:
    path = folder / "trusts.csv"
    path.write_text(
        "id,kind,lat,lon\n" + "," * (bio.MAX_FILE_BYTES - 100) + "\n",
        encoding="utf-8",
    )
    return [path]


def _all_bad(folder: Path) -> list[Path]:
    # The worst file within the limits: every expertise and culture cell
    # of every row is wrong, so each is checked and reported.
    path = folder / "trusts.csv"
    bad = ",".join(["x"] * 11)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(_trusts_header())
        handle.writelines(
            f"T{i},,acute,52,-1,,0,,,{bad}\n"
            for i in range(bio.MAX_CELLS // 20 - 1)
        )
    return [path]


def _needs_flood(folder: Path) -> list[Path]:
    path = folder / "trusts.csv"
    needs = ";".join(f"a{k}" for k in range(bio.MAX_NEEDS_PER_CELL))
    areas = ",".join(f"expertise_a{k}" for k in range(100))
    levels = ",1" * 100
    with path.open("w", encoding="utf-8") as handle:
        handle.write(f"id,kind,lat,lon,needs,{areas}\n")
        handle.writelines(
            f"S{i},acute,52,-1,{needs}{levels}\n" for i in range(19_000)
        )
    return [path]


def _json_empty_objects(folder: Path) -> list[Path]:
    path = folder / "problem.json"
    count = (bio.MAX_FILE_BYTES - 100) // 3
    path.write_text('{"trusts": [' + "{}," * count + "{}]}", encoding="utf-8")
    return [path]


def _json_nested(folder: Path) -> list[Path]:
    path = folder / "problem.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return [path]


def _json_empty_items(folder: Path) -> list[Path]:
    path = folder / "problem.json"
    items = ",".join(["{}"] * bio.MAX_ROWS)
    path.write_text('{"trusts": [' + items + "]}", encoding="utf-8")
    return [path]


def _result_of_empty_items(folder: Path) -> list[Path]:
    path = folder / "result.json"
    items = ",".join(["{}"] * bio.MAX_ROWS)
    path.write_text(
        '{"status": "optimal", "assignments": [' + items + "]}",
        encoding="utf-8",
    )
    return [path]


def _policy_at_limit(folder: Path) -> list[Path]:
    path = folder / "policy.toml"
    lines = (f"key{i} = {i}\n" for i in range(100_000))
    text = "".join(lines)[: bio.MAX_POLICY_BYTES]
    path.write_text(text[: text.rfind("\n") + 1], encoding="utf-8")
    return [path]


#: Case name -> (reader, how to make the input, what it shows).
CASES: dict[str, tuple[str, Callable[[Path], list[Path]], str]] = {
    "trusts_max": (
        "trusts",
        _largest_trusts,
        "99,999 trusts x 20 columns (MAX_CELLS); 33,333 have 2 needs",
    ),
    "trusts_50mb": (
        "trusts",
        lambda folder: _largest_trusts(folder, name_length=420),
        "the same with 420-character names: 50 MB",
    ),
    "relations_max": (
        "relations",
        _largest_relations,
        "100,000 relations (MAX_ROWS) among 1,000 trusts",
    ),
    "pairs_max": (
        "pairs",
        _largest_pairs,
        "100,000 pair overrides (MAX_ROWS) for 1,000 needs",
    ),
    "travel_max": (
        "travel",
        _largest_travel,
        "100,000 travel times (MAX_ROWS), read_problem",
    ),
    "travel_matrix_max": (
        "travel_matrix",
        _largest_travel,
        "the same file, TravelMatrix.from_csv",
    ),
    "problem_json_max": (
        "problem_json",
        _largest_json,
        "trusts_max as JSON",
    ),
    "arrangements_max": (
        "arrangements",
        _largest_arrangements,
        "100,000 arrangements (MAX_ROWS)",
    ),
    "policy_max": (
        "policy",
        _policy_at_limit,
        "100 kB of unknown keys (MAX_POLICY_BYTES)",
    ),
    "million_rows": (
        "trusts",
        _million_rows,
        "1,000,000 short rows (21 MB)",
    ),
    "hundred_mb_rows": (
        "trusts",
        _hundred_mb_of_rows,
        "1,030,000 rows, just under MAX_FILE_BYTES",
    ),
    "wide_header": (
        "trusts",
        _wide_header,
        "a header of 2,000,001 columns (4 MB)",
    ),
    "line_of_commas": (
        "trusts",
        _line_of_commas,
        "a 100 MB line of commas",
    ),
    "all_bad": (
        "trusts",
        _all_bad,
        "trusts_max with 11 wrong cells in every row",
    ),
    "needs_flood": (
        "trusts",
        _needs_flood,
        "19,000 rows of 100 needs each",
    ),
    "json_empty_objects": (
        "problem_json",
        _json_empty_objects,
        "100 MB of empty objects",
    ),
    "json_empty_items": (
        "problem_json",
        _json_empty_items,
        "100,000 empty trusts (MAX_ROWS): 3 problems each",
    ),
    "json_nested": (
        "problem_json",
        _json_nested,
        "lists nested 100,000 deep",
    ),
    "result_empty_items": (
        "result_json",
        _result_of_empty_items,
        "a result of 100,000 empty assignments",
    ),
}


# ---------------------------------------------------------------------------
# Reading, in a child process
# ---------------------------------------------------------------------------


def _peak_mb() -> float:
    """Return the process's peak resident memory so far, in MB."""
    # VmHWM belongs to the program's own memory, made new at exec;
    # ru_maxrss would also count the parent's size at the fork.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # Kilobytes on Linux, bytes on macOS; this fallback assumes Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(reader: str, paths: list[str]) -> None:
    """Read *paths* with *reader*; print the outcome as JSON."""
    from buddymatch.errors import InputError
    from buddymatch.mapping import read_result
    from buddymatch.travel import TravelMatrix

    readers: dict[str, Callable[[], object]] = {
        "trusts": lambda: bio.read_problem(paths[0]),
        "relations": lambda: bio.read_problem(paths[0], relations=paths[1]),
        "pairs": lambda: bio.read_problem(paths[0], pairs=paths[1]),
        "travel": lambda: bio.read_problem(paths[0], travel_matrix=paths[1]),
        "travel_matrix": lambda: TravelMatrix.from_csv(paths[-1]),
        "problem_json": lambda: bio.read_problem_json(paths[0]),
        "arrangements": lambda: bio.read_arrangements(paths[0]),
        "policy": lambda: bio.read_policy(paths[0]),
        "result_json": lambda: read_result(paths[0]),
    }
    base = _peak_mb()
    start = time.perf_counter()
    try:
        value = readers[reader]()
        outcome = f"accepted: {_describe(value)}"
    except InputError as error:
        first = error.problems[0]
        outcome = (
            f"refused, {len(error.problems):,} problem"
            f"{'s' if len(error.problems) != 1 else ''}: {first.message}"
        )
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": _peak_mb(),
                "above_mb": _peak_mb() - base,
                "outcome": outcome,
            }
        )
    )


def _describe(value: object) -> str:
    from buddymatch.model import Problem

    if isinstance(value, Problem):
        parts = [
            f"{len(value.trusts):,} trusts",
            f"{len(value.needs):,} needs",
        ]
        for name in ("relations", "overrides"):
            if getattr(value, name):
                parts.append(f"{len(getattr(value, name)):,} {name}")
        if value.travel:
            parts.append(f"{len(value.travel):,} travel times")
        return ", ".join(parts)
    if isinstance(value, list):
        return f"{len(value):,} items"
    try:
        return f"{len(value):,} entries"  # type: ignore[arg-type]
    except TypeError:
        return type(value).__name__


def measure(name: str, folder: Path) -> dict[str, object]:
    """Write case *name*'s input under *folder* and read it in a child."""
    reader, make, what = CASES[name]
    case_folder = folder / name
    case_folder.mkdir()
    paths = make(case_folder)
    size = sum(p.stat().st_size for p in paths)
    done = subprocess.run(
        [sys.executable, __file__, "--child", reader, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    report: dict[str, object] = json.loads(done.stdout)
    report.update(case=name, what=what, megabytes=size / 1e6)
    for path in paths:
        path.unlink()
    return report


def main() -> None:
    """Run the cases named on the command line (default: all)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="*", help="cases to run")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        _child(options.child[0], options.child[1:])
        return
    if options.list:
        print("\n".join(f"{n}: {c[2]}" for n, c in CASES.items()))
        return
    unknown = [case for case in options.cases if case not in CASES]
    if unknown:
        parser.error(f"unknown cases {unknown}; see --list")
    print("| case | input | MB | outcome | seconds | peak MB (above import) |")
    print("|---|---|---:|---|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="buddymatch-limits-") as name:
        for case in options.cases or CASES:
            r = measure(case, Path(name))
            print(
                f"| {case} | {r['what']} | {r['megabytes']:.1f} | "
                f"{r['outcome']} | {r['seconds']:.2f} | "
                f"{r['peak_mb']:.0f} ({r['above_mb']:.0f}) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
