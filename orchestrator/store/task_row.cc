#include "orchestrator/store/task_row.h"

#include "absl/strings/str_cat.h"
#include "orchestrator/store/pg_pool.h"

namespace baton::store {

const char* const kTaskRowColumns =
    "t.id, t.run_id::text, t.name, t.state, t.attempt, coalesce(t.lease_token::text, ''),"
    " baton_us(t.lease_expires_at), baton_us(t.execution_deadline), t.retry_policy::text,"
    " t.breaker::text, coalesce(t.fallback_name, ''), coalesce(t.fallback_for, ''),"
    " t.cancel_requested, baton_us(now()), t.lease_acknowledged, t.undelivered";

namespace {

const std::string kLockTaskRow =
    absl::StrCat("SELECT ", kTaskRowColumns, " FROM task_runs t WHERE t.id = $1 FOR UPDATE");

}  // namespace

TaskRow TaskRowFrom(const pqxx::row& row) {
  TaskRow t;
  t.id = row[0].as<int64_t>();
  t.run_id = row[1].as<std::string>();
  t.name = row[2].as<std::string>();
  t.lease.task_run_id = t.id;
  t.lease.state = model::ParseTaskRunState(row[3].as<std::string>()).value();
  t.lease.attempt = row[4].as<int32_t>();
  t.lease.lease_token = row[5].as<std::string>();
  t.lease.lease_expires_at = TimeFromMicros(row[6]);
  t.execution_deadline = row[7].is_null() ? absl::InfiniteFuture() : TimeFromMicros(row[7]);
  // Both were validated when the flow was applied; a failure here is a bug.
  t.retry = RetryPolicyFromJson(nlohmann::json::parse(row[8].as<std::string>())).value();
  if (!row[9].is_null()) {
    t.breaker = CircuitBreakerFromJson(nlohmann::json::parse(row[9].as<std::string>())).value();
  }
  t.fallback_name = row[10].as<std::string>();
  t.fallback_for = row[11].as<std::string>();
  t.cancel_requested = row[12].as<bool>();
  t.lease.cancel_requested = t.cancel_requested;
  t.now = TimeFromMicros(row[13]);
  t.acknowledged = row[14].as<bool>();
  t.undelivered = row[15].as<int32_t>();
  return t;
}

std::optional<TaskRow> LockTaskRow(pqxx::work& tx, int64_t task_run_id) {
  pqxx::result rows = tx.exec_params(kLockTaskRow, task_run_id);
  if (rows.empty()) return std::nullopt;
  return TaskRowFrom(rows[0]);
}

}  // namespace baton::store
