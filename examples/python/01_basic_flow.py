"""The course's first exercise (01_basic_flow.py) as a Baton flow in Python:
extract -> transform -> load; the run's result is the number of loaded values (5).

    /usr/bin/python3 examples/python/01_basic_flow.py     # needs $BATON_ADDRESS

runs it once: a worker for these tasks in this process, the flow applied, one
run awaited. A long-lived worker for the same tasks:

    /usr/bin/python3 -m baton.worker examples/python/01_basic_flow.py
"""
import time

import baton
from baton import flow, task


@task(handler="pycourse.extract")
def extract(items: list = [1, 2, 3, 4, 5]) -> dict:
    time.sleep(0.3)  # simulated I/O
    return {"items": items}


@task(handler="pycourse.transform")
def transform(payload: dict, factor: int = 2) -> list:
    return [i * factor for i in payload["items"]]


@task(handler="pycourse.load")
def load(values: list) -> int:
    print(f"loading {len(values)} values")  # shipped as the attempt's stdout
    return len(values)


@flow(name="py-basic-etl")
def etl(factor: int = 2):
    """extract -> transform -> load; the result is the number of loaded values"""
    data = extract()
    doubled = transform(data, factor)
    return load(doubled)


if __name__ == "__main__":
    run = baton.run_flow(etl)
    print(f"run {run.id}: {run.state}, result {run.result}")
