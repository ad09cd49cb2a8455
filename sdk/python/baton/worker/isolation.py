"""Where a handler runs: a thread of the worker ("thread") or a child process
of its own ("process").

thread:  cooperative. On cancel or at the execution deadline the runtime sets
         ctx.cancelled and reports the attempt at once; a handler that ignores
         the event runs on in an abandoned thread until it returns.
process: each attempt in a child of the worker's fork server
         (baton.worker.forkserver), in a process group of its own, killed
         (the whole group, SIGKILL) at its execution deadline or on cancel.
         Results, exceptions and log lines come back over a socket.

Fork rather than spawn: the child starts in milliseconds with the handler's
module already imported (whatever file the worker loaded, __main__ included),
and needs nothing to be importable by name. Forked from the fork server, a
single-threaded process started before any gRPC channel, it inherits no lock
another thread holds."""
from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Mapping, Optional

from baton.binding import bind_arguments
from baton.context import TaskContext
from baton.outcome import Outcome, failure, from_exception, from_result
from baton.worker import capture

THREAD = "thread"
PROCESS = "process"
MODES = (THREAD, PROCESS)
_TICK = 0.05


def invoke(func: Callable, ctx: TaskContext, inputs: Mapping[str, Any]) -> Outcome:
    """Binds and calls ``func`` on this thread, its output routed to ctx's log."""
    with capture.attempt_output(ctx.attempt_log.add):
        try:
            value = func(**bind_arguments(func, inputs, ctx.config, ctx))
        except SystemExit as exc:
            return failure("SystemExit", f"the handler called exit({exc.code})", False,
                           ctx.secrets)
        except BaseException as exc:  # every handler error is an outcome, KeyboardInterrupt too
            return from_exception(exc, ctx.secrets)
    return from_result(value, ctx.secrets)


def run_in_thread(func: Callable, ctx: TaskContext, inputs: Mapping[str, Any]) -> Optional[Outcome]:
    """The handler's outcome, or None once ctx.cancelled is set first (the
    handler thread is then left to finish on its own)."""
    box: Dict[str, Outcome] = {}
    done = threading.Event()

    def target() -> None:
        box["outcome"] = invoke(func, ctx, inputs)
        done.set()

    threading.Thread(target=target, daemon=True, name=f"handler-{ctx.task_name}").start()
    while not done.wait(_TICK):
        if ctx.cancelled.is_set():
            return None
    return box["outcome"]


