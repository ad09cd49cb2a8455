#include "orchestrator/store/metrics_store.h"

#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/metrics.h"

namespace baton::store {
namespace {

namespace sql = queries::metrics;

constexpr const char* kFlowRunsByState =
    "SELECT state, count(*) AS count FROM flow_runs GROUP BY state ORDER BY state";
constexpr const char* kTaskRunsByState =
    "SELECT state, count(*) AS count FROM task_runs GROUP BY state ORDER BY state";
constexpr const char* kBreakers =
    "SELECT key, state, 1 AS count FROM circuit_breakers ORDER BY key LIMIT 1000";

// The labels of each row are the columns `labels`, its value the column "count".
std::vector<LabeledCount> Counts(const pqxx::result& rows,
                                 std::initializer_list<const char*> labels) {
  std::vector<LabeledCount> out;
  for (const pqxx::row& row : rows) {
    LabeledCount c;
    for (const char* label : labels) c.labels.push_back(row[label].as<std::string>());
    c.value = row["count"].as<double>();
    out.push_back(std::move(c));
  }
  return out;
}

void ReadAttempts(pqxx::work& tx, MetricsSnapshot& s) {
  const pqxx::result rows = tx.exec(sql::kAttemptsByState);
  s.attempts = Counts(rows, {"state"});
  for (const pqxx::row& row : rows) s.retries += row["retries"].as<double>();
}

}  // namespace

absl::StatusOr<MetricsSnapshot> MetricsStore::Read(absl::Duration worker_liveness,
                                                   absl::Duration lease_wait_window) {
  return pool_.TransactFor<MetricsSnapshot>([&](pqxx::work& tx) -> absl::StatusOr<MetricsSnapshot> {
    MetricsSnapshot s;
    s.flow_runs = Counts(tx.exec(kFlowRunsByState), {"state"});
    s.task_runs = Counts(tx.exec(kTaskRunsByState), {"state"});
    s.ready_tasks = Counts(tx.exec(sql::kReadyByQueue), {"queue"});
    s.breakers = Counts(tx.exec(kBreakers), {"key", "state"});
    s.workers =
        Counts(tx.exec_params(sql::kWorkersByState, absl::ToInt64Milliseconds(worker_liveness)),
               {"worker_state"});
    ReadAttempts(tx, s);
    const pqxx::result waits = tx.exec_params(
        sql::kLeaseWaits, absl::ToInt64Milliseconds(lease_wait_window), kMaxLeaseWaitSamples);
    for (const pqxx::row& row : waits) s.lease_waits.push_back(row["wait_s"].as<double>());
    return s;
  });
}

}  // namespace baton::store
