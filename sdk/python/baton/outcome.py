"""An attempt's outcome as reported to the orchestrator: a JSON result, or an
error with a type, a message and whether retrying can help. Pure.

An exception becomes an error whose type is the exception's class name and
whose message is str(exc) (so ``non_retryable_errors: [ValueError]`` in a flow
matches ``raise ValueError(...)``); baton.NonRetryable marks it final. Secret
values are masked in results and messages before any cut to a bound."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional

from baton import _limits
from baton.errors import NonRetryable
from baton.masking import SecretMask, cut_utf8, valid_utf8

# Error types the worker runtime reports itself.
EXECUTION_TIMEOUT = "ExecutionTimeout"
CANCELLED = "Cancelled"
LEASE_LOST = "LeaseLost"
WORKER_SHUTDOWN = "WorkerShutdown"
UNKNOWN_HANDLER = "UnknownHandler"
BAD_RESULT = "BadResult"
RESULT_TOO_LARGE = "ResultTooLarge"
HANDLER_CRASHED = "HandlerCrashed"


@dataclass(frozen=True)
class Outcome:
    result_json: Optional[str] = None  # set on success
    error_type: str = ""
    error_message: str = ""
    non_retryable: bool = False

    @property
    def ok(self) -> bool:
        return self.result_json is not None


def failure(error_type: str, message: str, non_retryable: bool = False,
            mask: SecretMask = SecretMask()) -> Outcome:
    """An error outcome: message masked, then cut to the orchestrator's bound."""
    text = cut_utf8(valid_utf8(mask.apply(message)), _limits.MAX_ERROR_MESSAGE_BYTES)
    return Outcome(error_type=error_type[:_limits.MAX_ERROR_TYPE_LENGTH] or "Error",
                   error_message=text, non_retryable=non_retryable)


def error_type_of(exc: BaseException) -> str:
    """The reported type of ``exc``: its class name, or NonRetryable's error_type."""
    if isinstance(exc, NonRetryable) and exc.error_type:
        return exc.error_type
    return type(exc).__name__


def from_exception(exc: BaseException, mask: SecretMask = SecretMask()) -> Outcome:
    """The outcome of a handler that raised ``exc``."""
    message = str(exc) or type(exc).__name__
    return failure(error_type_of(exc), message, isinstance(exc, NonRetryable), mask)


def from_result(value: Any, mask: SecretMask = SecretMask()) -> Outcome:
    """The outcome of a handler that returned ``value``: its JSON text with
    secrets masked; a value that is not JSON-serialisable or is over the
    result bound fails the attempt for good, saying why."""
    try:
        text = json.dumps(mask.apply_json(value), ensure_ascii=False, allow_nan=False)
        size = len(text.encode("utf-8"))
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as e:
        return failure(BAD_RESULT, f"the handler's result is not JSON-serialisable: {e}", True,
                       mask)
    if size > _limits.MAX_RESULT_BYTES:
        return failure(RESULT_TOO_LARGE, f"result of {size} bytes exceeds the bound of "
                       f"{_limits.MAX_RESULT_BYTES} bytes", True, mask)
    return Outcome(result_json=text)
