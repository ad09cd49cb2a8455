#include "orchestrator/store/attempt_endings.h"

#include <vector>

#include "orchestrator/store/breaker_ops.h"
#include "orchestrator/store/history.h"
#include "orchestrator/store/notify.h"
#include "orchestrator/store/run_progress.h"

namespace baton::store {
namespace {

using model::TaskRunState;

constexpr const char* kEndAttempt =
    "UPDATE attempts SET state = $3, ended_at = now(), error = nullif($4, ''),"
    " error_type = nullif($5, ''), decision = $6, retry_delay_ms = $7,"
    " retry_base_delay_ms = $8, jitter_sample = $9"
    " WHERE task_run_id = $1 AND number = $2 AND state = 'RUNNING'";

// Fenced by (task run, attempt, token, RUNNING), as every attempt ending is.
constexpr const char* kEndTaskAttempt =
    "UPDATE task_runs SET state = $4, result = $5::jsonb, error = nullif($6, ''),"
    " lease_token = NULL, lease_expires_at = NULL, execution_deadline = NULL, worker_id = NULL,"
    " ended_at = CASE WHEN $7 THEN now() END,"
    " not_before = CASE WHEN $4 = 'AWAITING_RETRY' THEN now() + $8 * interval '1 millisecond' END,"
    " ready_at = CASE WHEN $4 = 'READY' THEN now() ELSE ready_at END,"
    " undelivered = undelivered + CASE WHEN $9 THEN 1 ELSE 0 END"
    " WHERE id = $1 AND attempt = $2 AND lease_token = $3::uuid AND state = 'RUNNING'";

// An undelivered half-open probe never ran: the breaker waits for another.
constexpr const char* kReleaseProbe =
    "UPDATE circuit_breakers SET probe_task_run_id = NULL, updated_at = now()"
    " WHERE key = $1 AND state = 'HALF_OPEN' AND probe_task_run_id = $2";

std::optional<int64_t> MillisIfRetry(const engine::RetryDecision& r, absl::Duration d) {
  if (!r.retry) return std::nullopt;
  return absl::ToInt64Milliseconds(d);
}

void UpdateRows(pqxx::work& tx, const TaskRow& task, const engine::AttemptEnding& e) {
  const int32_t attempt = task.lease.attempt;
  tx.exec_params(kEndAttempt, task.id, attempt, std::string(model::Name(e.attempt_state)), e.error,
                 e.error_type, e.decision, MillisIfRetry(e.retry, e.retry.delay),
                 MillisIfRetry(e.retry, e.retry.base_delay),
                 e.retry.retry ? std::optional<double>(e.retry.jitter_sample) : std::nullopt);
  const auto result = e.result.is_null() ? std::optional<std::string>() : e.result.dump();
  const pqxx::result updated = tx.exec_params(
      kEndTaskAttempt, task.id, attempt, task.lease.lease_token,
      std::string(model::Name(e.task_state)), result, e.error, model::IsTerminal(e.task_state),
      absl::ToInt64Milliseconds(e.retry.delay), e.undelivered);
  // The caller holds the row lock and saw this attempt RUNNING: anything else is a bug.
  if (updated.affected_rows() != 1) {
    throw std::logic_error("task run attempt ending: fenced update matched no row");
  }
}

}  // namespace

engine::TaskPolicy PolicyOf(const TaskRow& task) {
  return {task.retry, !task.fallback_name.empty(), task.cancel_requested};
}

void ApplyEnding(pqxx::work& tx, const TaskRow& task, const engine::AttemptEnding& e) {
  UpdateRows(tx, task, e);
  std::vector<Transition> history = {
      AttemptTransition(task.run_id, task.id, task.lease.attempt, e.attempt_state,
                        e.error.empty() ? e.decision : e.error),
      TaskTransition(task.run_id, task.id, TaskRunState::kRunning, e.task_state, e.decision)};
  if (task.breaker && (e.breaker_success || e.breaker_failure)) {
    RecordBreakerOutcome(tx, task, e.breaker_success, history);
  }
  if (e.undelivered && task.breaker) tx.exec_params(kReleaseProbe, task.breaker->key, task.id);
  if (e.task_state == TaskRunState::kReady) NotifyTasksReady(tx);
  if (model::IsTerminal(e.task_state)) {
    SettleTask(tx, task, e.task_state, e.result, e.activate_fallback, e.decision, history);
  }
  RecordTransitions(tx, history);
}

}  // namespace baton::store
