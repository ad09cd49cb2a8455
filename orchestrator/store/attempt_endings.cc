#include "orchestrator/store/attempt_endings.h"

#include <vector>

#include "orchestrator/store/breaker_ops.h"
#include "orchestrator/store/history.h"
#include "orchestrator/store/notify.h"
#include "orchestrator/store/queries/attempt.h"
#include "orchestrator/store/run_progress.h"

namespace baton::store {
namespace {

using model::TaskRunState;

namespace sql = queries::attempt;

std::optional<int64_t> MillisIfRetry(const engine::RetryDecision& r, absl::Duration d) {
  if (!r.retry) return std::nullopt;
  return absl::ToInt64Milliseconds(d);
}

void UpdateRows(pqxx::work& tx, const TaskRow& task, const engine::AttemptEnding& e) {
  const int32_t attempt = task.lease.attempt;
  tx.exec_params(sql::kEndAttempt, task.id, attempt, std::string(model::Name(e.attempt_state)),
                 e.error, e.error_type, e.decision, MillisIfRetry(e.retry, e.retry.delay),
                 MillisIfRetry(e.retry, e.retry.base_delay),
                 e.retry.retry ? std::optional<double>(e.retry.jitter_sample) : std::nullopt);
  const auto result = e.result.is_null() ? std::optional<std::string>() : e.result.dump();
  const pqxx::result updated = tx.exec_params(
      sql::kEndTaskAttempt, task.id, attempt, task.lease.lease_token,
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
  if (e.undelivered && task.breaker) tx.exec_params(sql::kReleaseProbe, task.breaker->key, task.id);
  if (e.task_state == TaskRunState::kReady) NotifyTasksReady(tx);
  if (model::IsTerminal(e.task_state)) {
    SettleTask(tx, task, e.task_state, e.result, e.activate_fallback, e.decision, history);
  }
  RecordTransitions(tx, history);
}

}  // namespace baton::store
