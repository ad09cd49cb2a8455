"""The course's second exercise (02_retries_and_timeouts.py): a call that
fails 30 % of the time, retried 3 times 2 s apart, each attempt stopped after
10 s. The orchestrator keeps the retry timers: a retry waiting for its time
holds no worker slot.

    /usr/bin/python3 examples/python/02_retries_and_timeouts.py
"""
import random
import time

import baton
from baton import flow, task


@task(handler="pycourse.flaky_call", retries=3, retry_delay=2, timeout=10)
def flaky_call(ctx, failure_rate: float = 0.3, fail_first: int = 0) -> int:
    """``fail_first`` makes the first attempts fail for sure (demos, tests)."""
    if ctx.attempt <= fail_first or random.random() < failure_rate:
        raise RuntimeError("Transient upstream error")
    time.sleep(0.2)
    return 42


@flow(name="py-robust-flow")
def robust_flow(failure_rate: float = 0.3, fail_first: int = 0):
    return flaky_call(failure_rate, fail_first)


if __name__ == "__main__":
    run = baton.run_flow(robust_flow)
    attempts = run.task("flaky_call").attempts
    print(f"run {run.id}: {run.state}, result {run.result} after {len(attempts)} attempt(s)")
