#include "orchestrator/store/task_row.h"

#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/task.h"

namespace baton::store {

TaskRow TaskRowFrom(const pqxx::row& row) {
  TaskRow t;
  t.id = row["id"].as<int64_t>();
  t.run_id = row["run_id"].as<std::string>();
  t.name = row["name"].as<std::string>();
  t.lease.task_run_id = t.id;
  t.lease.state = model::ParseTaskRunState(row["state"].as<std::string>()).value();
  t.lease.attempt = row["attempt"].as<int32_t>();
  t.lease.lease_token = row["lease_token"].as<std::string>();
  t.lease.lease_expires_at = TimeFromMicros(row["lease_expires_at_us"]);
  const pqxx::field deadline = row["execution_deadline_us"];
  t.execution_deadline = deadline.is_null() ? absl::InfiniteFuture() : TimeFromMicros(deadline);
  // Both were validated when the flow was applied; a failure here is a bug.
  t.retry =
      RetryPolicyFromJson(nlohmann::json::parse(row["retry_policy"].as<std::string>())).value();
  if (const pqxx::field breaker = row["breaker"]; !breaker.is_null()) {
    t.breaker = CircuitBreakerFromJson(nlohmann::json::parse(breaker.as<std::string>())).value();
  }
  t.fallback_name = row["fallback_name"].as<std::string>();
  t.fallback_for = row["fallback_for"].as<std::string>();
  t.cancel_requested = row["cancel_requested"].as<bool>();
  t.lease.cancel_requested = t.cancel_requested;
  t.now = TimeFromMicros(row["now_us"]);
  t.acknowledged = row["lease_acknowledged"].as<bool>();
  t.undelivered = row["undelivered"].as<int32_t>();
  return t;
}

std::optional<TaskRow> LockTaskRow(pqxx::work& tx, int64_t task_run_id) {
  pqxx::result rows = tx.exec_params(queries::task::kLockTaskRow, task_run_id);
  if (rows.empty()) return std::nullopt;
  return TaskRowFrom(rows[0]);
}

}  // namespace baton::store
