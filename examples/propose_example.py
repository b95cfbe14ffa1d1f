"""Propose buddies for the bundled example, check them, and look inside.

Run it with ``python examples/propose_example.py``.  It reads the example
that ships with buddymatch (150 fictional trusts, 12 seekers), proposes an
arrangement, has the independent verifier check it, and prints the summary,
the three highest-scoring assignments and the unmet needs.
"""

from __future__ import annotations

import buddymatch as bm


def main() -> None:
    """Solve the bundled example and print what came out."""
    folder = bm.example_dir()
    problem = bm.read_problem(
        folder / "trusts.csv", relations=folder / "relations.csv"
    )
    policy = bm.read_policy(folder / "policy.toml")

    result = bm.propose(problem, policy, time_limit=10)
    violations = bm.verify(problem, policy, result)
    if violations:
        raise SystemExit("\n".join(str(v) for v in violations))
    print(result.summary())

    # The assignments as a DataFrame (pandas comes with OR-Tools).
    best = result.to_pandas().nlargest(3, "score")
    print("\nHighest-scoring assignments:")
    print(
        best[
            ["seeker_name", "area", "buddy_name", "travel_minutes", "score"]
        ].to_string(index=False)
    )
    print("\nUnmet needs:")
    for need in result.unmet:
        print(f"  {need.seeker} {need.area}: {need.detail}")

    # A result is plain data: its JSON is lossless.
    assert bm.Result.from_json(result.to_json()) == result


if __name__ == "__main__":
    main()
