"""What-if sweep on a Dask cluster: one problem, several travel windows.

Run it with ``python examples/sweep_dask.py`` (it needs the optional
``dask[distributed]`` package and says so, and stops, without it).

:func:`buddymatch.sweep.propose_many` runs independent solves through any
``concurrent.futures.Executor``.  Here a small local Dask cluster provides
it; to use a real cluster, connect to its scheduler instead::

    client = Client("tcp://scheduler.example.org:8786")

Every worker needs buddymatch installed.  The problem, the policies and the
results travel between machines by pickling, which Pydantic models
support as they are.
"""

from __future__ import annotations

import importlib.util

import buddymatch as bm
from buddymatch.sweep import propose_many

#: The scenarios: the longest journey a buddy may be from its seeker.
MAX_MINUTES = (90.0, 120.0, 150.0)


def main() -> None:
    """Solve the bundled example under each travel window on Dask."""
    from distributed import Client, LocalCluster

    folder = bm.example_dir()
    problem = bm.read_problem(
        folder / "trusts.csv", relations=folder / "relations.csv"
    )
    base = bm.read_policy(folder / "policy.toml")
    policies = {
        f"up to {minutes:g} min": bm.Policy.model_validate(
            {**base.model_dump(), "max_travel_minutes": minutes}
        )
        for minutes in MAX_MINUTES
    }
    # Threads in this process keep the demonstration quick; a cluster of
    # processes or machines is used in exactly the same way.
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        results = propose_many(
            problem,
            policies,
            executor=client.get_executor(),
            time_limit=3,
        )
    print(f"{'scenario':<14} {'met':>7} {'quality':>9}  status")
    for name, result in results.items():
        assert bm.verify(problem, policies[name], result) == []
        met = sum(c.covered for c in result.coverage)
        total = sum(c.total for c in result.coverage)
        print(
            f"{name:<14} {met:>3}/{total:<3} {result.objective or 0:>9.1f}  "
            f"{result.status}"
        )


if __name__ == "__main__":
    if importlib.util.find_spec("distributed") is None:
        print(
            "skipped: this example needs dask (pip install "
            '"dask[distributed]")'
        )
    else:
        main()
