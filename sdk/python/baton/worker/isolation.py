"""Where a handler runs: a thread of the worker ("thread") or a child process
of its own ("process").

thread:  cooperative. On cancel or at the execution deadline the runtime sets
         ctx.cancelled and reports the attempt at once; a handler that ignores
         the event runs on in an abandoned thread until it returns.
process: each attempt in a child forked from the worker, in a process group of
         its own, killed (the whole group, SIGKILL) at its execution deadline
         or on cancel. Results, exceptions and log lines come back over a pipe.

Fork rather than spawn: the child starts in milliseconds with the handler's
module already imported (whatever file the worker loaded, __main__ included),
and needs nothing to be importable by name. The child never touches gRPC or
the worker's threads: it runs the handler, writes to its pipe and leaves with
os._exit."""
from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import signal
import threading
import time
from typing import Any, Callable, Dict, Mapping, Optional

from baton.binding import bind_arguments
from baton.context import TaskContext
from baton.masking import SecretMask
from baton.outcome import HANDLER_CRASHED, Outcome, failure, from_exception, from_result
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
        except Exception as exc:  # every handler error is an outcome
            return from_exception(exc, ctx.secrets)
        except SystemExit as exc:
            return failure("SystemExit", f"the handler called exit({exc.code})", False,
                           ctx.secrets)
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


class _PipeLog:
    """In the child: log lines go to the parent, masked already."""

    def __init__(self, conn, mask: SecretMask) -> None:
        self._conn = conn
        self.mask = mask

    def add(self, stream: str, level: str, message: str) -> str:
        text = self.mask.apply(message)
        self._conn.send(("log", stream, level, text))
        return text


def _child_main(func: Callable, ctx: TaskContext, inputs: Mapping[str, Any], conn) -> None:
    gc.disable()  # short-lived: a collection would copy every page it inherited
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    ctx.attempt_log = _PipeLog(conn, ctx.secrets)
    ctx.__post_init__()  # ctx.log writes to the pipe too
    capture.install()
    outcome = invoke(func, ctx, inputs)
    conn.send(("outcome", dataclasses.asdict(outcome)))
    conn.close()
    os._exit(0)


def _kill_group(process: multiprocessing.process.BaseProcess) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()


def _receive(conn, ctx: TaskContext, process) -> Optional[Outcome]:
    """Reads the child's messages until its outcome, its end, or a stop."""
    while not ctx.cancelled.is_set():
        if not conn.poll(_TICK):
            if not process.is_alive() and not conn.poll(0):
                return failure(HANDLER_CRASHED, "the handler's process ended without an "
                               f"outcome (exit code {process.exitcode})", False, ctx.secrets)
            continue
        try:
            message = conn.recv()
        except (EOFError, OSError):
            process.join(1.0)
            return failure(HANDLER_CRASHED, "the handler's process ended without an outcome "
                           f"(exit code {process.exitcode})", False, ctx.secrets)
        if message[0] == "log":
            ctx.attempt_log.add(*message[1:])
        elif message[0] == "outcome":
            return Outcome(**message[1])
    return None


def run_in_process(func: Callable, ctx: TaskContext, inputs: Mapping[str, Any]) -> Optional[Outcome]:
    """The handler's outcome from a forked child, or None when ctx.cancelled
    was set first (the child's process group is killed then)."""
    mp = multiprocessing.get_context("fork")
    receiver, sender = mp.Pipe(duplex=False)
    child_ctx = dataclasses.replace(ctx, cancelled=threading.Event(), attempt_log=None)
    process = mp.Process(target=_child_main, args=(func, child_ctx, inputs, sender),
                         name=f"baton-{ctx.task_name}", daemon=False)
    gc.freeze()  # the child's collections leave the inherited objects alone
    try:
        process.start()
    finally:
        gc.unfreeze()
    sender.close()
    try:
        os.setpgid(process.pid, process.pid)
    except OSError:
        pass  # the child did it first, or is gone already
    try:
        outcome = _receive(receiver, ctx, process)
    finally:
        receiver.close()
        if ctx.cancelled.is_set():
            _kill_group(process)
        process.join(5.0)
        _kill_group(process)  # whatever the handler left running in its group
        process.join(5.0)
    return outcome


def run(mode: str, func: Callable, ctx: TaskContext, inputs: Mapping[str, Any]) -> Optional[Outcome]:
    """Runs one attempt in ``mode``; None when it was stopped (ctx.cancelled)."""
    if mode == PROCESS:
        return run_in_process(func, ctx, inputs)
    return run_in_thread(func, ctx, inputs)
