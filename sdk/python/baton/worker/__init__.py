"""The Python worker: baton.Worker, and ``python3 -m baton.worker FILE``."""
from baton.worker.runtime import Worker

__all__ = ["Worker"]
