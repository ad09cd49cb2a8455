"""The fork server: one single-threaded process that forks a child per attempt
in process isolation.

Forking a process that runs threads is unsafe: the child inherits every lock
another thread held at that instant (gRPC core's, a stdio buffer's) and
nothing will ever release it. The worker runs gRPC threads, so it never forks
an attempt itself. It forks this server once, before any channel or thread of
its own exists, with the handlers' module already imported; the server stays
single-threaded and forks one child per attempt on request.

Protocol. The worker and the server share a SOCK_SEQPACKET pair (the
control socket). The worker sends ("run", key) with one end of a fresh stream
socket pair attached (SCM_RIGHTS), and ("kill", key); the server answers
("started", key, pid), ("exited", key, exit_code) and ("refused", key,
reason). The attempt itself talks straight to the worker over its own pair:
the worker writes the request (handler, context, inputs), the child writes
("log", stream, level, text) lines and then ("outcome", fields). Messages are
pickles (both ends run the same code), length-prefixed on the stream sockets.

Each child has a process group of its own. When it ends or is killed, the
server SIGKILLs the whole group (whatever the handler left running) before
reaping it, so the group id cannot have been reused. The server ignores
SIGINT and SIGTERM (the worker drains first) and ends when the control socket
closes, killing its children's groups; a child dies with the server
(PR_SET_PDEATHSIG). Linux only (pidfd_open)."""
from __future__ import annotations

import ctypes
import dataclasses
import gc
import itertools
import logging
import os
import pickle
import selectors
import signal
import socket
import struct
import threading
import time
import traceback
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from baton.context import TaskContext
from baton.masking import SecretMask
from baton.outcome import (HANDLER_CRASHED, UNKNOWN_HANDLER, WORKER_SHUTDOWN, Outcome,
                           failure)
from baton.worker import capture
from baton.worker.isolation import invoke

log = logging.getLogger("baton.worker")

_TICK = 0.05
_START_TIMEOUT = 10.0  # the server answers a run request within this, or is broken
_EXIT_WAIT = 2.0  # after the child's socket closes, for its exit code
_SEND_TIMEOUT = 5.0  # a control message the server does not take in this: broken
_REQUEST_TIMEOUT = 60.0  # a child waits this long for its request
_HEADER = struct.Struct("!I")
_PR_SET_PDEATHSIG = 1
# What a child is told of its context; the rest (cancelled, log) is its own.
_CONTEXT_FIELDS = ("run_id", "flow_name", "task_name", "attempt", "handler", "correlation_id",
                   "task_run_id", "env", "config", "scheduled_time", "deadline")


def _frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


