"""Solve parameters: how a search runs, for every entry point that solves.

[`propose`][buddymatch.propose], [`propose_many`][buddymatch.propose_many],
[`rematch`][buddymatch.rematch], [`explain_result`][buddymatch.explain_result]
and
[`explain_pair`][buddymatch.explain_pair] take one
[`SolveParams`][buddymatch.params.SolveParams]::

    params = bm.SolveParams(time_limit=30, seed=1, deterministic=True)
    result = bm.propose(problem, policy, params=params)
    rematched = bm.rematch(problem, policy, arrangements, params=params)

They still take the same settings as keywords (``time_limit=30`` ...);
[`SolveParams.merge`][buddymatch.params.SolveParams.merge] turns those into a
[`SolveParams`][buddymatch.params.SolveParams], the
only form passed on inside the package.  The problem and its travel model
are not parameters of the search: they stay arguments of each call.

This module loads no solver, so importing it costs nothing.
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "EventCallback",
    "ProgressCallback",
    "ProgressEvent",
    "SolveParams",
]

#: Called on each improving proposal with (elapsed seconds, objective
#: points, bound points, gap).
ProgressCallback = Callable[[float, float, float, float], None]


@dataclass(frozen=True, kw_only=True)
class ProgressEvent:
    """Where a running search is, and the best proposal it has so far.

    Sent to the ``events`` of
    [SolveParams][buddymatch.params.SolveParams] when a phase
    begins and whenever the search finds a better proposal, from the
    caller's thread or the solver's.

    Parameters
    ----------
    phase
        What the search is doing: ``candidates`` (applying the hard
        rules), ``warm start`` (the greedy proposal), ``flow`` (the exact
        min-cost flow), ``bounds`` (the decomposition's bounds),
        ``master`` (the integer master over its columns), ``cover
        priority 3`` (2, 1: meeting as many needs of that priority as
        possible), ``quality`` (the best quality with that cover) or
        ``result`` (building the result).
    elapsed
        Seconds since the call began.
    time_limit
        The call's time limit (deterministic time units in deterministic
        mode, when *elapsed* may pass it).
    needs
        Needs per priority in the problem (empty before the candidates
        are built).
    cover
        Needs met per priority by the best proposal so far, for the
        priorities known: while a cover stage runs, the priorities below
        it are left out; while the quality stage runs, each is the cover
        it must keep (a proposal may meet more).  Empty before there is a
        proposal.
    quality
        Quality points of the best proposal so far (from the warm start
        on); ``None`` before there is one.
    bound
        The proven upper bound on quality, when one is known (never on
        a shortlist, whose bound proves nothing).
    gap
        ``|bound - quality| / max(1, |quality|)``, with *bound*.
    """

    phase: str
    elapsed: float
    time_limit: float
    needs: Mapping[int, int] = field(default_factory=dict)
    cover: Mapping[int, int] = field(default_factory=dict)
    quality: float | None = None
    bound: float | None = None
    gap: float | None = None


#: Called with a [ProgressEvent][buddymatch.params.ProgressEvent] at each
#: phase of a search and on each better proposal.
EventCallback = Callable[[ProgressEvent], None]

#: Default time limit in seconds.
DEFAULT_TIME_LIMIT = 10.0

# CP-SAT's random seed is a 32-bit signed integer.
_SEED_RANGE = range(-(2**31), 2**31)


@dataclass(frozen=True, kw_only=True)
class SolveParams:
    """How a search runs: its time, seed, threads and mode.

    Frozen, so one object can be shared by many calls; make a changed copy
    with `dataclasses.replace`.  Values are checked when it is made.

    Parameters
    ----------
    time_limit
        Seconds for the whole call of [`propose`][buddymatch.propose]
        (candidates, warm start and every solver stage); in deterministic
        mode, CP-SAT deterministic-time units for the solver stages
        (roughly seconds).  At least 0.  The best proposal found so far is
        returned when it runs out.  Re-matching and explanations apply it
        to each solve they make.
    seed
        Random seed of the search (a 32-bit integer).
    workers
        CP-SAT worker threads, at least 1; ``None`` chooses by model size
        (see [`propose`][buddymatch.propose]).
    deterministic
        When true, the same input gives the same assignments and objective
        (interleaved search with a deterministic time limit).
    progress
        Called with (elapsed, objective, bound, gap) on each improving
        solution of the quality stage.
    events
        Called with a [ProgressEvent][buddymatch.params.ProgressEvent]
        when each phase begins (candidates, warm start, each stage) and
        on each better proposal of any stage, with the phase, the cover
        and quality of the best proposal so far, its bound and gap: what
        a progress bar shows.
    stop
        An event that, once set, stops the search and returns the best
        proposal so far promptly, whatever the phase (``status``
        ``feasible``, or ``no_solution`` before there is one; the
        result's ``solver["stopped"]`` is ``"interrupt"``).  Without it,
        Ctrl-C on the main thread raises KeyboardInterrupt promptly.
    log_search
        Send CP-SAT's search log to the ``buddymatch`` logger.
    solver_params
        Expert CP-SAT parameters (``SatParameters`` field names), applied
        last and recorded in the result's ``solver`` field.  A copy is
        kept.

    Raises
    ------
    TypeError
        If a value has the wrong type (a time limit that is not a number,
        a seed that is not an integer ...).
    ValueError
        If a value is out of range (a negative or infinite time limit,
        fewer than one worker, a seed outside 32 bits).

    Examples
    --------
    >>> import buddymatch as bm
    >>> params = bm.SolveParams(time_limit=5, deterministic=True)
    >>> params.time_limit, params.workers
    (5.0, None)
    """

    time_limit: float = DEFAULT_TIME_LIMIT
    seed: int = 0
    workers: int | None = None
    deterministic: bool = False
    progress: ProgressCallback | None = None
    events: EventCallback | None = None
    stop: threading.Event | None = None
    log_search: bool = False
    # A dict is not hashable: the field is left out of the hash.
    solver_params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        """Check every value, once, for every entry point."""
        limit = self.time_limit
        if not isinstance(limit, numbers.Real) or isinstance(limit, bool):
            raise TypeError(
                f"time_limit must be a number of seconds, got {limit!r}"
            )
        if math.isnan(limit) or math.isinf(limit) or limit < 0:
            raise ValueError(
                f"time_limit must be a finite number of seconds, at least "
                f"0; got {limit!r}"
            )
        seed = _integer("seed", self.seed)
        if seed not in _SEED_RANGE:
            raise ValueError(
                f"seed must fit in 32 bits (from {_SEED_RANGE.start} to "
                f"{_SEED_RANGE.stop - 1}); got {seed}"
            )
        workers = self.workers
        if workers is not None:
            workers = _integer("workers", workers)
            if workers < 1:
                raise ValueError(
                    f"workers must be at least 1 (or None to choose by "
                    f"model size); got {workers}"
                )
        if self.progress is not None and not callable(self.progress):
            raise TypeError(
                f"progress must be callable or None, got {self.progress!r}"
            )
        if self.events is not None and not callable(self.events):
            raise TypeError(
                f"events must be callable or None, got {self.events!r}"
            )
        if self.stop is not None and not callable(
            getattr(self.stop, "is_set", None)
        ):
            raise TypeError(
                f"stop must be a threading.Event or None, got {self.stop!r}"
            )
        extra = self.solver_params
        if not isinstance(extra, Mapping) or not all(
            isinstance(key, str) for key in extra
        ):
            raise TypeError(
                "solver_params must be a mapping of CP-SAT parameter names "
                f"to values, got {extra!r}"
            )
        # Frozen: the normalised values are set past __setattr__.
        set_ = object.__setattr__
        set_(self, "time_limit", float(limit))
        set_(self, "seed", seed)
        set_(self, "workers", workers)
        set_(self, "deterministic", _flag("deterministic", self.deterministic))
        set_(self, "log_search", _flag("log_search", self.log_search))
        set_(self, "solver_params", dict(extra))

    @classmethod
    def merge(
        cls,
        params: SolveParams | None,
        *,
        defaults: SolveParams | None = None,
        time_limit: float | None = None,
        seed: int | None = None,
        workers: int | None = None,
        deterministic: bool | None = None,
        progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
        log_search: bool | None = None,
        solver_params: Mapping[str, Any] | None = None,
        events: EventCallback | None = None,
    ) -> SolveParams:
        """Return the parameters of a call given *params* or keywords.

        Every solving entry point takes its settings either as one
        [`SolveParams`][buddymatch.params.SolveParams] or as the keywords of
        its fields; this is
        where the two forms meet.  A keyword left ``None`` is not given.

        Parameters
        ----------
        params
            The caller's parameters, or ``None``.
        defaults
            The entry point's defaults, used when *params* is ``None``
            (default: ``SolveParams()``).
        time_limit, seed, workers, deterministic, progress, stop, \
log_search, solver_params, events
            The fields given as keywords.

        Returns
        -------
        SolveParams
            *params* when given, else *defaults* with the keywords given.

        Raises
        ------
        TypeError
            If *params* is given with a keyword that differs from it (the
            call would be ambiguous), or *params* is not a
            [`SolveParams`][buddymatch.params.SolveParams].
        ValueError
            If a keyword's value is out of range (see
            [`SolveParams`][buddymatch.params.SolveParams]).

        Examples
        --------
        >>> SolveParams.merge(None, time_limit=5).time_limit
        5.0
        >>> SolveParams.merge(SolveParams(seed=2), seed=2).seed
        2

        ``SolveParams.merge(SolveParams(seed=2), seed=3)`` raises a
        TypeError.
        """
        given: dict[str, Any] = {
            name: value
            for name, value in (
                ("time_limit", time_limit),
                ("seed", seed),
                ("workers", workers),
                ("deterministic", deterministic),
                ("progress", progress),
                ("stop", stop),
                ("log_search", log_search),
                ("solver_params", solver_params),
                ("events", events),
            )
            if value is not None
        }
        if params is None:
            return replace(defaults or cls(), **given)
        if not isinstance(params, SolveParams):
            raise TypeError(
                f"params must be a SolveParams, got {type(params).__name__}"
            )
        # Compared once normalised (10 and 10.0 are the same limit).
        asked = replace(params, **given)
        clashes = [
            f"{name}={given[name]!r} but params.{name}="
            f"{getattr(params, name)!r}"
            for name in given
            if getattr(asked, name) != getattr(params, name)
        ]
        if clashes:
            raise TypeError(
                "give the solve settings either as params or as keywords, "
                "not both: " + "; ".join(clashes)
            )
        return params


def _integer(name: str, value: object) -> int:
    """Return *value* as an int, or raise a TypeError naming *name*."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return int(value)


def _flag(name: str, value: object) -> bool:
    """Return *value* as a bool (True, False, 1 or 0), or raise."""
    if value not in (True, False):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)
