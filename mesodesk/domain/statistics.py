"""Proportions with their confidence intervals.

The interval is the Wilson score interval (Wilson 1927; Newcombe 1998, method 3): it stays inside
0 to 1, keeps close to its nominal coverage for small counts and for rates near 0 or 1, where the
textbook normal approximation fails, and needs no special case for 0 or n events.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Proportion:
    """``events`` out of ``total`` with its Wilson interval (0 to 1)."""

    events: int
    total: int
    low: float
    high: float

    @classmethod
    def of(cls, events: int, total: int, confidence: float = CONFIDENCE) -> Proportion:
        low, high = wilson_interval(events, total, confidence)
        return cls(events, total, low, high)

    @property
    def rate(self) -> float:
        return self.events / self.total if self.total else 0.0


def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile: 1.959964 for 95 %."""
    if not 0 < confidence < 1:
        raise ValueError("confidence is between 0 and 1")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(events: int, total: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for ``events`` successes in ``total`` trials.

    With no trials at all nothing is known: (0, 1).
    """
    if total < 0 or not 0 <= events <= total:
        raise ValueError("events must be between 0 and total")
    if total == 0:
        return 0.0, 1.0
    z = z_value(confidence)
    z2 = z * z
    p = events / total
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # exact ends at 0 and n events (rounding would leave 1e-17 instead of 0)
    if events == 0:
        low = 0.0
    if events == total:
        high = 1.0
    return low, high
