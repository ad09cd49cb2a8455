// The error types Baton itself reports for an attempt; a handler's own error
// types are free text. Shared by the worker (which reports the first three)
// and the orchestrator's rules (engine/attempt_rules.h), so both spell them
// once. The Python SDK mirrors them in baton/outcome.py.
#pragma once

namespace baton {

// The worker stopped the handler at its execution timeout.
inline constexpr char kExecutionTimeoutErrorType[] = "ExecutionTimeout";
// The worker stopped the handler because the attempt was cancelled.
inline constexpr char kCancelledErrorType[] = "Cancelled";
// The worker stopped the handler because it presumed its lease lost (no
// heartbeat accepted for a whole lease). Decided like a lease the
// orchestrator expired: a takeover may have renewed the lease meanwhile.
inline constexpr char kLeaseLostErrorType[] = "LeaseLost";
// The orchestrator ended an attempt whose lease never reached a worker.
inline constexpr char kUndeliveredErrorType[] = "Undelivered";

}  // namespace baton
