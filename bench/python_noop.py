"""The no-op task bench/python_worker_bench.py pushes through a Python worker."""
from baton import task


@task(handler="pybench.noop")
def noop() -> None:
    return None
