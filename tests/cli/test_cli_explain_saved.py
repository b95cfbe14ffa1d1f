"""`buddymatch explain RESULT.json TRUSTS …`: the saved proposal explained.

The proposal explained is the one in the file, never a re-solve of it
(re-solves answer only "what if" questions: a pinned pair, a policy
change); it is checked against the inputs first; the answer starts as a
summary, with one need, pair or buddy on request.
"""

from __future__ import annotations

import json
import math
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import buddymatch as bm
import buddymatch.solvers
from buddymatch.cli import app
from conftest import make_trust

runner = CliRunner()

MIN_PER_DEG = 6371.0088 * math.pi / 180 * 1.3


def north(tid: str, minutes: float, **kw: object) -> bm.Trust:
    """A trust *minutes* of straight-line travel north of (52, -1.5)."""
    return make_trust(tid, 52.0 + minutes / MIN_PER_DEG, -1.5, **kw)  # type: ignore[arg-type]


def problem() -> bm.Problem:
    """S's finance need and S2's finance need; S's governance need is
    unmet (its only buddy, AWAY, is beyond the 150-minute limit)."""
    return bm.Problem(
        trusts=(
            north("S", 0),
            make_trust(
                "S2",
                52.0 + 1 / MIN_PER_DEG,
                -1.5 + 5 / (MIN_PER_DEG * math.cos(math.radians(52))),
            ),
            north("NEAR", 60, capacity=1, expertise={"finance": 5}),
            north("FAR", 100, capacity=5, expertise={"finance": 4}),
            north("CLOSE", 19, capacity=5, expertise={"finance": 4}),
            north("AWAY", 170, capacity=5, expertise={"governance": 4}),
        ),
        needs=(
            bm.Need(seeker="S", area="finance", priority=3),
            bm.Need(seeker="S2", area="finance"),
            bm.Need(seeker="S", area="governance"),
        ),
    )


def inputs_of(folder: Path, prob: bm.Problem) -> list[str]:
    files = bm.write_problem_csv(prob, folder)
    args = [str(files["trusts"])]
    if "relations" in files:
        args += ["--relations", str(files["relations"])]
    return args


@pytest.fixture
def inputs(tmp_path: Path) -> list[str]:
    return inputs_of(tmp_path / "in", problem())


@pytest.fixture
def saved(inputs: list[str], tmp_path: Path) -> Path:
    """The result `propose --out` wrote for the inputs."""
    path = tmp_path / "result.json"
    done = runner.invoke(
        app, ["propose", *inputs, "--deterministic", "--out", str(path)]
    )
    assert done.exit_code == 1, done.output
    result = bm.Result.from_json(path.read_text())
    assert bm.verify(problem(), None, result) == []
    return path


