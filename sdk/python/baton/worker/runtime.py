"""The Python worker: the same contract as the C++ worker SDK (worker/worker.h).

It registers the handlers it serves, long-polls with its free slots,
acknowledges each lease with a first heartbeat before starting its handler,
heartbeats running attempts in one batched RPC from a background thread,
reports fenced completions, ships the attempts' log lines in the background,
reconnects with exponential backoff and jitter, and drains on stop(): no new
polls, running attempts get ``drain_timeout`` to finish, then are stopped. In
process isolation attempts run in children of a fork server
(baton.worker.forkserver) that the worker forks before it opens a channel.

    worker = baton.Worker(queues=["etl"])

    @worker.task("etl.transform")
    def transform(extract: dict, factor: int = 2) -> list:
        return [i * factor for i in extract["items"]]

    worker.run()   # until SIGTERM / SIGINT (or worker.stop())
"""
from __future__ import annotations

import datetime
import json
import logging
import math
import os
import queue
import signal
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from baton import _limits
from baton._stubs import common_pb2, worker_service_pb2 as pb
from baton.backoff import BackoffPolicy, jittered_delay
from baton.connection import ConnectionOptions
from baton.context import TaskContext
from baton.errors import BatonError, InvalidArgument
from baton.masking import AttemptLog, SecretMask, secret_values
from baton.outcome import (CANCELLED, EXECUTION_TIMEOUT, HANDLER_CRASHED, LEASE_LOST,
                           UNKNOWN_HANDLER, WORKER_SHUTDOWN, Outcome, failure)
from baton.worker import capture
from baton.worker import isolation as _isolation
from baton.worker.forkserver import ForkServer

log = logging.getLogger("baton.worker")

VERSION = "0.1.0-python"
_TRANSIENT = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED", "RESOURCE_EXHAUSTED", "INTERNAL",
              "UNKNOWN"}
_RECONNECT = BackoffPolicy(initial=0.2, factor=2.0, max=10.0, jitter=0.2)
_ACK_RETRY = BackoffPolicy(initial=0.05, factor=2.0, max=1.0, jitter=0.2)
_REPORT_RETRY = BackoffPolicy(initial=0.2, factor=2.0, max=5.0, jitter=0.2)
_MAX_COMPLETION_TRIES = 8
_TICK = 0.1
_MIN_HEARTBEAT_CALL = 1.0
_CANCEL_GRACE = 10.0


def is_transient(error: BatonError) -> bool:
    return error.code in _TRANSIENT


def lost_its_database(error: BatonError) -> bool:
    """The orchestrator answered that its database cannot be reached or did not
    answer in time: nobody can expire the attempt either (lease_presumption.h)."""
    return (error.code in ("UNAVAILABLE", "DEADLINE_EXCEEDED")
            and error.message.startswith("database"))


def presume_lease_lost(since_confirmed: float, since_database_answer: float,
                       lease: float) -> bool:
    """Whether an attempt whose lease was last confirmed ``since_confirmed`` s
    ago is presumed lost, when an orchestrator last answered that its database
    was unavailable ``since_database_answer`` s ago (``math.inf``: never): only
    when neither happened within the lease, the C++ worker's outage rule."""
    return since_confirmed > lease and since_database_answer > lease


def heartbeat_call_deadline(shortest_lease: float, rpc_timeout: float) -> float:
    """A third of the shortest lease, at least 1 s, at most ``rpc_timeout``: a beat
    stuck on a frozen replica ends in time for the next to reach another."""
    return min(rpc_timeout, max(shortest_lease / 3, _MIN_HEARTBEAT_CALL))


def _seconds(duration) -> float:
    return duration.seconds + duration.nanos / 1e9


def make_context(lease: pb.Lease, received_at: float) -> TaskContext:
    """The handler's view of ``lease``, received at monotonic ``received_at``."""
    config = json.loads(lease.config_json) if lease.config_json else {}
    env = dict(lease.env)
    scheduled = None
    if lease.HasField("scheduled_time"):
        scheduled = lease.scheduled_time.ToDatetime(tzinfo=datetime.timezone.utc)
    deadline = None
    if lease.HasField("execution_timeout"):
        deadline = received_at + _seconds(lease.execution_timeout)
    return TaskContext(
        run_id=lease.run_id, flow_name=lease.flow_name, task_name=lease.task_name,
        attempt=lease.attempt.attempt, handler=lease.handler,
        correlation_id=lease.correlation_id, task_run_id=lease.attempt.task_run_id, env=env,
        config=config if isinstance(config, dict) else {}, scheduled_time=scheduled,
        deadline=deadline, secrets=SecretMask(secret_values(env, lease.secret_env)))


