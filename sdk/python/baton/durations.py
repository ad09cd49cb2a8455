"""Durations as the flow and deployment files write them. Pure."""
from __future__ import annotations

import datetime
from typing import Union

Duration = Union[int, float, str, datetime.timedelta]


def to_seconds(value: Duration, what: str) -> float:
    """Seconds in ``value``: a number of seconds, a timedelta, or text like
    "2s", "1m30s", "250ms", "1h". ValueError, naming ``what``, otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{what}: expected a duration, got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, datetime.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, str):
        seconds = _parse_text(value, what)
    else:
        raise ValueError(f"{what}: expected seconds, a timedelta or text like \"2s\", "
                         f"got {type(value).__name__}")
    if seconds < 0:
        raise ValueError(f"{what}: {value!r} is negative")
    return seconds


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def _parse_text(text: str, what: str) -> float:
    rest, total = text.strip(), 0.0
    if not rest:
        raise ValueError(f"{what}: empty duration")
    while rest:
        number = ""
        while rest and (rest[0].isdigit() or rest[0] == "."):
            number, rest = number + rest[0], rest[1:]
        unit = "ms" if rest.startswith("ms") else rest[:1]
        if not number or unit not in _UNITS:
            raise ValueError(f"{what}: {text!r} is not a duration; expected e.g. 2s, 1m30s, 250ms")
        total += float(number) * _UNITS[unit]
        rest = rest[len(unit):]
    return total


def to_spec(value: Duration, what: str) -> str:
    """``value`` as a duration string for a flow or deployment file, in whole
    milliseconds ("2000ms"), the unit the orchestrator keeps."""
    return f"{round(to_seconds(value, what) * 1000)}ms"
