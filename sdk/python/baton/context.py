"""What a handler sees of the attempt it runs: ``ctx``."""
from __future__ import annotations

import datetime
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional

from baton.masking import AttemptLog, SecretMask

_worker_log = logging.getLogger("baton.worker")
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
           "error": logging.ERROR}


class TaskLogger:
    """``ctx.log``: lines shipped as the attempt's logs (``baton run logs``),
    secrets masked, bounded per attempt; also written to the worker's own log."""

    def __init__(self, sink: Callable[[str, str, str], str], prefix: str = "") -> None:
        self._sink = sink
        self._prefix = prefix

    def log(self, level: str, message: Any) -> None:
        kept = self._sink("log", level, str(message))
        _worker_log.log(_LEVELS.get(level, logging.INFO), "%s%s", self._prefix, kept)

    def debug(self, message: Any) -> None:
        self.log("debug", message)

    def info(self, message: Any) -> None:
        self.log("info", message)

    def warning(self, message: Any) -> None:
        self.log("warn", message)

    warn = warning

    def error(self, message: Any) -> None:
        self.log("error", message)


@dataclass
class TaskContext:
    """Identity and options of one leased attempt, its cancellation signal and
    its log. Thread-safe: the worker sets ``cancelled`` while a handler reads it.

    ``deadline`` is a time.monotonic() value (None: no execution timeout);
    ``scheduled_time`` is when the run was meant to start (a deployment's fire
    time for scheduled runs, else the run's creation time), timezone-aware
    UTC, None if the orchestrator did not say."""

    run_id: str = ""
    flow_name: str = ""
    task_name: str = ""
    attempt: int = 0
    handler: str = ""
    correlation_id: str = ""
    task_run_id: int = 0
    env: Dict[str, str] = field(default_factory=dict)
    config: Dict[str, Any] = field(default_factory=dict)
    scheduled_time: Optional[datetime.datetime] = None
    deadline: Optional[float] = None
    secrets: SecretMask = field(default_factory=SecretMask)
    cancelled: threading.Event = field(default_factory=threading.Event)
    cancel_reason: str = ""
    attempt_log: Optional[AttemptLog] = None

    def __post_init__(self) -> None:
        if self.attempt_log is None:
            self.attempt_log = AttemptLog(self.secrets)
        self.log = TaskLogger(self.attempt_log.add, f"{self.task_name}: ")

    def remaining(self) -> Optional[float]:
        """Seconds until the execution deadline (None: no limit)."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def cancel(self, reason: str) -> None:
        """Called by the worker runtime: asks the handler to stop."""
        if not self.cancelled.is_set():
            self.cancel_reason = reason
            self.cancelled.set()

    def redact(self, text: str) -> str:
        """``text`` with the run's secret values masked."""
        return self.secrets.apply(text)
