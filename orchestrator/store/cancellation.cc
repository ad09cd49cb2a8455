#include "orchestrator/store/cancellation.h"

#include "absl/strings/str_cat.h"
#include "orchestrator/store/queries/cancel.h"
#include "orchestrator/store/run_progress.h"

namespace baton::store {
namespace {

namespace sql = queries::cancel;

using model::FlowRunState;
using model::TaskRunState;

// Task rows first, then the run's: the order every other path takes.
constexpr const char* kAskRunningToStop =
    "UPDATE task_runs SET cancel_requested = true WHERE run_id = $1::uuid AND state = 'RUNNING'";

constexpr const char* kLockRun = "SELECT state FROM flow_runs WHERE id = $1::uuid FOR UPDATE";

}  // namespace

absl::Status BeginCancel(pqxx::work& tx, const std::string& run_id, FlowRunState end_state,
                         const std::string& reason, std::vector<Transition>& history) {
  tx.exec_params(kAskRunningToStop, run_id);
  pqxx::result run = tx.exec_params(kLockRun, run_id);
  if (run.empty()) return absl::NotFoundError(absl::StrCat("run ", run_id, " does not exist"));
  const FlowRunState state = model::ParseFlowRunState(run[0]["state"].as<std::string>()).value();
  if (model::IsTerminal(state)) {
    return absl::FailedPreconditionError(absl::StrCat("run ", run_id, " already ended ",
                                                      model::Name(state),
                                                      "; only an active run can be cancelled"));
  }
  if (state == FlowRunState::kCancelling) return absl::OkStatus();
  tx.exec_params(sql::kMarkCancelling, run_id, std::string(model::Name(end_state)), reason);
  history.push_back(RunTransition(run_id, state, FlowRunState::kCancelling, reason));
  const std::string task_error = absl::StrCat(
      "run ", model::Name(end_state) == "TIMED_OUT" ? "timed out" : "cancelled", ": ", reason);
  pqxx::result cancelled = tx.exec_params(sql::kCancelOpenTasks, run_id, task_error);
  for (const auto& row : cancelled) {
    history.push_back(
        TaskTransition(run_id, row["id"].as<int64_t>(),
                       model::ParseTaskRunState(row["from_state"].as<std::string>()).value(),
                       TaskRunState::kCancelled, reason));
  }
  CloseTasks(tx, run_id, static_cast<int>(cancelled.size()), history);
  return absl::OkStatus();
}

}  // namespace baton::store
