#include "orchestrator/store/run_progress.h"

#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "orchestrator/engine/run_rules.h"
#include "orchestrator/engine/settle_rules.h"
#include "orchestrator/store/notify.h"
#include "orchestrator/store/pg_pool.h"

namespace baton::store {
namespace {

using model::FlowRunState;
using model::TaskRunState;

constexpr const char* kReleaseDownstream =
    "UPDATE task_runs d SET pending_upstream = d.pending_upstream - 1,"
    "  state = CASE WHEN d.pending_upstream = 1 THEN 'READY' ELSE d.state END,"
    "  ready_at = CASE WHEN d.pending_upstream = 1 THEN now() ELSE d.ready_at END"
    " FROM task_edges e"
    " WHERE e.upstream_id = $1 AND d.id = e.downstream_id AND d.state = 'PENDING'"
    " RETURNING d.id, d.state = 'READY'";

// Skips everything below a task, and the unused fallbacks of what it skips.
constexpr const char* kSkipDescendants =
    "WITH RECURSIVE below (id) AS ("
    "  SELECT downstream_id FROM task_edges WHERE upstream_id = $1"
    "  UNION SELECT e.downstream_id FROM task_edges e JOIN below b ON e.upstream_id = b.id"
    "), skipped AS ("
    "  UPDATE task_runs t SET state = 'SKIPPED', ended_at = now(), error = $2"
    "  FROM below WHERE t.id = below.id AND t.state = 'PENDING'"
    "  RETURNING t.id, t.run_id, t.fallback_name"
    "), unused AS ("
    "  UPDATE task_runs f SET state = 'SKIPPED', ended_at = now(),"
    "    error = 'not needed: the task it stands in for was skipped'"
    "  FROM skipped s WHERE f.run_id = s.run_id AND f.name = s.fallback_name"
    "    AND f.state = 'PENDING'"
    "  RETURNING f.id"
    ")"
    " SELECT id FROM skipped UNION ALL SELECT id FROM unused";

constexpr const char* kSkipTaskByName =
    "UPDATE task_runs SET state = 'SKIPPED', ended_at = now(), error = $3"
    " WHERE run_id = $1::uuid AND name = $2 AND state = 'PENDING' RETURNING id";

constexpr const char* kActivateTask =
    "UPDATE task_runs SET state = 'READY', ready_at = now(), resolution = $3"
    " WHERE run_id = $1::uuid AND name = $2 AND state = 'PENDING' RETURNING id";

constexpr const char* kSetResolution = "UPDATE task_runs SET resolution = $2 WHERE id = $1";

// The fallback's result stands in for its primary's.
constexpr const char* kAdoptResult =
    "UPDATE task_runs SET result = $3::jsonb, resolution = $4"
    " WHERE run_id = $1::uuid AND name = $2 RETURNING id";

constexpr const char* kTaskId = "SELECT id FROM task_runs WHERE run_id = $1::uuid AND name = $2";

// Also takes the run's row lock, which serializes the end-of-run decision.
constexpr const char* kCloseTasks =
    "UPDATE flow_runs SET open_tasks = open_tasks - $2 WHERE id = $1::uuid"
    " RETURNING open_tasks, state, coalesce(end_state, ''), coalesce(cancel_reason, ''),"
    " result_tasks";

constexpr const char* kSelectTaskStates =
    "SELECT name, state, coalesce(error, ''), coalesce(fallback_name, ''),"
    " coalesce(fallback_for, '') FROM task_runs WHERE run_id = $1::uuid ORDER BY position";

constexpr const char* kSelectResults =
    "SELECT t.name, t.result::text FROM task_runs t JOIN flow_runs r ON r.id = t.run_id"
    " WHERE t.run_id = $1::uuid AND t.name = ANY (r.result_tasks) AND t.result IS NOT NULL";

constexpr const char* kEndRun =
    "UPDATE flow_runs SET state = $2, result = $3::jsonb, error = nullif($4, ''),"
    " ended_at = now() WHERE id = $1::uuid AND state = $5";

void ReleaseDownstream(pqxx::work& tx, const std::string& run_id, int64_t task_run_id,
                       std::vector<Transition>& history) {
  bool any_ready = false;
  for (const auto& row : tx.exec_params(kReleaseDownstream, task_run_id)) {
    if (!row[1].as<bool>()) continue;
    any_ready = true;
    history.push_back(TaskTransition(run_id, row[0].as<int64_t>(), TaskRunState::kPending,
                                     TaskRunState::kReady, "upstream tasks completed"));
  }
  if (any_ready) NotifyTasksReady(tx);
}

int64_t TaskId(pqxx::work& tx, const TaskRow& finished, const std::string& name) {
  if (name == finished.name) return finished.id;
  return tx.exec_params1(kTaskId, finished.run_id, name)[0].as<int64_t>();
}

// Records each returned row (its id first) as PENDING -> `to` with `reason`;
// returns how many.
int Record(const pqxx::result& rows, const std::string& run_id, TaskRunState to,
           const std::string& reason, std::vector<Transition>& history) {
  for (const auto& row : rows) {
    history.push_back(
        TaskTransition(run_id, row[0].as<int64_t>(), TaskRunState::kPending, to, reason));
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
    pqxx::row primary = tx.exec_params1(kAdoptResult, task.run_id, d.adopt_result_into->task,
                                        result.dump(), d.adopt_result_into->reason);
    ReleaseDownstream(tx, task.run_id, primary[0].as<int64_t>(), history);
  }
  if (d.activate_fallback) {
    const engine::TaskAction& f = *d.activate_fallback;
    Record(tx.exec_params(kActivateTask, task.run_id, f.task, f.reason), task.run_id,
           TaskRunState::kReady, f.reason, history);
    NotifyTasksReady(tx);
  }
  if (!d.resolution.empty()) tx.exec_params(kSetResolution, task.id, d.resolution);
  if (d.skip_descendants_of) {
    const engine::TaskAction& s = *d.skip_descendants_of;
    closed += Record(tx.exec_params(kSkipDescendants, TaskId(tx, task, s.task), s.reason),
                     task.run_id, TaskRunState::kSkipped, s.reason, history);
  }
  if (d.skip_unused_fallback) {
    const engine::TaskAction& s = *d.skip_unused_fallback;
    closed += Record(tx.exec_params(kSkipTaskByName, task.run_id, s.task, s.reason), task.run_id,
                     TaskRunState::kSkipped, s.reason, history);
  }
  return closed;
}

nlohmann::json RunResult(pqxx::work& tx, const std::string& run_id,
                         const std::vector<std::string>& result_tasks) {
  std::map<std::string, nlohmann::json> results;
  for (const auto& row : tx.exec_params(kSelectResults, run_id)) {
    results[row[0].as<std::string>()] = nlohmann::json::parse(row[1].as<std::string>());
  }
  return engine::BuildRunResult(result_tasks, results);
}

void EndRun(pqxx::work& tx, const std::string& run_id, const pqxx::row& run,
            std::vector<Transition>& history) {
  const FlowRunState current = model::ParseFlowRunState(run[1].as<std::string>()).value();
  std::optional<FlowRunState> forced;
  if (!run[2].as<std::string>().empty())
    forced = model::ParseFlowRunState(run[2].as<std::string>());
  std::vector<engine::TaskStateView> tasks;
  for (const auto& row : tx.exec_params(kSelectTaskStates, run_id)) {
    tasks.push_back({row[0].as<std::string>(),
                     model::ParseTaskRunState(row[1].as<std::string>()).value(),
                     row[2].as<std::string>(), row[3].as<std::string>(), row[4].as<std::string>()});
  }
  std::optional<engine::RunEnd> end = engine::DecideRunEnd(tasks, forced, run[3].as<std::string>());
  if (!end || !model::CanTransition(current, end->state)) return;
  nlohmann::json result;
  if (end->state == FlowRunState::kCompleted) {
    result = RunResult(tx, run_id, ParsePgTextArray(run[4]));
  }
  tx.exec_params(kEndRun, run_id, std::string(model::Name(end->state)),
                 result.is_null() ? std::optional<std::string>() : result.dump(), end->error,
                 std::string(model::Name(current)));
  history.push_back(RunTransition(run_id, current, end->state, end->error));
}

}  // namespace

void CloseTasks(pqxx::work& tx, const std::string& run_id, int closed,
                std::vector<Transition>& history) {
  pqxx::row run = tx.exec_params1(kCloseTasks, run_id, closed);
  if (run[0].as<int>() == 0) EndRun(tx, run_id, run, history);
}

void SettleTask(pqxx::work& tx, const TaskRow& task, TaskRunState reached,
                const nlohmann::json& result, bool fallback_allowed, const std::string& why,
                std::vector<Transition>& history) {
  const engine::SettleDecision d = engine::DecideSettle(
      {task.name, reached, task.fallback_name, task.fallback_for, fallback_allowed, why});
  CloseTasks(tx, task.run_id, 1 + Execute(tx, task, d, result, history), history);
}

}  // namespace baton::store
