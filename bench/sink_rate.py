"""The rate a sink saw, shared by the throttle benchmarks."""

from __future__ import annotations


def observed_rate(arrivals: list[float]) -> tuple[float, list[int]]:
    """(arrivals − 1) / (last − first), and how many arrived in each second from the first."""
    arrivals = sorted(arrivals)
    span = arrivals[-1] - arrivals[0]
    observed = (len(arrivals) - 1) / span if span > 0 else float("inf")
    per_second = [0] * (int(span) + 1)
    for t in arrivals:
        per_second[int(t - arrivals[0])] += 1
    return observed, per_second
