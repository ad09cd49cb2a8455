#include "orchestrator/store/metrics_store.h"

#include "orchestrator/store/pg_pool.h"

namespace baton::store {
namespace {

constexpr const char* kFlowRunsByState =
    "SELECT state, count(*) FROM flow_runs GROUP BY state ORDER BY state";
constexpr const char* kTaskRunsByState =
    "SELECT state, count(*) FROM task_runs GROUP BY state ORDER BY state";
constexpr const char* kReadyByQueue =
    "SELECT queue, count(*) FROM task_runs WHERE state = 'READY' GROUP BY queue ORDER BY queue"
    " LIMIT 1000";
constexpr const char* kBreakers =
    "SELECT key, state, 1 FROM circuit_breakers ORDER BY key LIMIT 1000";
constexpr const char* kWorkersByState =
    "SELECT CASE WHEN stopped_at IS NOT NULL THEN 'STOPPED'"
    "  WHEN last_seen_at > now() - $1 * interval '1 millisecond' THEN 'ONLINE'"
    "  ELSE 'LOST' END AS s, count(*) FROM workers GROUP BY s ORDER BY s";
// The retry count rides on the same scan.
constexpr const char* kAttemptsByState =
    "SELECT state, count(*), count(*) FILTER (WHERE decision LIKE 'retry%')"
    " FROM attempts WHERE state <> 'RUNNING' GROUP BY state ORDER BY state";
// task_runs.ready_at is when the task's latest attempt became READY, so only
// that attempt's wait can be measured.
constexpr const char* kLeaseWaits =
    "SELECT extract(epoch FROM a.leased_at - t.ready_at)::float8"
    " FROM attempts a JOIN task_runs t ON t.id = a.task_run_id AND t.attempt = a.number"
    " WHERE a.leased_at > now() - $1 * interval '1 millisecond' AND t.ready_at IS NOT NULL"
    " ORDER BY a.leased_at DESC LIMIT $2";

std::vector<LabeledCount> Counts(const pqxx::result& rows, int labels) {
  std::vector<LabeledCount> out;
  for (const pqxx::row& row : rows) {
    LabeledCount c;
    for (int i = 0; i < labels; ++i) c.labels.push_back(row[i].as<std::string>());
    c.value = row[labels].as<double>();
    out.push_back(std::move(c));
  }
  return out;
}

void ReadAttempts(pqxx::work& tx, MetricsSnapshot& s) {
  const pqxx::result rows = tx.exec(kAttemptsByState);
  s.attempts = Counts(rows, 1);
  for (const pqxx::row& row : rows) s.retries += row[2].as<double>();
}

}  // namespace

absl::StatusOr<MetricsSnapshot> MetricsStore::Read(absl::Duration worker_liveness,
                                                   absl::Duration lease_wait_window) {
  return pool_.TransactFor<MetricsSnapshot>([&](pqxx::work& tx) -> absl::StatusOr<MetricsSnapshot> {
    MetricsSnapshot s;
    s.flow_runs = Counts(tx.exec(kFlowRunsByState), 1);
    s.task_runs = Counts(tx.exec(kTaskRunsByState), 1);
    s.ready_tasks = Counts(tx.exec(kReadyByQueue), 1);
    s.breakers = Counts(tx.exec(kBreakers), 2);
    s.workers =
        Counts(tx.exec_params(kWorkersByState, absl::ToInt64Milliseconds(worker_liveness)), 1);
    ReadAttempts(tx, s);
    const pqxx::result waits = tx.exec_params(
        kLeaseWaits, absl::ToInt64Milliseconds(lease_wait_window), kMaxLeaseWaitSamples);
    for (const pqxx::row& row : waits) s.lease_waits.push_back(row[0].as<double>());
    return s;
  });
}

}  // namespace baton::store
