// UUIDs as text: the ids of runs, deployments, workers and lease tokens.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace baton {

// 36 characters, 8-4-4-4-12 hexadecimal digits separated by dashes.
bool IsUuid(absl::string_view text);

// OK for a UUID; otherwise INVALID_ARGUMENT, the one message for every id:
// `<what> "<text>" is not a UUID; expected e.g. 0b9c6f1e-…`.
absl::Status CheckUuid(absl::string_view what, absl::string_view text);

}  // namespace baton
