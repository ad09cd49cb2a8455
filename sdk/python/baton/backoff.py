"""Exponential backoff with jitter (the same rule as common/base/backoff.h). Pure."""
from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class BackoffPolicy:
    initial: float = 0.2  # seconds
    factor: float = 2.0
    max: float = 10.0
    jitter: float = 0.2  # fraction in [0, 1]


def backoff_delay(policy: BackoffPolicy, retry: int, unit_random: float) -> float:
    """Seconds to wait before retry number ``retry`` (1-based):
    min(max, initial * factor^(retry-1)) spread uniformly over +-jitter by
    ``unit_random`` in [0, 1), clamped to [0, max]."""
    exponent = max(0, retry - 1)
    try:
        base = policy.initial * policy.factor ** exponent
    except OverflowError:
        base = float("inf")
    capped = min(base, policy.max)
    spread = capped * policy.jitter * (2.0 * unit_random - 1.0)
    return min(max(capped + spread, 0.0), policy.max)


def jittered_delay(policy: BackoffPolicy, retry: int) -> float:
    """backoff_delay with a fresh random number."""
    return backoff_delay(policy, retry, random.random())