@pytest.fixture
def no_solver(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any solve fail once the result is saved: the saved proposal
    must be explained as it is."""

    def refuse(*args: object, **kwargs: object) -> bm.Result:
        raise AssertionError("explain re-solved the saved proposal")

    monkeypatch.setattr(buddymatch.solvers, "propose", refuse)


def explain(saved: Path, inputs: list[str], *more: str) -> object:
    return runner.invoke(app, ["explain", str(saved), *inputs, *more])


@pytest.mark.usefixtures("no_solver")
def test_the_summary_comes_first_and_solves_nothing(
    saved: Path, inputs: list[str]
) -> None:
    done = runner.invoke(app, ["explain", str(saved), *inputs])
    assert done.exit_code == 1, done.output  # an unmet need
    text = " ".join(done.stdout.split())  # as one line: rich wraps
    assert "The proposal in brief" in text
    assert "Status: optimal" in text
    assert "2 of 3 needs met" in text
    # Each unmet need in a line, with the result's own reason.
    assert "S NHS Trust (S): governance (light tier, priority 2)" in text
    assert "no buddy passes the hard rules" in text
    # How to ask for more, with examples from this proposal.
    for option in ("--need S/governance", "--pair", "--buddy", "--all"):
        assert option in text
    assert "no RESULT.json" not in done.output
    assert len(done.stdout.splitlines()) < 50


@pytest.mark.usefixtures("no_solver")
def test_a_met_need_names_its_buddy_and_the_next_best(
    saved: Path, inputs: list[str]
) -> None:
    done = explain(saved, inputs, "--need", "S2/finance")
    assert done.exit_code == 1, done.output
    assert "S2's finance need" in done.stdout
    assert "FAR serves S2's finance need" in done.stdout
    assert "Unmet needs" not in done.stdout


def test_an_unmet_need_says_why_and_what_would_cover_it(
    saved: Path, inputs: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "need.json"
    done = explain(saved, inputs, "--need", "S/governance", "-o", str(out))
    assert done.exit_code == 1, done.output
    data = json.loads(out.read_text())
    assert data["assignments"] == []
    (unmet,) = data["unmet"]
    assert (unmet["seeker"], unmet["area"]) == ("S", "governance")
    assert unmet["bottleneck"] == "travel"
    assert unmet["relaxations"][0]["parameter"] == "max_travel_minutes"


@pytest.mark.usefixtures("no_solver")
def test_a_buddy_says_what_it_does_and_its_room_left(
    saved: Path, inputs: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "buddy.json"
    done = explain(saved, inputs, "--buddy", "FAR", "--out", str(out))
    assert done.exit_code == 1, done.output
    data = json.loads(out.read_text())
    assert (data["capacity"], data["used"], data["left"]) == (5, 1, 4)
    assert data["partners"] == ["S2"]
    assert [(a["seeker"], a["area"]) for a in data["serves"]] == [
        ("S2", "finance")
    ]
    assert data["excluded"] == {"expertise": 1}  # S's governance need
    printed = explain(saved, inputs, "--buddy", "FAR")
    assert "FAR serves 1 need of 1 seeker" in printed.stdout


def test_a_pair_is_explained_against_the_saved_proposal(
    saved: Path, inputs: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "pair.json"
    done = explain(saved, inputs, "--pair", "S/finance/CLOSE", "-o", str(out))
    assert done.exit_code == 1, done.output
    data = json.loads(out.read_text())
    assert (data["status"], data["rule"]) == ("excluded", "too_close")


@pytest.mark.usefixtures("no_solver")
def test_seeker_and_area_ask_about_the_need(
    saved: Path, inputs: list[str]
) -> None:
    by_options = explain(saved, inputs, "--seeker", "S2", "--area", "finance")
    by_need = explain(saved, inputs, "--need", "S2/finance")
    assert by_options.exit_code == by_need.exit_code == 1
    assert by_options.stdout == by_need.stdout


def test_the_proposal_explained_is_the_one_saved_not_a_re_solve(
    tmp_path: Path,
) -> None:
    """Two buddies tie exactly; the saved proposal has the one a re-solve
    does not choose, and that is the one explained."""
    twins = bm.Problem(
        trusts=(
            north("S", 0),
            north("TWIN1", 60, capacity=2, expertise={"finance": 4}),
            north("TWIN2", 60, capacity=2, expertise={"finance": 4}),
        ),
        needs=(bm.Need(seeker="S", area="finance"),),
    )
    params = bm.SolveParams(deterministic=True)
    chosen = bm.propose(twins, params=params).assignments[0].buddy
    other = "TWIN2" if chosen == "TWIN1" else "TWIN1"
    pinned = twins.model_copy(
        update={
            "relations": (
                bm.Relation(a="S", b=other, kind="pinned", area="finance"),
            )
        }
    )
    tied = bm.propose(pinned, params=params)
    # The same proposal as if the search had broken the tie the other way.
    saved = tied.model_copy(
        update={
            "assignments": tuple(
                a.model_copy(update={"pinned": False})
                for a in tied.assignments
            )
        }
    )
    assert bm.verify(twins, None, saved) == []
    path = tmp_path / "tied.json"
    path.write_text(saved.to_json())
    args = inputs_of(tmp_path / "in", twins)
    done = runner.invoke(
        app, ["explain", str(path), *args, "--need", "S/finance"]
    )
    assert done.exit_code == 0, done.output
    assert f"{other} serves S's finance need" in done.stdout
    assert f"{chosen} serves" not in done.stdout


def test_a_result_of_other_inputs_is_refused(
    saved: Path, tmp_path: Path
) -> None:
    other = problem().model_copy(
        update={"needs": (bm.Need(seeker="S2", area="finance"),)}
    )
    done = explain(saved, inputs_of(tmp_path / "other", other))
    assert done.exit_code == 2, done.output
    text = " ".join(done.output.split())
    assert "the result does not belong to these inputs" in text
    # The violations, each in verify's words and code.
    assert "unmet need S/governance is not a need of the problem" in text
    assert "(unknown_need)" in text


def test_the_policy_the_result_records_is_used(
    inputs: list[str], tmp_path: Path
) -> None:
    """Made with a longer reach, the result explains with it when no
    --policy is given; a --policy that differs is refused, by setting."""
    policy = bm.Policy(max_travel_minutes=200)
    policy_file = tmp_path / "policy.toml"
    bm.io.write_policy_toml(policy, policy_file)
    path = tmp_path / "far.json"
    done = runner.invoke(
        app,
        [
            "propose",
            *inputs,
            "--policy",
            str(policy_file),
            "--deterministic",
            "-o",
            str(path),
        ],
    )
    assert done.exit_code == 0, done.output  # AWAY within reach now
    done = explain(path, inputs, "--need", "S/governance")
    assert done.exit_code == 0, done.output
    assert "AWAY serves S's governance need" in done.stdout
    default = tmp_path / "default.toml"
    bm.io.write_policy_toml(bm.Policy(), default)
    done = explain(path, inputs, "--policy", str(default))
    assert done.exit_code == 2, done.output
    assert "max_travel_minutes is 150.0 here but 200.0" in done.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["RESULT"], "needs the problem's inputs too"),
        (["TRUSTS", "RESULT"], "the result file comes second"),
        (["RESULT", "TRUSTS", "--need", "S"], "is not SEEKER/AREA"),
        (
            ["RESULT", "TRUSTS", "--need", "S/finance", "--all"],
            "one question at a time",
        ),
        (["RESULT", "TRUSTS", "--need", "S/maternity"], "no 'maternity' need"),
        (["RESULT", "TRUSTS", "--buddy", "NOBODY"], "is not a trust"),
    ],
)
def test_usage_errors_say_how_to_ask(
    saved: Path, inputs: list[str], args: list[str], words: str
) -> None:
    given = {"RESULT": str(saved), "TRUSTS": inputs[0]}
    done = runner.invoke(app, ["explain", *(given.get(a, a) for a in args)])
    assert done.exit_code == 2, done.output
    assert words in " ".join(done.output.split())


def test_the_result_can_come_from_standard_input(
    saved: Path, inputs: list[str]
) -> None:
    done = runner.invoke(
        app,
        ["explain", "-", *inputs, "--need", "S2/finance"],
        input=saved.read_text(),
    )
    assert done.exit_code == 1, done.output
    assert "FAR serves S2's finance need" in done.stdout


def test_a_broken_result_on_standard_input_is_named_stdin(
    inputs: list[str],
) -> None:
    done = runner.invoke(
        app, ["explain", "-", *inputs], input='{"status": "optimal",\n}'
    )
    assert done.exit_code == 2, done.output
    assert "<stdin>, line 2: not valid JSON" in done.output


def test_explain_in_a_terminal(saved: Path, inputs: list[str]) -> None:
    """The installed command in a pseudo-terminal (rich sees a terminal):
    `python -m buddymatch explain RESULT.json TRUSTS --need …`."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "COLUMNS": "100",
        "TERM": "xterm",
    }
    env.pop("NO_COLOR", None)
    command = [sys.executable, "-m", "buddymatch", "explain", str(saved)]
    command += [*inputs, "--need", "S2/finance"]
    primary, secondary = pty.openpty()
    with subprocess.Popen(
        command,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        close_fds=True,
    ) as child:
        os.close(secondary)
        chunks: list[bytes] = []
        while True:
            ready, _, _ = select.select([primary], [], [], 120)
            if not ready:
                child.kill()
                break
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = child.wait(timeout=120)
    os.close(primary)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert code == 1, text
    assert "\x1b[" in text  # rich styled it for the terminal
    plain = " ".join(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).split())
    assert "S2's finance need" in plain
    assert "FAR serves S2's finance need" in plain
    assert "Traceback" not in plain


@pytest.mark.usefixtures("no_solver")
def test_a_summary_in_a_log_is_its_markdown_not_a_padded_layout(
    saved: Path, inputs: list[str]
) -> None:
    # CliRunner's stdout is not a terminal: the Markdown itself is shown,
    # not rich's layout of it across a 200-column log (a centred heading
    # and paragraphs padded with spaces).
    done = runner.invoke(app, ["explain", str(saved), *inputs])
    lines = done.stdout.splitlines()
    assert lines[0] == "# The proposal in brief"
    markdown = lines[: lines.index("Ask about one part:")]
    assert all(line == line.rstrip() for line in markdown)
