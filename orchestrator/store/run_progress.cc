#include "orchestrator/store/run_progress.h"

#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "orchestrator/engine/run_rules.h"
#include "orchestrator/store/notify.h"
#include "orchestrator/store/pg_pool.h"

namespace baton::store {
namespace {

using engine::FlowRunState;
using engine::TaskRunState;

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

constexpr const char* kActivateFallback =
    "UPDATE task_runs SET state = 'READY', ready_at = now(), resolution = $3"
    " WHERE run_id = $1::uuid AND name = $2 AND state = 'PENDING' RETURNING id";

constexpr const char* kSetResolution = "UPDATE task_runs SET resolution = $2 WHERE id = $1";

// The fallback's result stands in for its primary's.
constexpr const char* kAdoptFallbackResult =
    "UPDATE task_runs SET result = $3::jsonb, resolution = $4"
    " WHERE run_id = $1::uuid AND name = $2 RETURNING id";

constexpr const char* kPrimaryId = "SELECT id FROM task_runs WHERE run_id = $1::uuid AND name = $2";

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

int SkipDescendants(pqxx::work& tx, const std::string& run_id, int64_t task_run_id,
                    const std::string& reason, std::vector<Transition>& history) {
  pqxx::result skipped = tx.exec_params(kSkipDescendants, task_run_id, reason);
  for (const auto& row : skipped) {
    history.push_back(TaskTransition(run_id, row[0].as<int64_t>(), TaskRunState::kPending,
                                     TaskRunState::kSkipped, reason));
  }
  return static_cast<int>(skipped.size());
}

int SkipUnusedFallback(pqxx::work& tx, const TaskRow& task, const std::string& reason,
                       std::vector<Transition>& history) {
  if (task.fallback_name.empty()) return 0;
  pqxx::result rows = tx.exec_params(kSkipTaskByName, task.run_id, task.fallback_name, reason);
  for (const auto& row : rows) {
    history.push_back(TaskTransition(task.run_id, row[0].as<int64_t>(), TaskRunState::kPending,
                                     TaskRunState::kSkipped, reason));
  }
  return static_cast<int>(rows.size());
}

void ActivateFallback(pqxx::work& tx, const TaskRow& task, const std::string& why,
                      std::vector<Transition>& history) {
  const std::string stands_in = absl::StrCat("standing in for \"", task.name, "\": ", why);
  for (const auto& row :
       tx.exec_params(kActivateFallback, task.run_id, task.fallback_name, stands_in)) {
    history.push_back(TaskTransition(task.run_id, row[0].as<int64_t>(), TaskRunState::kPending,
                                     TaskRunState::kReady, stands_in));
  }
  tx.exec_params(kSetResolution, task.id,
                 absl::StrCat("fallback \"", task.fallback_name, "\" runs instead: ", why));
  NotifyTasksReady(tx);
}

// Completed fallback: its result is the primary's, for the primary's downstream.
void AdoptResult(pqxx::work& tx, const TaskRow& fallback, const nlohmann::json& result,
                 std::vector<Transition>& history) {
  pqxx::row primary = tx.exec_params1(
      kAdoptFallbackResult, fallback.run_id, fallback.fallback_for, result.dump(),
      absl::StrCat("fallback \"", fallback.name, "\" completed; its result stands in"));
  ReleaseDownstream(tx, fallback.run_id, primary[0].as<int64_t>(), history);
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
  const FlowRunState current = engine::ParseFlowRunState(run[1].as<std::string>()).value();
  std::optional<FlowRunState> forced;
  if (!run[2].as<std::string>().empty())
    forced = engine::ParseFlowRunState(run[2].as<std::string>());
  std::vector<engine::TaskStateView> tasks;
  for (const auto& row : tx.exec_params(kSelectTaskStates, run_id)) {
    tasks.push_back({row[0].as<std::string>(),
                     engine::ParseTaskRunState(row[1].as<std::string>()).value(),
                     row[2].as<std::string>(), row[3].as<std::string>(), row[4].as<std::string>()});
  }
  std::optional<engine::RunEnd> end = engine::DecideRunEnd(tasks, forced, run[3].as<std::string>());
  if (!end || !engine::CanTransition(current, end->state)) return;
  nlohmann::json result;
  if (end->state == FlowRunState::kCompleted) {
    result = RunResult(tx, run_id, ParsePgTextArray(run[4]));
  }
  tx.exec_params(kEndRun, run_id, std::string(engine::Name(end->state)),
                 result.is_null() ? std::optional<std::string>() : result.dump(), end->error,
                 std::string(engine::Name(current)));
  history.push_back(RunTransition(run_id, current, end->state, end->error));
}

}  // namespace

void CloseTasks(pqxx::work& tx, const std::string& run_id, int closed,
                std::vector<Transition>& history) {
  pqxx::row run = tx.exec_params1(kCloseTasks, run_id, closed);
  if (run[0].as<int>() == 0) EndRun(tx, run_id, run, history);
}

void SettleTask(pqxx::work& tx, const TaskRow& task, TaskRunState reached,
                const nlohmann::json& result, bool run_fallback, const std::string& why,
                std::vector<Transition>& history) {
  int closed = 1;
  if (reached == TaskRunState::kCompleted) {
    if (!task.fallback_for.empty()) {
      AdoptResult(tx, task, result, history);
    } else {
      ReleaseDownstream(tx, task.run_id, task.id, history);
      closed +=
          SkipUnusedFallback(tx, task, "not needed: the task it stands in for completed", history);
    }
  } else if (run_fallback && !task.fallback_name.empty()) {
    ActivateFallback(tx, task, why, history);
  } else {
    int64_t skip_below = task.id;
    if (!task.fallback_for.empty()) {
      skip_below = tx.exec_params1(kPrimaryId, task.run_id, task.fallback_for)[0].as<int64_t>();
    }
    const std::string reason =
        absl::StrCat("upstream task \"", task.fallback_for.empty() ? task.name : task.fallback_for,
                     "\" ", engine::Name(reached));
    closed += SkipDescendants(tx, task.run_id, skip_below, reason, history);
    closed += SkipUnusedFallback(tx, task, absl::StrCat("not needed: ", reason), history);
  }
  CloseTasks(tx, task.run_id, closed, history);
}

}  // namespace baton::store
