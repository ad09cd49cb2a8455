// The log lines workers ship for attempts, and reading them back per run.
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "orchestrator/engine/lease_rules.h"
#include "orchestrator/model/states.h"

namespace baton::store {

class PgPool;

struct LogLineRecord {
  absl::Time time;
  std::string stream;  // "log", "stdout" or "stderr"
  std::string level;   // "debug", "info", "warn" or "error"
  std::string message;
};

struct LogBatch {
  engine::AttemptClaim claim;
  std::vector<LogLineRecord> lines;  // oldest first
  int dropped_by_worker = 0;
};

struct AppendOutcome {
  int stored = 0;
  int dropped = 0;       // over the attempt's bound
  absl::Status refused;  // FAILED_PRECONDITION: not the caller's attempt; nothing stored
};

struct RunLogRecord {
  int64_t id = 0;
  std::string task_name;
  int64_t task_run_id = 0;
  int32_t attempt = 0;
  std::string worker_id;
  LogLineRecord line;
};

struct RunLogPage {
  model::FlowRunState run_state;  // read before the lines
  std::vector<RunLogRecord> lines;
};

class LogStore {
 public:
  explicit LogStore(PgPool& pool) : pool_(pool) {}

  // Stores each batch whose attempt was leased to `worker_id` with the
  // batch's token (the attempt may have ended: its last lines still count);
  // other batches are refused and nothing of theirs is stored. An attempt
  // keeps at most kMaxLogLinesPerAttempt lines and kMaxLogBytesPerAttempt
  // message bytes (common/base/log_text.h); the rest is counted as dropped, and the
  // first drop leaves one marker line. Lines of one run get ids in commit
  // order, so a reader following ids misses none.
  absl::StatusOr<std::vector<AppendOutcome>> Append(const std::string& worker_id,
                                                    const std::vector<LogBatch>& batches);

  // Up to `limit` lines of run `run_id` (of its task `task_name` when not
  // empty) with ids above `after_id`, oldest first, and the run's state read
  // before them. NOT_FOUND for an unknown run or task name.
  absl::StatusOr<RunLogPage> LinesAfter(const std::string& run_id, const std::string& task_name,
                                        int64_t after_id, int limit);

 private:
  PgPool& pool_;
};

}  // namespace baton::store