class _Frames:
    """Splits a byte stream into the messages _frame() packed."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list:
        self._buffer += data
        messages = []
        while len(self._buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._buffer)
            end = _HEADER.size + size
            if len(self._buffer) < end:
                break
            messages.append(pickle.loads(bytes(self._buffer[_HEADER.size:end])))
            del self._buffer[:end]
        return messages


@dataclasses.dataclass
class _Child:
    """The worker's record of one attempt's child (fields set by the reader)."""
    key: int
    answered: threading.Event = dataclasses.field(default_factory=threading.Event)
    exited: threading.Event = dataclasses.field(default_factory=threading.Event)
    pid: Optional[int] = None
    exit_code: Optional[int] = None
    refused: str = ""
    released: bool = False


class ForkServer:
    """The worker's handle on its fork server. start() while the process has no
    other thread (before any gRPC channel); then run() from any thread, and
    close() at the end. ``on_lost(reason)`` is called once, from the reader
    thread, if the server dies or stops answering: attempts in flight end with
    a WorkerShutdown error and later ones fail at once. Thread-safe."""

    def __init__(self, handlers: Mapping[str, Callable],
                 on_lost: Callable[[str], None] = lambda reason: None) -> None:
        self._handlers = dict(handlers)
        self._on_lost = on_lost
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._children: Dict[int, _Child] = {}
        self._keys = itertools.count(1)
        self._lost = ""
        self._closing = False
        self._pid = 0
        self._control: Optional[socket.socket] = None
        self._reader: Optional[threading.Thread] = None

    @property
    def pid(self) -> int:
        return self._pid

    def start(self) -> None:
        threads = len(os.listdir("/proc/self/task"))
        if threads > 1:
            log.warning("starting the fork server in a process that already runs %d threads: "
                        "start it before opening any channel", threads)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                _serve(theirs, self._handlers)
            finally:
                os._exit(70)
        theirs.close()
        ours.settimeout(_SEND_TIMEOUT)
        self._pid, self._control = pid, ours
        self._reader = threading.Thread(target=self._read_control, name="fork-server",
                                        daemon=True)
        self._reader.start()
        log.info("fork server started (pid %d)", pid)

    def close(self) -> None:
        """Ends the server (it kills what it still runs) and reaps it, bounded."""
        with self._lock:
            self._closing = True
        if self._control is None:
            return
        try:
            self._control.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._reader.join(_SEND_TIMEOUT)
        self._control.close()
        self._reap_server(_SEND_TIMEOUT)

    def run(self, handler: str, ctx: TaskContext, inputs: Mapping[str, Any]) -> Optional[Outcome]:
        """Runs ``handler`` in a new child: its outcome, or None once
        ctx.cancelled was set first (the child's group is killed then). Log
        lines go to ctx.attempt_log as they come."""
        child = _Child(next(self._keys))
        with self._lock:
            if self._lost:
                return self._lost_outcome(ctx)
            self._children[child.key] = child
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            try:
                self._send_control(("run", child.key), [theirs.fileno()])
            except OSError as e:
                return failure(WORKER_SHUTDOWN, "the worker's fork server did not take the "
                               f"attempt: {e}", False, ctx.secrets)
            finally:
                theirs.close()
            request = (handler, {name: getattr(ctx, name) for name in _CONTEXT_FIELDS},
                       ctx.secrets.values, dict(inputs))
            return self._converse(child, ours, _frame(request), ctx)
        finally:
            ours.close()
            self._release(child)

    # -- one attempt ------------------------------------------------------

    def _converse(self, child: _Child, sock: socket.socket, request: bytes,
                  ctx: TaskContext) -> Optional[Outcome]:
        sock.settimeout(_TICK)
        start_by = time.monotonic() + _START_TIMEOUT
        pending = memoryview(request)
        frames = _Frames()
        last_read = False
        while True:
            if ctx.cancelled.is_set():
                return None
            if self._lost:
                return self._lost_outcome(ctx)
            if not child.answered.is_set() and time.monotonic() > start_by:
                self._broken(f"it did not answer a run request within {_START_TIMEOUT:g}s")
                return self._lost_outcome(ctx)
            try:
                if pending:
                    pending = pending[sock.send(pending):]
                    continue
                data = sock.recv(1 << 16)
            except socket.timeout:
                if child.exited.is_set():
                    if last_read:  # begun after the exit: nothing more can come
                        return self._ended(child, ctx)
                    last_read = True  # it may have written just before it exited
                continue
            except OSError:  # the child is gone before it read its request
                data = b""
            if not data:
                child.exited.wait(_EXIT_WAIT)
                return self._ended(child, ctx)
            for message in frames.feed(data):
                if message[0] == "log":
                    ctx.attempt_log.add(*message[1:])
                else:
                    return Outcome(**message[1])

    def _ended(self, child: _Child, ctx: TaskContext) -> Outcome:
        """The outcome of a child that ended without sending one."""
        if self._lost:  # the child died with the server
            return self._lost_outcome(ctx)
        if child.refused:
            return failure(WORKER_SHUTDOWN, f"the fork server could not fork: {child.refused}",
                           False, ctx.secrets)
        code = child.exit_code
        how = ("unknown exit code" if code is None else
               f"killed by signal {-code}" if code < 0 else f"exit code {code}")
        return failure(HANDLER_CRASHED, f"the handler's process ended without an outcome ({how})",
                       False, ctx.secrets)

    def _lost_outcome(self, ctx: TaskContext) -> Outcome:
        return failure(WORKER_SHUTDOWN, f"the worker's fork server is gone ({self._lost}); "
                       "the worker is stopping", False, ctx.secrets)

    def _release(self, child: _Child) -> None:
        """The attempt is over for the worker: its child is killed if it still
        runs, and forgotten once it has exited."""
        with self._lock:
            child.released = True
            if child.exited.is_set() or self._lost:
                self._children.pop(child.key, None)
                return
        try:
            self._send_control(("kill", child.key))
        except OSError:
            pass  # the reader notices the server is gone

    def _send_control(self, message: tuple, fds=()) -> None:
        with self._send_lock:
            try:
                socket.send_fds(self._control, [pickle.dumps(message)], list(fds))
            except socket.timeout:
                self._broken(f"it took no message in {_SEND_TIMEOUT:g}s")
                raise

    # -- the control socket -----------------------------------------------

    def _read_control(self) -> None:
        reason = "its control socket closed"
        while True:
            try:
                data = self._control.recv(4096)
            except socket.timeout:
                continue
            except OSError as e:
                reason = f"reading its control socket: {e}"
                break
            if not data:
                break
            self._on_message(pickle.loads(data))
        self._reap_server(_EXIT_WAIT)
        self._set_lost(reason)

    def _on_message(self, message: tuple) -> None:
        kind, key, value = message
        with self._lock:
            child = self._children.get(key)
            if child is None:
                return
            if kind == "started":
                child.pid = value
            elif kind == "refused":
                child.refused = value
                child.exited.set()
            elif kind == "exited":
                child.exit_code = value
                child.exited.set()
                if child.released:
                    del self._children[key]
            child.answered.set()

    def _broken(self, reason: str) -> None:
        """The server is alive but does not do its job: kill it; the reader
        then sees its socket close and calls the loss."""
        log.error("fork server (pid %d): %s; killing it", self._pid, reason)
        with self._lock:
            if not self._lost:
                self._lost = reason
        try:
            os.kill(self._pid, signal.SIGKILL)
        except OSError:
            pass

    def _set_lost(self, reason: str) -> None:
        with self._lock:
            closing = self._closing
            self._lost = self._lost or reason
            children = list(self._children.values())
            self._children.clear()
        for child in children:  # a child dies with the server; its group may not
            if child.pid is not None and not child.exited.is_set():
                _kill_group(child.pid)
            child.exited.set()
        if not closing:
            log.error("fork server (pid %d) lost: %s", self._pid, self._lost)
            self._on_lost(self._lost)

    def _reap_server(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                pid, _ = os.waitpid(self._pid, os.WNOHANG)
            except ChildProcessError:
                return
            if pid or time.monotonic() > deadline:
                return
            time.sleep(_TICK)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


# -- in the fork server ---------------------------------------------------

def _serve(control: socket.socket, handlers: Mapping[str, Callable]) -> None:
    """The server's loop: forks, kills and reaps children until the control
    socket closes. Never returns."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    gc.freeze()  # children's collections leave the inherited objects (and their pages) alone
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    children: Dict[int, Tuple[int, int]] = {}  # pidfd -> (key, pid)
    while True:
        for selected, _ in selector.select():
            if selected.fileobj is not control:
                _reap_child(control, selector, children, selected.fd)
                continue
            try:
                data, fds, _, _ = socket.recv_fds(control, 4096, 1)
            except OSError:
                data, fds = b"", []
            if not data:
                _shut_down(children)
            kind, key = pickle.loads(data)
            if kind == "run":
                _fork_child(control, selector, children, key, fds[0], handlers)
            else:
                for child_key, pid in children.values():
                    if child_key == key:
                        _kill_group(pid)


def _fork_child(control: socket.socket, selector: selectors.BaseSelector,
                children: Dict[int, Tuple[int, int]], key: int, fd: int,
                handlers: Mapping[str, Callable]) -> None:
    server = os.getpid()
    try:
        pid = os.fork()
    except OSError as e:
        os.close(fd)
        _answer(control, children, ("refused", key, str(e)))
        return
    if pid == 0:
        try:
            os.close(control.detach())
            os.close(selector.fileno())
            for pidfd in children:
                os.close(pidfd)
            _attempt_main(fd, server, handlers)
            os._exit(0)
        except BaseException:  # a bug of ours: say what, then exit 70 (HandlerCrashed)
            traceback.print_exc()
        finally:
            os._exit(70)
    os.close(fd)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass  # the child did it first
    pidfd = os.pidfd_open(pid)
    children[pidfd] = (key, pid)
    selector.register(pidfd, selectors.EVENT_READ)
    _answer(control, children, ("started", key, pid))


def _reap_child(control: socket.socket, selector: selectors.BaseSelector,
                children: Dict[int, Tuple[int, int]], pidfd: int) -> None:
    key, pid = children.pop(pidfd)
    selector.unregister(pidfd)
    os.close(pidfd)
    _kill_group(pid)  # the child is a zombie still: its group id is not free yet
    _, status = os.waitpid(pid, 0)
    _answer(control, children, ("exited", key, os.waitstatus_to_exitcode(status)))


def _answer(control: socket.socket, children: Dict[int, Tuple[int, int]], message: tuple) -> None:
    try:
        control.sendall(pickle.dumps(message))
    except OSError:  # the worker is gone
        _shut_down(children)


def _shut_down(children: Dict[int, Tuple[int, int]]) -> None:
    for _, pid in children.values():
        _kill_group(pid)
    os._exit(0)


def _die_with_parent(parent: int) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the call
        os._exit(70)


def _attempt_main(fd: int, server: int, handlers: Mapping[str, Callable]) -> None:
    """In the child: reads the request, runs the handler, writes its outcome."""
    os.setpgid(0, 0)
    _die_with_parent(server)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    with socket.socket(fileno=fd) as sock:
        _run_request(sock, handlers)


def _run_request(sock: socket.socket, handlers: Mapping[str, Callable]) -> None:
    sock.settimeout(_REQUEST_TIMEOUT)
    frames, messages = _Frames(), []
    while not messages:
        data = sock.recv(1 << 16)
        if not data:
            return  # the worker gave up on the attempt
        messages = frames.feed(data)
    sock.settimeout(None)
    handler, fields, secrets, inputs = messages[0]
    mask = SecretMask(secrets)
    ctx = TaskContext(**fields, secrets=mask, attempt_log=_SocketLog(sock, mask))
    capture.install()
    func = handlers.get(handler)
    if func is None:
        outcome = failure(UNKNOWN_HANDLER, f'the fork server has no handler named "{handler}"',
                          True)
    else:
        outcome = invoke(func, ctx, inputs)
    sock.sendall(_frame(("outcome", dataclasses.asdict(outcome))))


class _SocketLog:
    """A child's ctx.attempt_log: each line goes to the worker, masked already."""

    def __init__(self, sock: socket.socket, mask: SecretMask) -> None:
        self._sock = sock
        self._lock = threading.Lock()  # a handler may log from threads of its own
        self.mask = mask

    def add(self, stream: str, level: str, message: str) -> str:
        text = self.mask.apply(message)
        with self._lock:
            try:
                self._sock.sendall(_frame(("log", stream, level, text)))
            except OSError:  # the worker is gone: nobody wants this attempt any more
                os._exit(70)
        return text
