"""Tasks and flows the end-to-end tests run on real Python workers."""
import logging
import os
import time

import baton
from baton import flow, task

log = logging.getLogger("e2e.handlers")


def _write_pid(pid_file: str) -> None:
    if pid_file:
        with open(pid_file + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.replace(pid_file + ".tmp", pid_file)


@task(handler="e2e.sleep")
def sleep(seconds: float = 4.0) -> str:
    time.sleep(seconds)
    return "slept"


@flow(name="py-sleep")
def sleep_flow(seconds: float = 4.0):
    return sleep(seconds)


@task(handler="e2e.hang")
def hang(pid_file: str = "") -> None:
    """Never returns, and ignores ctx.cancelled: only a kill stops it."""
    _write_pid(pid_file)
    while True:
        time.sleep(0.05)


@flow(name="py-hang")
def hang_flow(pid_file: str = ""):
    return hang(pid_file)


@task(handler="e2e.hang_with_timeout", timeout=2)
def hang_with_timeout(pid_file: str = "") -> None:
    _write_pid(pid_file)
    while True:
        sum(range(10_000))  # CPU-bound: no cooperation possible


@flow(name="py-timeout")
def timeout_flow(pid_file: str = ""):
    return hang_with_timeout(pid_file)


@task(handler="e2e.bad_value", retries=3, retry_delay=0.2, non_retryable=[ValueError])
def bad_value(value: int = -1) -> int:
    if value < 0:
        raise ValueError(f"value must be positive, got {value}")
    return value


@flow(name="py-bad-value")
def bad_value_flow(value: int = -1):
    return bad_value(value)


@task(handler="e2e.leak_result")
def leak_result(ctx) -> dict:
    secret = ctx.env["API_KEY"]
    print(f"print sees {secret}")
    log.warning("logging sees %s", secret)
    ctx.log.info(f"ctx.log sees {secret}")
    return {"key": secret, "region": ctx.env["REGION"], "correlation_id": ctx.correlation_id}


@task(handler="e2e.leak_error")
def leak_error(ctx) -> None:
    raise baton.NonRetryable(f"could not authenticate with {ctx.env['API_KEY']}")


@flow(name="py-secrets")
def secrets_flow():
    leak_error()
    return leak_result()


# Half of a flow whose other half is C++ (baton-example-worker's etl.*): see
# test_mixed_pool.MIXED_FLOW.
@task(name="transform", handler="mixed.transform")
def mixed_transform(extract: dict, factor: int = 2) -> list:
    return [i * factor for i in extract["items"]]


@task(name="report", handler="mixed.report")
def mixed_report(ctx, load: dict) -> dict:
    scheduled = ctx.scheduled_time.isoformat() if ctx.scheduled_time else None
    return {"count": load["count"], "scheduled_time": scheduled}


@task(handler="e2e.environment")
def environment() -> dict:
    return {"token_visible": "BATON_TOKEN" in os.environ}


@flow(name="py-environment")
def environment_flow():
    return environment()
