// Reading the secrets and certificates that the orchestrator and its clients
// are configured with: from a file, or from an environment variable when no
// file is named. Values are never logged, and error messages name the file or
// the variable, never the content. Thread-safe (reads the environment).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace baton::rpc {

// The whole file. NOT_FOUND when it cannot be opened, INVALID_ARGUMENT when it
// is empty; `what` names it in errors ("--tls-ca").
absl::StatusOr<std::string> ReadFileContent(const std::string& path, absl::string_view what);

// A bearer token from `file` (surrounding whitespace trimmed), else from the
// variable `env_var`; "" when neither is set. INVALID_ARGUMENT when the token
// is empty or has characters outside visible ASCII (a header value).
absl::StatusOr<std::string> ReadToken(const std::string& file, const char* env_var);

// Pure: OK when `token` is non-empty visible ASCII ('!'..'~').
absl::Status CheckTokenCharacters(absl::string_view token, absl::string_view where);

}  // namespace baton::rpc
