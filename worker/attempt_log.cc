#include "worker/attempt_log.h"

#include "absl/time/clock.h"
#include "common/base/log_text.h"

namespace baton::worker {

std::string AttemptLog::Add(absl::string_view stream, absl::string_view level,
                            absl::string_view message) {
  std::string text = CleanLogText(mask_.Apply(message));
  std::lock_guard<std::mutex> lock(mu_);
  if (kept_lines_ >= kMaxLogLinesPerAttempt ||
      kept_bytes_ + static_cast<int64_t>(text.size()) > kMaxLogBytesPerAttempt) {
    ++dropped_;
    return text;
  }
  ++kept_lines_;
  kept_bytes_ += static_cast<int64_t>(text.size());
  pending_.push_back({absl::Now(), std::string(stream), std::string(level), text});
  return text;
}

AttemptLog::Pending AttemptLog::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  Pending out{std::move(pending_), dropped_};
  pending_.clear();
  dropped_ = 0;
  return out;
}

void AttemptLog::CountLost(int lines) {
  std::lock_guard<std::mutex> lock(mu_);
  dropped_ += lines;
}

}  // namespace baton::worker
