#include "orchestrator/store/run_progress.h"

#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "orchestrator/engine/run_rules.h"
#include "orchestrator/engine/settle_rules.h"
#include "orchestrator/store/notify.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/progress.h"

namespace baton::store {
namespace {

using model::FlowRunState;
using model::TaskRunState;

namespace sql = queries::progress;

constexpr const char* kSetResolution = "UPDATE task_runs SET resolution = $2 WHERE id = $1";

constexpr const char* kTaskId = "SELECT id FROM task_runs WHERE run_id = $1::uuid AND name = $2";

void ReleaseDownstream(pqxx::work& tx, const std::string& run_id, int64_t task_run_id,
                       std::vector<Transition>& history) {
  bool any_ready = false;
  for (const auto& row : tx.exec_params(sql::kReleaseDownstream, task_run_id)) {
    if (!row["ready"].as<bool>()) continue;
    any_ready = true;
    history.push_back(TaskTransition(run_id, row["id"].as<int64_t>(), TaskRunState::kPending,
                                     TaskRunState::kReady, "upstream tasks completed"));
  }
  if (any_ready) NotifyTasksReady(tx);
}

int64_t TaskId(pqxx::work& tx, const TaskRow& finished, const std::string& name) {
  if (name == finished.name) return finished.id;
  return tx.exec_params1(kTaskId, finished.run_id, name)["id"].as<int64_t>();
}

// Records each returned row (by its id) as PENDING -> `to` with `reason`;
// returns how many.
int Record(const pqxx::result& rows, const std::string& run_id, TaskRunState to,
           const std::string& reason, std::vector<Transition>& history) {
  for (const auto& row : rows) {
    history.push_back(
        TaskTransition(run_id, row["id"].as<int64_t>(), TaskRunState::kPending, to, reason));
  }
  return static_cast<int>(rows.size());
}

// Executes `d` for `task`; returns how many more tasks it closed (skipped).
int Execute(pqxx::work& tx, const TaskRow& task, const engine::SettleDecision& d,
            const nlohmann::json& result, std::vector<Transition>& history) {
  int closed = 0;
  if (d.release_downstream_of) {
    ReleaseDownstream(tx, task.run_id, TaskId(tx, task, *d.release_downstream_of), history);
  }
  if (d.adopt_result_into) {
    pqxx::row primary = tx.exec_params1(sql::kAdoptResult, task.run_id, d.adopt_result_into->task,
                                        result.dump(), d.adopt_result_into->reason);
    ReleaseDownstream(tx, task.run_id, primary["id"].as<int64_t>(), history);
  }
  if (d.activate_fallback) {
    const engine::TaskAction& f = *d.activate_fallback;
    Record(tx.exec_params(sql::kActivateTask, task.run_id, f.task, f.reason), task.run_id,
           TaskRunState::kReady, f.reason, history);
    NotifyTasksReady(tx);
  }
  if (!d.resolution.empty()) tx.exec_params(kSetResolution, task.id, d.resolution);
  if (d.skip_descendants_of) {
    const engine::TaskAction& s = *d.skip_descendants_of;
    closed += Record(tx.exec_params(sql::kSkipDescendants, TaskId(tx, task, s.task), s.reason),
                     task.run_id, TaskRunState::kSkipped, s.reason, history);
  }
  if (d.skip_unused_fallback) {
    const engine::TaskAction& s = *d.skip_unused_fallback;
    closed += Record(tx.exec_params(sql::kSkipTaskByName, task.run_id, s.task, s.reason),
                     task.run_id, TaskRunState::kSkipped, s.reason, history);
  }
  return closed;
}

nlohmann::json RunResult(pqxx::work& tx, const std::string& run_id,
                         const std::vector<std::string>& result_tasks) {
  std::map<std::string, nlohmann::json> results;
  for (const auto& row : tx.exec_params(sql::kSelectResults, run_id)) {
    results[row["name"].as<std::string>()] = nlohmann::json::parse(row["result"].as<std::string>());
  }
  return engine::BuildRunResult(result_tasks, results);
}

void EndRun(pqxx::work& tx, const std::string& run_id, const pqxx::row& run,
            std::vector<Transition>& history) {
  const FlowRunState current = model::ParseFlowRunState(run["state"].as<std::string>()).value();
  std::optional<FlowRunState> forced;
  if (const std::string end_state = run["end_state"].as<std::string>(); !end_state.empty()) {
    forced = model::ParseFlowRunState(end_state);
  }
  std::vector<engine::TaskStateView> tasks;
  for (const auto& row : tx.exec_params(sql::kSelectTaskStates, run_id)) {
    tasks.push_back({row["name"].as<std::string>(),
                     model::ParseTaskRunState(row["state"].as<std::string>()).value(),
                     row["error"].as<std::string>(), row["fallback_name"].as<std::string>(),
                     row["fallback_for"].as<std::string>()});
  }
  std::optional<engine::RunEnd> end =
      engine::DecideRunEnd(tasks, forced, run["cancel_reason"].as<std::string>());
  if (!end || !model::CanTransition(current, end->state)) return;
  nlohmann::json result;
  if (end->state == FlowRunState::kCompleted) {
    result = RunResult(tx, run_id, ParsePgTextArray(run["result_tasks"]));
  }
  tx.exec_params(sql::kEndRun, run_id, std::string(model::Name(end->state)),
                 result.is_null() ? std::optional<std::string>() : result.dump(), end->error,
                 std::string(model::Name(current)));
  history.push_back(RunTransition(run_id, current, end->state, end->error));
}

}  // namespace

void CloseTasks(pqxx::work& tx, const std::string& run_id, int closed,
                std::vector<Transition>& history) {
  pqxx::row run = tx.exec_params1(sql::kCloseTasks, run_id, closed);
  if (run["open_tasks"].as<int>() == 0) EndRun(tx, run_id, run, history);
}

void SettleTask(pqxx::work& tx, const TaskRow& task, TaskRunState reached,
                const nlohmann::json& result, bool fallback_allowed, const std::string& why,
                std::vector<Transition>& history) {
  const engine::SettleDecision d = engine::DecideSettle(
      {task.name, reached, task.fallback_name, task.fallback_for, fallback_allowed, why});
  CloseTasks(tx, task.run_id, 1 + Execute(tx, task, d, result, history), history);
}

}  // namespace baton::store