@dataclass
class _Attempt:
    lease: pb.Lease
    ctx: TaskContext
    confirmed_at: float  # monotonic: lease granted or last extended
    heartbeat_timeout: float = float("inf")
    stop: str = ""  # the error type of the reason the runtime stopped it
    reporting: bool = False  # its outcome is being reported (still heartbeated)

    @property
    def ref(self) -> common_pb2.AttemptRef:
        return self.lease.attempt


class Worker:
    """Serves handlers to an orchestrator. Configure, register handlers, run().

    ``isolation`` is "process" (default: each attempt in a forked child,
    killed at its deadline or on cancel) or "thread" (cooperative: handlers
    watch ctx.cancelled). Durations are in seconds."""

    def __init__(self, *, connection: Optional[ConnectionOptions] = None,
                 address: Optional[str] = None, queues: Sequence[str] = ("default",),
                 labels: Optional[Mapping[str, str]] = None, slots: int = 4,
                 name: Optional[str] = None, isolation: str = _isolation.PROCESS,
                 poll_wait: float = 20.0, rpc_timeout: float = 10.0,
                 drain_timeout: float = 30.0, log_flush_interval: float = 1.0) -> None:
        if not 1 <= slots <= 1024:
            raise InvalidArgument(f"slots: {slots} is out of range; expected 1..1024")
        if isolation not in _isolation.MODES:
            raise InvalidArgument(f'isolation: "{isolation}"; expected one of '
                                  f"{', '.join(_isolation.MODES)}")
        self.connection = connection or ConnectionOptions.from_env(address=address)
        self.connection.keepalive_seconds = self.connection.keepalive_seconds or 4.0
        self.queues = list(queues) or ["default"]
        self.labels = dict(labels or {})
        self.slots = slots
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.isolation = isolation
        self.poll_wait = poll_wait
        self.rpc_timeout = rpc_timeout
        self.drain_timeout = drain_timeout
        self.log_flush_interval = log_flush_interval
        self.handlers: Dict[str, Callable] = {}
        self._cv = threading.Condition()
        self._stopping = False
        self._polling_done = False
        self._finished = False
        self._fatal: Optional[BatonError] = None
        self._fork_server: Optional[ForkServer] = None
        self._worker_id = ""
        self._heartbeat_interval = 10.0
        self._lease_duration = 30.0
        # When an orchestrator last answered that its database was unavailable.
        self._database_answer_at = -math.inf
        self._running: Dict[int, _Attempt] = {}
        self._queued: "queue.Queue[_Attempt]" = queue.Queue()
        self._ship_lock = threading.Lock()
        self._client = None

    # -- handlers ---------------------------------------------------------

    def task(self, handler: str) -> Callable[[Callable], Callable]:
        """Decorator: serves the function as ``handler`` (returns it unchanged)."""
        def register(func: Callable) -> Callable:
            self.register(handler, func)
            return func
        return register

    def register(self, handler: str, func: Callable) -> None:
        """Serves ``func`` as ``handler``; a second registration replaces it.
        InvalidArgument once the fork server runs (it holds the handlers)."""
        if self._fork_server is not None:
            raise InvalidArgument(f'register "{handler}": the fork server is started already; '
                                  "register every handler before")
        self.handlers[handler] = getattr(func, "func", func)

    def include(self, *objects) -> None:
        """Serves the handlers of baton.task objects, and of every task of
        baton.flow objects (their fallbacks included)."""
        for obj in objects:
            for handler, func in obj.handlers().items():
                self.register(handler, func)

    # -- lifecycle --------------------------------------------------------

    def start_fork_server(self) -> None:
        """In process isolation, forks the fork server that runs attempts; run()
        does it first thing. Call it earlier, once every handler is registered,
        when this process opens gRPC channels before run(): a process with
        threads must not fork (baton.worker.forkserver)."""
        if self.isolation == _isolation.PROCESS and self._fork_server is None:
            self._fork_server = ForkServer(self.handlers, self._fork_server_lost)
            self._fork_server.start()

    def _fork_server_lost(self, reason: str) -> None:
        with self._cv:
            self._fatal = self._fatal or BatonError(
                f"the fork server that runs attempts is gone ({reason}); the worker stops so "
                "that its supervisor can start it again", "INTERNAL")
        self.stop()

    def stop(self) -> None:
        """Starts the drain; run() returns when it is done. Thread-safe."""
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        if self._client is not None:
            self._client.cancel_polls()

    def run(self, install_signal_handlers: bool = True) -> None:
        """Serves until stop() (or SIGTERM/SIGINT, when called on the main
        thread with ``install_signal_handlers``), then drains and deregisters.
        Raises BatonError when the orchestrator refuses the worker's
        credentials or the fork server is lost (after draining),
        InvalidArgument for bad options."""
        from baton.worker.orchestrator import OrchestratorClient
        if not self.handlers:
            raise InvalidArgument("the worker serves no handler: register one first")
        self.start_fork_server()  # before the channel's threads exist
        try:
            self._serve(OrchestratorClient(self.connection, self.rpc_timeout),
                        install_signal_handlers)
        finally:
            if self._fork_server is not None:
                self._fork_server.close()
        if self._fatal is not None:
            raise self._fatal

    def _serve(self, client, install_signal_handlers: bool) -> None:
        self._client = client
        capture.install()
        if install_signal_handlers and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, self._on_signal)
        threads = [threading.Thread(target=self._slot_loop, name=f"slot-{i}", daemon=True)
                   for i in range(self.slots)]
        threads += [threading.Thread(target=self._heartbeat_loop, name="heartbeats", daemon=True),
                    threading.Thread(target=self._log_ship_loop, name="logs", daemon=True)]
        for t in threads:
            t.start()
        poller = threading.Thread(target=self._poll_loop, name="poll", daemon=True)
        poller.start()
        while poller.is_alive():  # the main thread stays free for signal handlers
            poller.join(0.2)
        self._drain()
        with self._cv:
            self._finished = True
            abandoned = bool(self._running)
            self._cv.notify_all()
        # Without abandoned attempts every thread ends within a tick or one RPC.
        join_by = time.monotonic() + (1.0 if abandoned else self.rpc_timeout + 1.0)
        for t in threads:
            t.join(max(0.0, join_by - time.monotonic()))
        left = [t.name for t in threads if t.is_alive()]
        if left:
            log.warning("stopping with threads still running: %s", ", ".join(left))
        self._deregister()
        self._client.close()
        log.info("worker stopped")

    def _on_signal(self, signum, _frame) -> None:
        log.info("received signal %d; draining", signum)
        self.stop()

    # -- registering and polling -----------------------------------------

    def _backoff(self, failures: int, what: str, error: BatonError) -> None:
        delay = min(jittered_delay(_RECONNECT, failures), _RECONNECT.max)
        log.warning("%s: %s; retrying in %.1fs", what, error, delay)
        with self._cv:
            self._cv.wait_for(lambda: self._stopping, delay)

    def _ensure_registered(self, failures: List[int]) -> bool:
        if self._worker_id:
            return True
        request = pb.RegisterWorkerRequest(
            name=self.name, queues=self.queues, labels=self.labels, slots=self.slots,
            handlers=sorted(self.handlers), version=VERSION)
        try:
            response = self._client.register(request)
        except BatonError as e:
            if e.code in ("UNAUTHENTICATED", "PERMISSION_DENIED", "INVALID_ARGUMENT"):
                log.error("register with %s: %s", self.connection.address, e)
                self._fatal = e
                self.stop()
                return False
            failures[0] += 1
            self._backoff(failures[0], f"register with {self.connection.address}", e)
            return False
        failures[0] = 0
        with self._cv:
            self._worker_id = response.worker_id
            self._heartbeat_interval = _seconds(response.heartbeat_interval) or 10.0
            self._lease_duration = _seconds(response.lease_duration) or 30.0
        log.info("registered as worker %s (%d slots, queues: %s, handlers: %s)",
                 response.worker_id, self.slots, ",".join(self.queues),
                 ",".join(sorted(self.handlers)))
        return True

    def _poll_loop(self) -> None:
        failures = [0]
        while True:
            with self._cv:
                if not self._cv.wait_for(lambda: self._stopping or self._free_slots() > 0, _TICK):
                    continue
                if self._stopping:
                    break
            if self._ensure_registered(failures):
                self._poll_once(failures)
        with self._cv:
            self._polling_done = True
            self._cv.notify_all()

    def _free_slots(self) -> int:
        return self.slots - len(self._running)

    def _poll_once(self, failures: List[int]) -> None:
        with self._cv:
            free = self._free_slots()
        try:
            leases = self._client.poll(self._worker_id, free, self.poll_wait)
        except BatonError as e:
            if e.code == "CANCELLED":
                return
            if e.code == "NOT_FOUND":  # the orchestrator forgot us: register again
                log.warning("poll: %s; registering again", e)
                self._worker_id = ""
                return
            failures[0] += 1
            self._backoff(failures[0], "poll", e)
            return
        failures[0] = 0
        self._accept(self._acknowledge(leases))

    def _acknowledge(self, leases: List[pb.Lease]) -> List[Tuple[pb.Lease, int]]:
        """The delivery rule: a lease is acknowledged (its first heartbeat)
        before its handler starts; transient failures are retried until the
        leases' delivery deadline; leases not acknowledged are left to be
        leased again. Returns (lease, action) for the leases taken."""
        if not leases:
            return []
        deliver_by = min(l.lease_expires_at.ToMicroseconds() / 1e6 for l in leases)
        refs = [l.attempt for l in leases]
        tries = 0
        while True:
            tries += 1
            try:
                directives = self._client.heartbeat(self._worker_id, refs, self._heartbeat_deadline())
                break
            except BatonError as e:
                delay = jittered_delay(_ACK_RETRY, tries)
                if not is_transient(e) or time.time() + delay >= deliver_by or self._stopping:
                    log.warning("acknowledging %d lease(s): %s; leaving them to be leased again",
                                len(leases), e)
                    return []
                time.sleep(delay)
        taken = []
        for lease, d in zip(leases, directives):
            if d.action == pb.AttemptDirective.LEASE_LOST:
                log.warning("task run %d attempt %d: not taken: %s", d.attempt.task_run_id,
                            d.attempt.attempt, d.reason)
                continue
            taken.append((lease, d.action))
        return taken

    def _accept(self, taken: List[Tuple[pb.Lease, int]]) -> None:
        now = time.monotonic()
        with self._cv:
            for lease, action in taken:
                attempt = _Attempt(lease, make_context(lease, now), now)
                if lease.HasField("heartbeat_timeout"):
                    attempt.heartbeat_timeout = _seconds(lease.heartbeat_timeout) or float("inf")
                if action == pb.AttemptDirective.CANCEL:
                    self._stop_attempt(attempt, CANCELLED, "cancelled: the run is being cancelled")
                self._running[lease.attempt.task_run_id] = attempt
                self._queued.put(attempt)
            self._cv.notify_all()

    # -- running attempts -------------------------------------------------

    def _slot_loop(self) -> None:
        while True:
            try:
                attempt = self._queued.get(timeout=_TICK)
            except queue.Empty:
                with self._cv:
                    if self._finished or (self._polling_done and not self._running):
                        return
                continue
            self._execute(attempt)

    def _execute(self, attempt: _Attempt) -> None:
        lease, ctx = attempt.lease, attempt.ctx
        func = self.handlers.get(lease.handler)
        started = time.monotonic()
        outcome: Optional[Outcome] = None
        if func is None:
            outcome = failure(UNKNOWN_HANDLER, f'this worker has no handler named "{lease.handler}"',
                              True)
        elif not ctx.cancelled.is_set():
            log.info("%s started (run %s, task %s, attempt %d, correlation_id %s)", lease.handler,
                     lease.run_id, lease.task_name, lease.attempt.attempt, lease.correlation_id)
            outcome = self._run_handler(lease, func, ctx)
        with self._cv:
            stop = attempt.stop
        if stop and (outcome is None or not outcome.ok):
            outcome = failure(stop, ctx.cancel_reason or stop, False, ctx.secrets)
        log.info("%s %s after %.3fs%s", lease.handler, "succeeded" if outcome.ok else "failed",
                 time.monotonic() - started,
                 "" if outcome.ok else f" ({outcome.error_type}: {outcome.error_message})")
        self._ship_logs([attempt])  # the last lines land before the outcome
        with self._cv:
            attempt.reporting = True
        self._report(self._completion(lease, outcome))
        with self._cv:
            self._running.pop(lease.attempt.task_run_id, None)
            self._cv.notify_all()

    def _run_handler(self, lease: pb.Lease, func: Callable, ctx: TaskContext) -> Optional[Outcome]:
        """The attempt's outcome; None when it was stopped. A failure of the
        worker itself is reported as the attempt's, never left running."""
        try:
            inputs = json.loads(lease.input_json or "{}")
            if self._fork_server is not None:
                return self._fork_server.run(lease.handler, ctx, inputs)
            return _isolation.run_in_thread(func, ctx, inputs)
        except Exception as e:  # a bug here must not leave the lease heartbeated forever
            log.exception("task run %d attempt %d: running the handler", lease.attempt.task_run_id,
                          lease.attempt.attempt)
            return failure(HANDLER_CRASHED, f"the worker could not run the handler: {e!r}", False,
                           ctx.secrets)

    def _completion(self, lease: pb.Lease, outcome: Outcome) -> pb.CompleteAttemptRequest:
        request = pb.CompleteAttemptRequest(worker_id=self._worker_id, attempt=lease.attempt)
        if outcome.ok:
            request.result_json = outcome.result_json
        else:
            request.error.CopyFrom(pb.AttemptError(message=outcome.error_message,
                                                   non_retryable=outcome.non_retryable,
                                                   type=outcome.error_type))
        return request

    def _report(self, request: pb.CompleteAttemptRequest) -> None:
        """The outage rule: 'database unavailable' answers do not count against
        the tries; the report is retried until it lands or the drain is over."""
        ref, counted, tries = request.attempt, 0, 0
        while counted < _MAX_COMPLETION_TRIES:
            tries += 1
            try:
                self._client.complete(request)
                return
            except BatonError as e:
                if not is_transient(e):
                    log.warning("task run %d attempt %d: completion refused: %s",
                                ref.task_run_id, ref.attempt, e)
                    return
                if not lost_its_database(e):
                    counted += 1
                if self._finished:
                    break
                delay = jittered_delay(_REPORT_RETRY, min(tries, 16))
                log.warning("task run %d attempt %d: reporting failed: %s; retrying in %.1fs",
                            ref.task_run_id, ref.attempt, e, delay)
                time.sleep(delay)
        log.error("task run %d attempt %d: giving up reporting; the lease will expire and the "
                  "orchestrator will run the task again", ref.task_run_id, ref.attempt)

    def _stop_attempt(self, attempt: _Attempt, error_type: str, reason: str) -> None:
        """Caller holds self._cv."""
        if not attempt.stop:
            attempt.stop = error_type
        attempt.ctx.cancel(reason)

    # -- heartbeats and deadlines -----------------------------------------

    def _done(self) -> bool:
        return self._finished or (self._polling_done and not self._running)

    def _heartbeat_loop(self) -> None:
        last = time.monotonic()
        while True:
            with self._cv:
                if self._cv.wait_for(self._done, _TICK):
                    return
            self._enforce_deadlines()
            if time.monotonic() - last >= self._heartbeat_every():
                self._heartbeat_once()
                last = time.monotonic()

    def _heartbeat_every(self) -> float:
        with self._cv:
            return min([self._heartbeat_interval] +
                       [a.heartbeat_timeout / 3 for a in self._running.values()])

    def _heartbeat_deadline(self) -> float:
        with self._cv:
            leases = [self._lease_duration] + [a.heartbeat_timeout for a in self._running.values()]
        return heartbeat_call_deadline(min(leases), self.rpc_timeout)

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        with self._cv:
            for a in self._running.values():
                if not a.stop and a.ctx.deadline is not None and now >= a.ctx.deadline:
                    self._stop_attempt(a, EXECUTION_TIMEOUT, "execution timeout exceeded")

    def _heartbeat_once(self) -> None:
        with self._cv:
            attempts = list(self._running.values())
        if not attempts or not self._worker_id:
            return
        try:
            directives = self._client.heartbeat(self._worker_id, [a.ref for a in attempts],
                                                self._heartbeat_deadline())
        except BatonError as e:
            log.warning("heartbeat: %s", e)
            if lost_its_database(e):
                self._database_answer_at = time.monotonic()
            self._presume_lost(attempts)
            return
        now = time.monotonic()
        with self._cv:
            for a, d in zip(attempts, directives):
                if d.action == pb.AttemptDirective.CONTINUE:
                    a.confirmed_at = now
                    continue
                if a.reporting:
                    continue  # completed while the heartbeat was in flight: nothing to stop
                log.warning("task run %d attempt %d: %s", d.attempt.task_run_id,
                            d.attempt.attempt, d.reason)
                if d.action == pb.AttemptDirective.CANCEL:
                    self._stop_attempt(a, CANCELLED, f"cancelled: {d.reason}")
                else:
                    self._stop_attempt(a, LEASE_LOST, f"lease lost: {d.reason}")

    def _presume_lost(self, attempts: List[_Attempt]) -> None:
        now = time.monotonic()
        with self._cv:
            for a in attempts:
                since = now - a.confirmed_at
                lease = min(self._lease_duration, a.heartbeat_timeout)
                if presume_lease_lost(since, now - self._database_answer_at, lease):
                    self._stop_attempt(a, LEASE_LOST, "lease presumed lost: no heartbeat "
                                       f"accepted for {since:.1f}s")

    # -- logs -------------------------------------------------------------

    def _log_ship_loop(self) -> None:
        while True:
            with self._cv:
                if self._cv.wait_for(self._done, self.log_flush_interval):
                    return
                attempts = list(self._running.values())
            self._ship_logs(attempts)

    def _ship_logs(self, attempts: Iterable[_Attempt]) -> None:
        """Sends what the attempts logged since their last shipment, in
        requests of bounded size; lines not delivered are counted as dropped."""
        with self._ship_lock:
            batches: List[Tuple[AttemptLog, pb.AttemptLogs]] = []
            size = 0

            def new_batch(a: _Attempt) -> pb.AttemptLogs:
                batches.append((a.ctx.attempt_log, pb.AttemptLogs(attempt=a.ref)))
                return batches[-1][1]

            for a in attempts:
                lines, dropped = a.ctx.attempt_log.take()
                if not lines and not dropped:
                    continue
                batch = new_batch(a)
                for line in lines:
                    if size + len(line.message) > _limits.MAX_LOG_REQUEST_BYTES:
                        self._send_logs(batches)
                        batches, size = [], 0
                        batch = new_batch(a)
                    elif len(batch.lines) >= _limits.MAX_LOG_LINES_PER_BATCH:
                        batch = new_batch(a)
                    entry = batch.lines.add(stream=line.stream, level=line.level,
                                            message=line.message)
                    entry.time.FromNanoseconds(int(line.time * 1e9))
                    size += len(line.message)
                # Lines dropped go with the attempt's last batch.
                batch.dropped = dropped
            self._send_logs(batches)

    def _send_logs(self, batches: List[Tuple[AttemptLog, pb.AttemptLogs]]) -> None:
        if not batches or not self._worker_id:
            return
        request = pb.AppendLogsRequest(worker_id=self._worker_id, attempts=[b for _, b in batches])
        try:
            response = self._client.append_logs(request)
        except BatonError as e:
            log.warning("shipping log lines: %s", e)
            for attempt_log, batch in batches:
                attempt_log.count_lost(len(batch.lines) + batch.dropped)
            return
        for (_, batch), result in zip(batches, response.results):
            if result.refused:
                log.debug("log lines of task run %d refused: %s", batch.attempt.task_run_id,
                          result.refused)

    # -- draining ---------------------------------------------------------

    def _drain(self) -> None:
        with self._cv:
            if self._cv.wait_for(lambda: not self._running, self.drain_timeout):
                return
            log.warning("drain: %d attempt(s) still running after %.0fs; stopping them",
                        len(self._running), self.drain_timeout)
            for a in self._running.values():
                self._stop_attempt(a, WORKER_SHUTDOWN, "worker shutting down")
            self._cv.wait_for(lambda: not self._running, _CANCEL_GRACE)

    def _deregister(self) -> None:
        if not self._worker_id:
            return
        try:
            self._client.deregister(self._worker_id)
        except BatonError as e:
            log.warning("deregister: %s", e)

