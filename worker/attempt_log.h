// The log lines of one attempt, kept for shipping to the orchestrator:
// secret values masked, text cleaned, bounded per attempt (common/base/log_text.h).
// Thread-safe: handler threads add, the worker's shipper takes.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/secret_mask.h"

namespace baton::worker {

struct LogEntry {
  absl::Time time;
  std::string stream;  // "log", "stdout" or "stderr"
  std::string level;   // "debug", "info", "warn" or "error"
  std::string message;
};

class AttemptLog {
 public:
  // `secrets`: values to mask wherever they appear.
  explicit AttemptLog(const std::vector<std::string>& secrets = {}) : mask_(secrets) {}
  AttemptLog(const AttemptLog&) = delete;
  AttemptLog& operator=(const AttemptLog&) = delete;

  // The secret values, masked as "***" in every line before it is cut.
  const SecretMask& mask() const { return mask_; }

  // Masks and cleans `message` and keeps it for shipping; returns the text as
  // kept. Past the attempt's bound the line is only counted as dropped.
  std::string Add(absl::string_view stream, absl::string_view level, absl::string_view message);

  struct Pending {
    std::vector<LogEntry> lines;  // oldest first
    int dropped = 0;              // since the last Take
  };
  // What was added since the last Take.
  Pending Take();

  // Lines taken but not delivered (the orchestrator was unreachable): they
  // are reported as dropped with the next batch.
  void CountLost(int lines);

 private:
  const SecretMask mask_;
  std::mutex mu_;
  std::vector<LogEntry> pending_;
  int kept_lines_ = 0;
  int64_t kept_bytes_ = 0;
  int dropped_ = 0;
};

}  // namespace baton::worker
