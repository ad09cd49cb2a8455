"""Baton's Python SDK: task handlers as plain functions (baton.Worker), flows
as Python functions (baton.task, baton.flow), and a client for everything the
``baton`` CLI does (baton.Client). See sdk/python/README.md."""
import pkgutil

# The generated gRPC stubs (baton.v1) live in the build tree: a folder named
# "baton" elsewhere on sys.path is part of this package too.
__path__ = pkgutil.extend_path(__path__, __name__)

from baton.context import TaskContext  # noqa: E402
from baton.errors import (AlreadyExists, BatonError, DeadlineExceeded,  # noqa: E402
                          FailedPrecondition, InvalidArgument, NonRetryable, NotFound,
                          PermissionDenied, RunTimeout, Unauthenticated, Unavailable)
from baton.flows import Backoff, CircuitBreaker, Flow, Task, TaskResult, flow, task  # noqa: E402

__version__ = "0.1.0"


def __getattr__(name: str):
    # The worker and the client need the generated stubs; tracing flows does not.
    if name == "Worker":
        from baton.worker import Worker
        return Worker
    if name == "run_flow":
        from baton.local import run_flow
        return run_flow
    if name in ("Client", "Run", "Deployment", "Cron", "Interval", "Secret", "LogEntry"):
        import baton.client as client
        return getattr(client, name)
    raise AttributeError(f"module 'baton' has no attribute {name!r}")


__all__ = ["AlreadyExists", "Backoff", "BatonError", "CircuitBreaker", "Client", "Cron",
           "DeadlineExceeded", "Deployment", "FailedPrecondition", "Flow", "Interval",
           "InvalidArgument", "LogEntry", "NonRetryable", "NotFound", "PermissionDenied", "Run",
           "RunTimeout", "Secret", "Task", "TaskContext", "TaskResult", "Unauthenticated", "run_flow",
           "Unavailable", "flow", "task"]
