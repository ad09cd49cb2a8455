// How a handler says more about a failure than its status code: that
// retrying cannot help, and the error's class. Both ride on the returned
// absl::Status as payloads. Thread-safe (pure).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace baton::worker {

// Marks a handler error as final: the orchestrator will not retry it.
absl::Status NonRetryable(absl::Status status);
bool IsNonRetryable(const absl::Status& status);

// Names the error's class, e.g. "ValueError" or "QuotaExceeded": reported as
// the attempt's error type and matched against a retry policy's
// non_retryable_errors. Without one, the type is the status code's name
// ("ABORTED", "INVALID_ARGUMENT", ...).
absl::Status WithErrorType(absl::Status status, absl::string_view type);
std::string ErrorTypeOf(const absl::Status& status);

}  // namespace baton::worker
