"""Re-matching: keep what is running, ban what has ended, propose the rest.

The review found that "all parties should have the discretion to terminate
arrangements that turn out to be a poor fit or are proving unproductive",
and that arrangements run for months or years.  A proposal is therefore
rarely made from scratch: [`rematch`][buddymatch.rematch.rematch] takes the
arrangements in place
(``arrangements.csv``: ``seeker, area, buddy, status[, start]``) and
proposes on top of them, changing as little as possible.

It works by transforming the problem, never the engine
(``docs/rematch.md`` has the details):

* an **ended** arrangement vetoes its seeker-buddy pair in *every* area: the
  review's termination is of a partnership that turned out a poor fit, not
  of one area's work;
* an **ongoing** arrangement that is still a candidate becomes a pin
  (``keep_ongoing = "pinned"``) or gets its score raised by
  ``disruption_cost`` (``"soft"``: dropping it then costs exactly that);
* an ongoing arrangement the engine cannot hold as a pin (one that now
  breaks a rule, or that serves only part of a need) is kept *outside* the
  model: its workload, partner, fee and buddy counts are taken off the
  buddy's capacity, the partner limits and the budget, and its need asks
  for that many fewer buddies.  One that breaks a rule is flagged with the
  rule, in words.

The answer, a [`RematchResult`][buddymatch.rematch.RematchResult], is a diff:
kept, new, ended, dropped
(soft mode only) and unmet, with the engine's [`Result`][buddymatch.Result] for
the
transformed problem, which [`verify`][buddymatch.verify.verify] checks.

The package's modules, in the order of a call: `plan` (the
transformation, with `room` for the limits that arrangements kept
outside the model take, counted in the solver's
`Ledger`), `run`
([`rematch`][buddymatch.rematch.rematch] and its
re-solves), `diff` (the answer) and `models` (its types).
The diff is written by
[`buddymatch.render.write_output`][buddymatch.render.write_output] (CSV rows
and Markdown in `buddymatch.render.rematch`); `output` keeps
the names this package has always offered.
"""

from buddymatch.arrangement import (
    ARRANGEMENT_COLUMNS,
    Arrangement,
    arrangement_issues,
)
from buddymatch.rematch.output import (
    CHANGE_COLUMNS,
    change_rows,
    render_rematch_markdown,
    write_rematch,
)
from buddymatch.rematch.run import rematch
from buddymatch.rematch_result import Change, Flag, RematchResult

__all__ = [
    "ARRANGEMENT_COLUMNS",
    "CHANGE_COLUMNS",
    "Arrangement",
    "Change",
    "Flag",
    "RematchResult",
    "arrangement_issues",
    "change_rows",
    "rematch",
    "render_rematch_markdown",
    "write_rematch",
]
