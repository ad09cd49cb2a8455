"""Secret masking and the bounds of an attempt's log (the rules of
common/base/secret_mask.h, common/base/log_text.h and worker/attempt_log.h).

The rule everywhere: mask secret values first, then cut to a bound, so no cut
can keep part of a secret."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Iterable, List, Tuple

from baton import _limits


class SecretMask:
    """A set of secret values, replaced by "***" wherever they appear.
    Immutable, so thread-safe."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        distinct = list(dict.fromkeys(v for v in values if v))
        self.values: Tuple[str, ...] = tuple(sorted(distinct, key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self.values)

    def apply(self, text: str) -> str:
        """``text`` with every secret value masked, longer values first."""
        for value in self.values:
            text = text.replace(value, _limits.MASKED_SECRET)
        return text

    def apply_json(self, value: Any, depth: int = 0) -> Any:
        """``value`` (a JSON-like structure) with its strings and object keys
        masked; numbers, booleans and None kept. Deeper than the JSON depth
        bound, values are left as they are (the orchestrator refuses those)."""
        if not self.values:
            return value
        if isinstance(value, str):
            return self.apply(value)
        if depth >= _limits.MAX_JSON_DEPTH:
            return value
        if isinstance(value, (list, tuple)):
            return [self.apply_json(item, depth + 1) for item in value]
        if isinstance(value, dict):
            out = {}
            for key in sorted(value, key=str):
                out.setdefault(self.apply(str(key)), self.apply_json(value[key], depth + 1))
            return out
        return value


def secret_values(env: dict, secret_names: Iterable[str]) -> List[str]:
    """The values in ``env`` of the names in ``secret_names``."""
    return [env[name] for name in secret_names if name in env]


def valid_utf8(text: str) -> str:
    """``text`` encodable as UTF-8: lone surrogates become U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def cut_utf8(text: str, max_bytes: int, mark: str = _limits.TRUNCATED_MARK) -> str:
    """``text`` if it fits in ``max_bytes`` of UTF-8, else its longest prefix
    that fits together with ``mark``, cut on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    room = max(0, max_bytes - len(mark.encode("utf-8")))
    return data[:room].decode("utf-8", "ignore") + mark


def clean_log_text(text: str) -> str:
    """A log line's message: valid UTF-8, no NUL, at most the line bound."""
    return cut_utf8(valid_utf8(text).replace("\0", ""), _limits.MAX_LOG_LINE_BYTES)


@dataclass(frozen=True)
class LogEntry:
    time: float  # seconds since the epoch
    stream: str  # "log", "stdout" or "stderr"
    level: str  # "debug", "info", "warn" or "error"
    message: str


class AttemptLog:
    """The log lines of one attempt waiting to be shipped: masked, cleaned,
    bounded per attempt (lines past the bound are counted as dropped).
    Thread-safe: handler threads add, the worker's shipper takes."""

    def __init__(self, mask: SecretMask,
                 max_lines: int = _limits.MAX_LOG_LINES_PER_ATTEMPT,
                 max_bytes: int = _limits.MAX_LOG_BYTES_PER_ATTEMPT) -> None:
        self.mask = mask
        self._max_lines = max_lines
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._pending: List[LogEntry] = []
        self._kept_lines = 0
        self._kept_bytes = 0
        self._dropped = 0

    def add(self, stream: str, level: str, message: str) -> str:
        """Masks and cleans ``message`` and keeps it; returns the text as kept."""
        text = clean_log_text(self.mask.apply(message))
        size = len(text.encode("utf-8"))
        with self._lock:
            if self._kept_lines >= self._max_lines or self._kept_bytes + size > self._max_bytes:
                self._dropped += 1
                return text
            self._kept_lines += 1
            self._kept_bytes += size
            self._pending.append(LogEntry(time.time(), stream, level, text))
        return text

    def take(self) -> Tuple[List[LogEntry], int]:
        """The lines added since the last take (oldest first) and the count of
        lines dropped since then."""
        with self._lock:
            lines, dropped = self._pending, self._dropped
            self._pending, self._dropped = [], 0
        return lines, dropped

    def count_lost(self, lines: int) -> None:
        """Lines taken but not delivered: reported as dropped with the next batch."""
        with self._lock:
            self._dropped += lines
