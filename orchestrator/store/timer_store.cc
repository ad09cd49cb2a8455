#include "orchestrator/store/timer_store.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "orchestrator/store/breaker_ops.h"
#include "orchestrator/store/cancellation.h"
#include "orchestrator/store/history.h"
#include "orchestrator/store/notify.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/timer.h"
#include "orchestrator/store/run_progress.h"
#include "orchestrator/store/task_row.h"

namespace baton::store {
namespace {

using model::TaskRunState;

namespace sql = queries::timer;

// Ends a READY task without an attempt (`to` is terminal) and settles it.
void EndReadyTask(pqxx::work& tx, const TaskRow& task, TaskRunState to, const std::string& why,
                  std::vector<Transition>& history) {
  tx.exec_params(sql::kEndReadyTask, task.id, std::string(model::Name(to)), why);
  history.push_back(TaskTransition(task.run_id, task.id, TaskRunState::kReady, to, why));
  SettleTask(tx, task, to, nullptr, !task.fallback_name.empty(), why, history);
}

}  // namespace

absl::StatusOr<int> TimerStore::WakeRetries(int limit) {
  return pool_.TransactFor<int>([&](pqxx::work& tx) -> absl::StatusOr<int> {
    std::vector<Transition> history;
    for (const auto& row : tx.exec_params(sql::kWakeRetries, limit)) {
      history.push_back(TaskTransition(
          row["run_id"].as<std::string>(), row["id"].as<int64_t>(), TaskRunState::kAwaitingRetry,
          TaskRunState::kReady,
          absl::StrCat("retry delay over; attempt ", row["attempt"].as<int>() + 1, " may start")));
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
    for (const auto& row : tx.exec_params(sql::kLockLateToStart, limit)) {
      const TaskRow task = TaskRowFrom(row);
      const std::string why = absl::StrCat("schedule-to-start timeout: not started within ",
                                           absl::FormatDuration(absl::Milliseconds(
                                               row["schedule_to_start_timeout_ms"].as<int64_t>())));
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
    for (const auto& row : tx.exec_params(sql::kLockShortCircuited, limit)) {
      const TaskRow task = TaskRowFrom(row);
      const std::string state = row["breaker_state"].as<std::string>();
      const std::string why = absl::StrCat(
          "short-circuited: circuit breaker \"", task.breaker->key, "\" is ", state,
          state == "OPEN" ? absl::StrCat(" until ", row["breaker_open_until"].as<std::string>())
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
    for (const auto& row : tx.exec_params(sql::kRunsPastDeadline, limit)) {
      out.emplace_back(row["id"].as<std::string>(), row["timeout_us"].as<int64_t>());
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
