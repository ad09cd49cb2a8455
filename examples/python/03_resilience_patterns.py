"""The course's third exercise (03_resilience_patterns.py): a primary provider
behind a circuit breaker, and a secondary provider as its fallback. The
breaker lives in the orchestrator's database, shared by every worker and run:
once 3 failures open it, no worker is leased the primary for 20 s and runs go
straight to the secondary; after the cooldown one probe decides.

    /usr/bin/python3 examples/python/03_resilience_patterns.py
"""
import time

import baton
from baton import CircuitBreaker, flow, task


@task(handler="pycourse.secondary_provider")
def secondary_provider(q: str) -> str:
    time.sleep(0.3)  # always works, but slower
    return f"secondary:{q}"


@task(handler="pycourse.primary_provider", retries=2, retry_delay=1,
      breaker=CircuitBreaker("py-primary-provider", failure_threshold=3, window=60, cooldown=20),
      fallback=secondary_provider)
def primary_provider(q: str, primary_down: bool = False) -> str:
    if primary_down:
        raise RuntimeError("Primary provider failure")
    return f"primary:{q}"


@flow(name="py-fallback-with-circuit")
def answer(q: str = "hello", primary_down: bool = False):
    return primary_provider(q, primary_down)


if __name__ == "__main__":
    for down in (False, True):
        run = baton.run_flow(answer, {"primary_down": down})
        print(f"primary_down={down}: run {run.id}: {run.state}, answer {run.result}")
