#include "orchestrator/store/run_progress.h"

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "orchestrator/engine/run_rules.h"
#include "orchestrator/store/history.h"
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

constexpr const char* kSkipDescendants =
    "WITH RECURSIVE below (id) AS ("
    "  SELECT downstream_id FROM task_edges WHERE upstream_id = $1"
    "  UNION SELECT e.downstream_id FROM task_edges e JOIN below b ON e.upstream_id = b.id)"
    " UPDATE task_runs t SET state = 'SKIPPED', ended_at = now(), error = $2"
    " FROM below WHERE t.id = below.id AND t.state = 'PENDING'"
    " RETURNING t.id";

// Also takes the run's row lock, which serializes the end-of-run decision.
constexpr const char* kCloseTasks =
    "UPDATE flow_runs SET open_tasks = open_tasks - $2 WHERE id = $1::uuid"
    " RETURNING open_tasks, state";

constexpr const char* kSelectTaskStates =
    "SELECT name, state, coalesce(error, '') FROM task_runs WHERE run_id = $1::uuid"
    " ORDER BY position";

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
                    TaskRunState reached, std::vector<Transition>& history) {
  const std::string reason = absl::StrCat("upstream task run ", task_run_id, " ",
                                          engine::Name(reached));
  pqxx::result skipped = tx.exec_params(kSkipDescendants, task_run_id, reason);
  for (const auto& row : skipped) {
    history.push_back(TaskTransition(run_id, row[0].as<int64_t>(), TaskRunState::kPending,
                                     TaskRunState::kSkipped, reason));
  }
  return static_cast<int>(skipped.size());
}

nlohmann::json RunResult(pqxx::work& tx, const std::string& run_id,
                         const std::vector<std::string>& result_tasks) {
  std::map<std::string, nlohmann::json> results;
  for (const auto& row : tx.exec_params(kSelectResults, run_id)) {
    results[row[0].as<std::string>()] = nlohmann::json::parse(row[1].as<std::string>());
  }
  return engine::BuildRunResult(result_tasks, results);
}

void EndRun(pqxx::work& tx, const std::string& run_id, FlowRunState current,
            std::vector<Transition>& history) {
  std::vector<engine::TaskStateView> tasks;
  std::vector<std::string> result_tasks;
  for (const auto& row : tx.exec_params(kSelectTaskStates, run_id)) {
    tasks.push_back({row[0].as<std::string>(),
                     engine::ParseTaskRunState(row[1].as<std::string>()).value(),
                     row[2].as<std::string>()});
  }
  std::optional<engine::RunEnd> end = engine::DecideRunEnd(tasks);
  if (!end || !engine::CanTransition(current, end->state)) return;
  nlohmann::json result;
  if (end->state == FlowRunState::kCompleted) {
    pqxx::row names = tx.exec_params1("SELECT result_tasks FROM flow_runs WHERE id = $1::uuid",
                                      run_id);
    result = RunResult(tx, run_id, ParsePgTextArray(names[0]));
  }
  tx.exec_params(kEndRun, run_id, std::string(engine::Name(end->state)),
                 result.is_null() ? std::optional<std::string>() : result.dump(), end->error,
                 std::string(engine::Name(current)));
  history.push_back(RunTransition(run_id, current, end->state, end->error));
}

}  // namespace

void AdvanceRun(pqxx::work& tx, const std::string& run_id, int64_t task_run_id,
                TaskRunState reached) {
  std::vector<Transition> history;
  int closed = 1;
  if (reached == TaskRunState::kCompleted) {
    ReleaseDownstream(tx, run_id, task_run_id, history);
  } else {
    closed += SkipDescendants(tx, run_id, task_run_id, reached, history);
  }
  pqxx::row run = tx.exec_params1(kCloseTasks, run_id, closed);
  if (run[0].as<int>() == 0) {
    EndRun(tx, run_id, engine::ParseFlowRunState(run[1].as<std::string>()).value(), history);
  }
  RecordTransitions(tx, history);
}

}  // namespace baton::store
