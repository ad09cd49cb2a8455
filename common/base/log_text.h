// The bounds and text rules for the log lines attempts ship to the
// orchestrator (handler log calls, `exec` stdout/stderr). Shared by the worker,
// which applies them before shipping, and the orchestrator, which enforces
// them again on what it stores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace baton {

// Per attempt: lines and message bytes kept; the rest is counted as dropped.
inline constexpr int kMaxLogLinesPerAttempt = 2000;
inline constexpr int64_t kMaxLogBytesPerAttempt = 512 * 1024;
// One line's message; longer ones are cut and marked.
inline constexpr size_t kMaxLogLineBytes = 8 * 1024;
// Lines in one AppendLogs batch.
inline constexpr int kMaxLogLinesPerBatch = 1000;

inline constexpr char kTruncatedMark[] = " [truncated]";

// `text` fit for a log line: valid UTF-8 (invalid bytes become U+FFFD), no
// NUL characters (PostgreSQL text refuses them), at most kMaxLogLineBytes
// (cut on a character boundary and marked with kTruncatedMark). Mask secrets
// (common/base/secret_mask.h) before: the cut must not keep part of one.
std::string CleanLogText(absl::string_view text);

// The levels a line may have, and whether `level` is one of them.
bool IsLogLevel(absl::string_view level);
// The streams a line may come from: "log", "stdout", "stderr".
bool IsLogStream(absl::string_view stream);

// Cuts a byte stream into lines at '\n' (a '\r' before it is dropped). A line
// that grows past `max_line` bytes is emitted in pieces of that size, so
// memory stays bounded whatever the stream holds. Feed it a masked stream
// (SecretStreamMask): a piece boundary must not split a secret.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line = 4 * kMaxLogLineBytes) : max_line_(max_line) {}

  // Appends `chunk`; returns the lines it completed.
  std::vector<std::string> Feed(absl::string_view chunk);
  // The last line if the stream did not end with '\n'; empty otherwise.
  std::vector<std::string> Finish();

 private:
  const size_t max_line_;
  std::string partial_;
};

}  // namespace baton
