#include "orchestrator/store/timer_store.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "orchestrator/store/breaker_ops.h"
#include "orchestrator/store/cancellation.h"
#include "orchestrator/store/history.h"
#include "orchestrator/store/notify.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/run_progress.h"
#include "orchestrator/store/task_row.h"

namespace baton::store {
namespace {

using model::TaskRunState;

constexpr const char* kWakeRetries =
    "WITH due AS ("
    "  SELECT id FROM task_runs WHERE state = 'AWAITING_RETRY' AND not_before <= now()"
    "  ORDER BY not_before LIMIT $1 FOR UPDATE SKIP LOCKED"
    ") UPDATE task_runs t SET state = 'READY', ready_at = now(), not_before = NULL"
    " FROM due WHERE t.id = due.id RETURNING t.id, t.run_id::text, t.attempt";

const std::string kLockLateToStart = absl::StrCat(
    "SELECT ", kTaskRowColumns,
    ", t.schedule_to_start_timeout_ms FROM task_runs t"
    " WHERE t.state = 'READY' AND t.schedule_to_start_timeout_ms > 0"
    " AND t.ready_at + t.schedule_to_start_timeout_ms * interval '1 millisecond' <= now()"
    " ORDER BY t.ready_at LIMIT $1 FOR UPDATE OF t SKIP LOCKED");

const std::string kLockShortCircuited =
    absl::StrCat("SELECT ", kTaskRowColumns,
                 ", b.state, coalesce(to_char(b.open_until AT TIME ZONE 'UTC',"
                 " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"
                 " FROM task_runs t JOIN circuit_breakers b ON b.key = t.breaker_key"
                 " WHERE t.state = 'READY' AND t.fallback_name IS NOT NULL"
                 "   AND t.breaker ->> 'when_open' = 'fallback'"
                 "   AND ((b.state = 'OPEN' AND b.open_until > now())"
                 "     OR (b.state = 'HALF_OPEN' AND b.probe_task_run_id IS NOT NULL))"
                 " ORDER BY t.ready_at LIMIT $1 FOR UPDATE OF t SKIP LOCKED");

constexpr const char* kEndReadyTask =
    "UPDATE task_runs SET state = $2, ended_at = now(), error = $3"
    " WHERE id = $1 AND state = 'READY'";

constexpr const char* kRunsPastDeadline =
    "SELECT id::text, baton_us(deadline) - baton_us(created_at) FROM flow_runs"
    " WHERE deadline <= now() AND state IN ('PENDING', 'RUNNING') ORDER BY deadline LIMIT $1";

// Ends a READY task without an attempt (`to` is terminal) and settles it.
void EndReadyTask(pqxx::work& tx, const TaskRow& task, TaskRunState to, const std::string& why,
                  std::vector<Transition>& history) {
  tx.exec_params(kEndReadyTask, task.id, std::string(model::Name(to)), why);
  history.push_back(TaskTransition(task.run_id, task.id, TaskRunState::kReady, to, why));
  SettleTask(tx, task, to, nullptr, !task.fallback_name.empty(), why, history);
}

}  // namespace

absl::StatusOr<int> TimerStore::WakeRetries(int limit) {
  return pool_.TransactFor<int>([&](pqxx::work& tx) -> absl::StatusOr<int> {
    std::vector<Transition> history;
    for (const auto& row : tx.exec_params(kWakeRetries, limit)) {
      history.push_back(TaskTransition(
          row[1].as<std::string>(), row[0].as<int64_t>(), TaskRunState::kAwaitingRetry,
          TaskRunState::kReady,
          absl::StrCat("retry delay over; attempt ", row[2].as<int>() + 1, " may start")));
    }
    if (!history.empty()) NotifyTasksReady(tx);
    RecordTransitions(tx, history);
    return static_cast<int>(history.size());
  });
}

absl::StatusOr<int> TimerStore::ExpireScheduleToStart(int limit) {
  return pool_.TransactFor<int>([&](pqxx::work& tx) -> absl::StatusOr<int> {
    std::vector<Transition> history;
    int ended = 0;
    for (const auto& row : tx.exec_params(kLockLateToStart, limit)) {
      const TaskRow task = TaskRowFrom(row);
      const std::string why = absl::StrCat(
          "schedule-to-start timeout: not started within ",
          absl::FormatDuration(absl::Milliseconds(row[kTaskRowColumnCount].as<int64_t>())));
      EndReadyTask(tx, task, TaskRunState::kTimedOut, why, history);
      ++ended;
    }
    RecordTransitions(tx, history);
    return ended;
  });
}

absl::StatusOr<int> TimerStore::ShortCircuit(int limit) {
  return pool_.TransactFor<int>([&](pqxx::work& tx) -> absl::StatusOr<int> {
    std::vector<Transition> history;
    int ended = 0;
    for (const auto& row : tx.exec_params(kLockShortCircuited, limit)) {
      const TaskRow task = TaskRowFrom(row);
      const std::string state = row[kTaskRowColumnCount].as<std::string>();
      const std::string why = absl::StrCat(
          "short-circuited: circuit breaker \"", task.breaker->key, "\" is ", state,
          state == "OPEN" ? absl::StrCat(" until ", row[kTaskRowColumnCount + 1].as<std::string>())
                          : "");
      history.push_back(BreakerTransition(task.run_id, task.id, task.breaker->key,
                                          *engine::ParseBreakerState(state),
                                          *engine::ParseBreakerState(state), why));
      EndReadyTask(tx, task, TaskRunState::kSkipped, why, history);
      ++ended;
    }
    RecordTransitions(tx, history);
    return ended;
  });
}

absl::StatusOr<int> TimerStore::TimeOutRuns(int limit) {
  using Due = std::vector<std::pair<std::string, int64_t>>;
  auto due = pool_.TransactFor<Due>([&](pqxx::work& tx) -> absl::StatusOr<Due> {
    Due out;
    for (const auto& row : tx.exec_params(kRunsPastDeadline, limit)) {
      out.emplace_back(row[0].as<std::string>(), row[1].as<int64_t>());
    }
    return out;
  });
  if (!due.ok()) return due.status();
  int stopped = 0;
  for (const auto& [run_id, timeout_us] : *due) {
    absl::Status s = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
      std::vector<Transition> history;
      const std::string why = absl::StrCat(
          "flow timeout of ", absl::FormatDuration(absl::Microseconds(timeout_us)), " exceeded");
      absl::Status begun = BeginCancel(tx, run_id, model::FlowRunState::kTimedOut, why, history);
      RecordTransitions(tx, history);
      return begun;
    });
    if (s.ok()) ++stopped;
  }
  return stopped;
}

}  // namespace baton::store
