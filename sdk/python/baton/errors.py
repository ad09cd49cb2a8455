"""Exceptions of the SDK: what a handler raises to fail for good, and what the
client raises when the orchestrator refuses a call (its message kept)."""
from __future__ import annotations

from typing import Optional

import grpc


class NonRetryable(Exception):
    """Raised by a handler: the attempt fails and the orchestrator does not retry it.

    The reported error type is the class name ("NonRetryable", or a subclass's
    name such as ``class BadInput(baton.NonRetryable)``), unless ``error_type``
    names another one.
    """

    def __init__(self, message: str = "", *, error_type: Optional[str] = None) -> None:
        super().__init__(message)
        self.error_type = error_type


class BatonError(Exception):
    """A call to the orchestrator failed. ``code`` is the gRPC status code name
    (e.g. "NOT_FOUND"); ``message`` is the orchestrator's own message."""

    code = "UNKNOWN"

    def __init__(self, message: str, code: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidArgument(BatonError, ValueError):
    """Bad input: refused by the orchestrator, or by the SDK before sending."""

    code = "INVALID_ARGUMENT"


class NotFound(BatonError, LookupError):
    code = "NOT_FOUND"


class AlreadyExists(BatonError):
    code = "ALREADY_EXISTS"


class FailedPrecondition(BatonError):
    code = "FAILED_PRECONDITION"


class Unauthenticated(BatonError):
    code = "UNAUTHENTICATED"


class PermissionDenied(BatonError):
    code = "PERMISSION_DENIED"


class Unavailable(BatonError, ConnectionError):
    code = "UNAVAILABLE"


class DeadlineExceeded(BatonError, TimeoutError):
    code = "DEADLINE_EXCEEDED"


class RunTimeout(BatonError, TimeoutError):
    """A run did not end within the time a caller was willing to wait."""

    code = "DEADLINE_EXCEEDED"


_BY_CODE = {
    cls.code: cls
    for cls in (InvalidArgument, NotFound, AlreadyExists, FailedPrecondition, Unauthenticated,
                PermissionDenied, Unavailable, DeadlineExceeded)
}


def from_rpc_error(error: grpc.RpcError) -> BatonError:
    """The BatonError for a failed gRPC call, keeping the server's message."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    name = code.name if code is not None else "UNKNOWN"
    return _BY_CODE.get(name, BatonError)(details or name, name)
