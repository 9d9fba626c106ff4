"""The statistics of an eval, in plain Python: Wilson's interval for an accuracy, and McNemar's
paired test of two arms answering the same questions."""

from __future__ import annotations

import math

__all__ = ["Z95", "mcnemar", "wilson"]

#: the standard normal quantile of 0.975 (a two-sided 95 % interval)
Z95 = 1.959963984540054

#: below this many discordant pairs the exact binomial test is used, else the chi-square one
EXACT_BELOW = 25


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval ``(low, high)`` for ``successes`` out of ``trials`` (``(0, 1)``
    for no trials)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def mcnemar(only_first: int, only_second: int) -> tuple[float, str]:
    """McNemar's two-sided p-value for paired outcomes: ``only_first`` questions only the first
    arm got right, ``only_second`` only the second; returns ``(p, method)``.

    Under the null hypothesis each discordant pair goes either way with probability 1/2. Fewer
    than :data:`EXACT_BELOW` discordant pairs: the exact binomial test, ``p = min(1, 2 P(X <=
    min(b, c)))`` with ``X ~ Binomial(b + c, 1/2)``; more: the chi-square statistic with
    continuity correction ``(|b - c| - 1)^2 / (b + c)`` on one degree of freedom.
    """
    b, c = only_first, only_second
    n = b + c
    if n == 0:
        return 1.0, "exact"
    if n < EXACT_BELOW:
        tail = sum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2**n
        return min(1.0, 2 * tail), "exact"
    statistic = (abs(b - c) - 1) ** 2 / n
    return math.erfc(math.sqrt(statistic / 2)), "chi-square"
