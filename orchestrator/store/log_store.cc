#include "orchestrator/store/log_store.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/base/log_text.h"
#include "common/base/status_macros.h"
#include "common/base/uuid.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/log.h"
#include "orchestrator/store/run_store.h"

namespace baton::store {
namespace {

namespace sql = queries::log;

// Serializes a run's appends so that its line ids follow commit order. The
// first key is Baton's namespace for these locks.
constexpr const char* kLockRunLog = "SELECT pg_advisory_xact_lock(1651, hashtext($1))";

constexpr const char* kSelectRunState = "SELECT state FROM flow_runs WHERE id = $1::uuid";

constexpr const char* kTaskExists = "SELECT 1 FROM task_runs WHERE run_id = $1::uuid AND name = $2";

std::string DroppedMarker() {
  return absl::StrCat("[baton] lines were dropped from this attempt's log (it keeps at most ",
                      kMaxLogLinesPerAttempt, " lines and ", kMaxLogBytesPerAttempt / 1024,
                      " KiB, and lines lost in transit are counted too); the attempt's "
                      "log_lines_dropped says how many");
}

struct Fenced {
  size_t index;  // into the batches
  std::string run_id;
  int lines = 0;
  int64_t bytes = 0;
  int dropped = 0;
};

// Appends one fenced batch within the attempt's bound; returns the outcome.
AppendOutcome AppendBatch(pqxx::work& tx, const std::string& worker_id, const LogBatch& batch,
                          const Fenced& f) {
  std::vector<int64_t> us;
  std::vector<std::string> streams, levels, messages;
  int64_t bytes = 0;
  for (const LogLineRecord& line : batch.lines) {
    const int64_t size = static_cast<int64_t>(line.message.size());
    if (f.lines + static_cast<int>(messages.size()) >= kMaxLogLinesPerAttempt ||
        f.bytes + bytes + size > kMaxLogBytesPerAttempt) {
      break;  // a prefix is kept: the lines that are there stay in order
    }
    us.push_back(absl::ToUnixMicros(line.time));
    streams.push_back(line.stream);
    levels.push_back(line.level);
    messages.push_back(line.message);
    bytes += size;
  }
  AppendOutcome out;
  out.stored = static_cast<int>(messages.size());
  out.dropped = static_cast<int>(batch.lines.size()) - out.stored;
  const int dropped = out.dropped + batch.dropped_by_worker;
  if (f.dropped == 0 && dropped > 0) {
    us.push_back(absl::ToUnixMicros(absl::Now()));
    streams.push_back("log");
    levels.push_back("warn");
    messages.push_back(DroppedMarker());
  }
  if (!messages.empty()) {
    tx.exec_params(sql::kInsertLines, f.run_id, batch.claim.task_run_id, batch.claim.attempt,
                   PgIntArray(us), PgTextArray(streams), PgTextArray(levels),
                   PgTextArray(messages));
  }
  if (out.stored > 0 || dropped > 0) {
    tx.exec_params(sql::kCountLines, batch.claim.task_run_id, batch.claim.attempt, out.stored,
                   bytes, dropped, batch.claim.lease_token, worker_id);
  }
  return out;
}

RunLogRecord LineFromRow(const pqxx::row& row) {
  RunLogRecord r;
  r.id = row["id"].as<int64_t>();
  r.task_name = row["task_name"].as<std::string>();
  r.task_run_id = row["task_run_id"].as<int64_t>();
  r.attempt = row["attempt"].as<int32_t>();
  r.worker_id = row["worker_id"].as<std::string>();
  r.line.time = TimeFromMicros(row["logged_at_us"]);
  r.line.stream = row["stream"].as<std::string>();
  r.line.level = row["level"].as<std::string>();
  r.line.message = row["message"].as<std::string>();
  return r;
}

}  // namespace

absl::StatusOr<std::vector<AppendOutcome>> LogStore::Append(const std::string& worker_id,
                                                            const std::vector<LogBatch>& batches) {
  return pool_.TransactFor<std::vector<AppendOutcome>>(
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<AppendOutcome>> {
        std::vector<AppendOutcome> out(batches.size());
        std::vector<Fenced> fenced;
        for (size_t i = 0; i < batches.size(); ++i) {
          const engine::AttemptClaim& c = batches[i].claim;
          pqxx::result attempt = tx.exec_params(sql::kSelectAttempt, c.task_run_id, c.attempt,
                                                c.lease_token, worker_id);
          if (attempt.empty()) {
            out[i].refused = absl::FailedPreconditionError(
                absl::StrCat("attempt ", c.attempt, " of task run ", c.task_run_id,
                             " was not leased to this worker with this token"));
            continue;
          }
          fenced.push_back({i, attempt[0]["run_id"].as<std::string>()});
        }
        // Lock each run once, in one order for every transaction (no deadlock).
        std::vector<std::string> runs;
        for (const Fenced& f : fenced) runs.push_back(f.run_id);
        std::sort(runs.begin(), runs.end());
        runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
        for (const std::string& run : runs) tx.exec_params(kLockRunLog, run);
        for (Fenced& f : fenced) {
          // The counters as of now (under the run's lock): earlier batches of
          // this request may have moved them.
          const LogBatch& batch = batches[f.index];
          pqxx::result attempt =
              tx.exec_params(sql::kSelectAttempt, batch.claim.task_run_id, batch.claim.attempt,
                             batch.claim.lease_token, worker_id);
          f.lines = attempt[0]["log_lines"].as<int>();
          f.bytes = attempt[0]["log_bytes"].as<int64_t>();
          f.dropped = attempt[0]["log_dropped"].as<int>();
          out[f.index] = AppendBatch(tx, worker_id, batch, f);
        }
        return out;
      });
}

absl::StatusOr<RunLogPage> LogStore::LinesAfter(const std::string& run_id,
                                                const std::string& task_name, int64_t after_id,
                                                int limit) {
  BATON_RETURN_IF_ERROR(CheckUuid("run id", run_id));
  return pool_.TransactFor<RunLogPage>([&](pqxx::work& tx) -> absl::StatusOr<RunLogPage> {
    // The state first: lines committed before the run ended are in the next
    // statement's snapshot.
    pqxx::result state = tx.exec_params(kSelectRunState, run_id);
    if (state.empty()) return absl::NotFoundError(absl::StrCat("run ", run_id, " does not exist"));
    if (!task_name.empty() && tx.exec_params(kTaskExists, run_id, task_name).empty()) {
      return absl::NotFoundError(
          absl::StrCat("run ", run_id, " has no task named \"", task_name, "\""));
    }
    RunLogPage page{model::ParseFlowRunState(state[0]["state"].as<std::string>()).value(), {}};
    for (const auto& row : tx.exec_params(sql::kSelectLines, run_id, after_id, task_name, limit)) {
      page.lines.push_back(LineFromRow(row));
    }
    return page;
  });
}

}  // namespace baton::store
