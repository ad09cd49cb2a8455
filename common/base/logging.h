// Logging: spdlog set up as human-readable lines (default) or JSON lines, and
// a per-thread log context (run, task, attempt, correlation id) that every
// line written by that thread carries — in JSON as fields of their own.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace baton {

enum class LogFormat { kText, kJson };

// Sets up the default logger for `program` at `level` ("debug", "info",
// "warn", "error") in `format` ("text" or "json"); INVALID_ARGUMENT for an
// unknown level or format. Lines go to stderr; JSON times are UTC.
absl::Status SetUpLogging(const std::string& program, const std::string& level,
                          const std::string& format = "text");

// Fields added to every line this thread logs while the object lives; scopes
// nest (inner fields follow outer ones). Not copyable.
class ScopedLogContext {
 public:
  explicit ScopedLogContext(std::vector<std::pair<std::string, std::string>> fields);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  size_t previous_size_;
};

// JSON string escaping (quotes, backslashes, control characters).
std::string JsonEscape(const std::string& text);

}  // namespace baton
