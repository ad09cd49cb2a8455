"""Routes what a handler prints and logs (print(), sys.stderr, Python logging)
to the log of the attempt it runs, by a context variable set around the
handler call. Output of any other thread goes where it always went.

install() once per process; attempt_output(sink) around each handler call,
where sink(stream, level, message) keeps one line (AttemptLog.add)."""
from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import sys
import threading
from typing import Callable, Iterator, Optional

Sink = Callable[[str, str, str], str]

_LEVELS = [(logging.ERROR, "error"), (logging.WARNING, "warn"), (logging.INFO, "info")]


class _AttemptOutput:
    """One attempt's sink and its partial stdout/stderr lines."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self._partial = {"stdout": "", "stderr": ""}
        self._lock = threading.Lock()

    def write(self, stream: str, text: str) -> None:
        with self._lock:
            lines = (self._partial[stream] + text).split("\n")
            self._partial[stream] = lines.pop()
        for line in lines:
            self.sink(stream, "info", line.rstrip("\r"))

    def finish(self) -> None:
        with self._lock:
            rest = [(s, p) for s, p in self._partial.items() if p]
            self._partial = {"stdout": "", "stderr": ""}
        for stream, line in rest:
            self.sink(stream, "info", line)


_current: contextvars.ContextVar[Optional[_AttemptOutput]] = contextvars.ContextVar(
    "baton_attempt_output", default=None)


class _RoutedStream(io.TextIOBase):
    """sys.stdout / sys.stderr: an attempt's lines go to its log, the rest to
    the original stream."""

    def __init__(self, name: str, original) -> None:
        self._name = name
        self._original = original

    def write(self, text: str) -> int:
        output = _current.get()
        if output is None:
            return self._original.write(text)
        output.write(self._name, text)
        return len(text)

    def flush(self) -> None:
        if _current.get() is None:
            self._original.flush()

    def fileno(self) -> int:
        return self._original.fileno()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self):  # type: ignore[override]
        return getattr(self._original, "encoding", "utf-8")


class _AttemptLogHandler(logging.Handler):
    """Python logging records of a handler's thread, as lines of its attempt.
    The SDK's own loggers ("baton.*") are left out: they log for the worker."""

    def emit(self, record: logging.LogRecord) -> None:
        output = _current.get()
        if output is None or record.name.startswith("baton"):
            return
        level = next((name for n, name in _LEVELS if record.levelno >= n), "debug")
        try:
            output.sink("log", level, self.format(record))
        except Exception:  # a bad record must not fail the handler
            self.handleError(record)


_installed = False
_install_lock = threading.Lock()


def install() -> None:
    """Routes sys.stdout, sys.stderr and the root logger (level at most INFO).
    Idempotent."""
    global _installed
    with _install_lock:
        if _installed:
            return
        sys.stdout = _RoutedStream("stdout", sys.stdout)
        sys.stderr = _RoutedStream("stderr", sys.stderr)
        handler = _AttemptLogHandler()
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        if root.level == logging.NOTSET or root.level > logging.INFO:
            root.setLevel(logging.INFO)
        _installed = True


@contextlib.contextmanager
def attempt_output(sink: Sink) -> Iterator[None]:
    """Within it, this thread's prints and log records go to ``sink``; a last
    partial line is kept at the end."""
    output = _AttemptOutput(sink)
    token = _current.set(output)
    try:
        yield
    finally:
        _current.reset(token)
        output.finish()
