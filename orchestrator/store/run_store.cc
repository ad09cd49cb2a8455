#include "orchestrator/store/run_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/base/uuid.h"
#include "orchestrator/engine/routing_rules.h"
#include "orchestrator/store/breaker_ops.h"
#include "orchestrator/store/cancellation.h"
#include "orchestrator/store/history.h"
#include "orchestrator/store/notify.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/run.h"
#include "orchestrator/store/run_rows.h"
#include "orchestrator/store/served_routes.h"

namespace baton::store {
namespace {

namespace sql = queries::run;

constexpr const char* kSelectRunState = "SELECT state FROM flow_runs WHERE id = $1::uuid";

nlohmann::json JsonOrNull(const pqxx::field& field) {
  return field.is_null() ? nlohmann::json() : nlohmann::json::parse(field.as<std::string>());
}

RunRecord RunFromRow(const pqxx::row& row) {
  RunRecord run;
  run.id = row["id"].as<std::string>();
  run.flow_name = row["flow_name"].as<std::string>();
  run.flow_version = row["flow_version"].as<int32_t>();
  run.state = model::ParseFlowRunState(row["state"].as<std::string>()).value();
  run.parameters = JsonOrNull(row["parameters"]);
  run.result = JsonOrNull(row["result"]);
  run.error = row["error"].as<std::string>();
  run.idempotency_key = row["idempotency_key"].as<std::string>();
  run.created_at = TimeFromMicros(row["created_at_us"]);
  run.started_at = TimeFromMicros(row["started_at_us"]);
  run.ended_at = TimeFromMicros(row["ended_at_us"]);
  run.cancel_reason = row["cancel_reason"].as<std::string>();
  run.deadline = TimeFromMicros(row["deadline_us"]);
  run.deployment_id = row["deployment_id"].as<std::string>();
  run.scheduled_time = TimeFromMicros(row["scheduled_time_us"]);
  run.late = row["late"].as<bool>();
  run.tags = ParsePgTextArray(row["tags"]);
  run.env = nlohmann::json::parse(row["env"].as<std::string>());
  run.correlation_id = row["correlation_id"].as<std::string>();
  return run;
}

TaskRunRecord TaskFromRow(const pqxx::row& row) {
  TaskRunRecord task;
  task.id = row["id"].as<int64_t>();
  task.name = row["name"].as<std::string>();
  task.handler = row["handler"].as<std::string>();
  task.queue = row["queue"].as<std::string>();
  task.state = model::ParseTaskRunState(row["state"].as<std::string>()).value();
  task.depends_on = ParsePgTextArray(row["depends_on"]);
  task.result = JsonOrNull(row["result"]);
  task.error = row["error"].as<std::string>();
  task.attempt_count = row["attempt"].as<int32_t>();
  task.ready_at = TimeFromMicros(row["ready_at_us"]);
  task.started_at = TimeFromMicros(row["started_at_us"]);
  task.ended_at = TimeFromMicros(row["ended_at_us"]);
  task.resolution = row["resolution"].as<std::string>();
  task.fallback = row["fallback_name"].as<std::string>();
  task.fallback_for = row["fallback_for"].as<std::string>();
  task.breaker_key = row["breaker_key"].as<std::string>();
  task.not_before = TimeFromMicros(row["not_before_us"]);
  task.cancel_requested = row["cancel_requested"].as<bool>();
  return task;
}

AttemptRecord AttemptFromRow(const pqxx::row& row) {
  AttemptRecord a;
  a.number = row["number"].as<int32_t>();
  a.state = model::ParseAttemptState(row["state"].as<std::string>()).value();
  a.worker_id = row["worker_id"].as<std::string>();
  a.worker_name = row["worker_name"].as<std::string>();
  a.leased_at = TimeFromMicros(row["leased_at_us"]);
  a.last_heartbeat_at = TimeFromMicros(row["last_heartbeat_at_us"]);
  a.lease_expires_at = TimeFromMicros(row["lease_expires_at_us"]);
  a.ended_at = TimeFromMicros(row["ended_at_us"]);
  a.error = row["error"].as<std::string>();
  a.error_type = row["error_type"].as<std::string>();
  a.decision = row["decision"].as<std::string>();
  if (const pqxx::field f = row["retry_delay_ms"]; !f.is_null()) {
    a.retry_delay = absl::Milliseconds(f.as<int64_t>());
  }
  if (const pqxx::field f = row["retry_base_delay_ms"]; !f.is_null()) {
    a.retry_base_delay = absl::Milliseconds(f.as<int64_t>());
  }
  if (const pqxx::field f = row["jitter_sample"]; !f.is_null()) a.jitter_sample = f.as<double>();
  a.execution_deadline = TimeFromMicros(row["execution_deadline_us"]);
  a.log_lines = row["log_lines"].as<int32_t>();
  a.log_lines_dropped = row["log_dropped"].as<int32_t>();
  return a;
}

TransitionRecord TransitionFromRow(const pqxx::row& row) {
  TransitionRecord t;
  t.entity = row["entity"].as<std::string>();
  t.task_run_id = row["task_run_id"].as<int64_t>();
  t.task_name = row["task_name"].as<std::string>();
  t.attempt = row["attempt"].as<int32_t>();
  t.breaker_key = row["breaker_key"].as<std::string>();
  t.from_state = row["from_state"].as<std::string>();
  t.to_state = row["to_state"].as<std::string>();
  t.reason = row["reason"].as<std::string>();
  t.at = TimeFromMicros(row["at_us"]);
  t.id = row["id"].as<int64_t>();
  return t;
}

nlohmann::json TasksAsJson(const std::vector<engine::PlannedTask>& tasks) {
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < tasks.size(); ++i) {
    const engine::PlannedTask& t = tasks[i];
    auto ms = [](absl::Duration d) { return absl::ToInt64Milliseconds(d); };
    auto text_or_null = [](const std::string& s) {
      return s.empty() ? nlohmann::json() : nlohmann::json(s);
    };
    rows.push_back({{"name", t.name},
                    {"position", i},
                    {"handler", t.handler},
                    {"queue", t.queue},
                    {"config", t.config},
                    {"depends_on", t.depends_on},
                    {"retry_policy", RetryPolicyToJson(t.retry)},
                    {"execution_timeout_ms", ms(t.timeouts.execution)},
                    {"heartbeat_timeout_ms", ms(t.timeouts.heartbeat)},
                    {"schedule_to_start_timeout_ms", ms(t.timeouts.schedule_to_start)},
                    {"breaker", t.circuit_breaker ? CircuitBreakerToJson(*t.circuit_breaker)
                                                  : nlohmann::json()},
                    {"fallback_name", text_or_null(t.fallback)},
                    {"fallback_for", text_or_null(t.fallback_for)}});
  }
  return rows;
}

// A timestamptz literal, exact to the microsecond; the infinities as PostgreSQL's.
std::string PgTimestamp(absl::Time t) {
  if (t == absl::InfinitePast()) return "-infinity";
  if (t == absl::InfiniteFuture()) return "infinity";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", t, absl::UTCTimeZone());
}

}  // namespace

void InsertTaskRuns(pqxx::work& tx, const std::string& run_id, const engine::RunPlan& run,
                    const std::string& from_state, const std::string& reason) {
  tx.exec_params(sql::kInsertTaskRuns, run_id, TasksAsJson(run.tasks).dump());
  tx.exec_params(sql::kInsertEdges, run_id);
  UpsertRunBreakers(tx, run_id);
  bool any_ready = false;
  for (const auto& row : tx.exec_params(sql::kInsertTaskHistory, run_id))
    any_ready |= row["ready"].as<bool>();
  RecordTransitions(tx, {{"run", run_id, 0, 0, from_state, "PENDING", false, reason, ""}});
  if (any_ready) NotifyTasksReady(tx);
}

namespace {

void LoadTasks(pqxx::work& tx, RunRecord& run) {
  std::map<int64_t, size_t> index;
  for (const auto& row : tx.exec_params(sql::kSelectTaskRuns, run.id)) {
    index[row["id"].as<int64_t>()] = run.tasks.size();
    run.tasks.push_back(TaskFromRow(row));
  }
  for (const auto& row : tx.exec_params(sql::kSelectAttempts, run.id)) {
    run.tasks[index.at(row["task_run_id"].as<int64_t>())].attempts.push_back(AttemptFromRow(row));
  }
  for (const auto& row : tx.exec_params(sql::kSelectHistory, run.id)) {
    run.history.push_back(TransitionFromRow(row));
  }
}

// Sets waiting_for on the READY tasks no online worker serves.
void ExplainWaiting(pqxx::work& tx, absl::Duration worker_liveness, RunRecord& run) {
  const auto ready = [](const TaskRunRecord& t) { return t.state == model::TaskRunState::kReady; };
  if (std::none_of(run.tasks.begin(), run.tasks.end(), ready)) return;
  const engine::ServedRoutes served = ReadServedRoutes(tx, worker_liveness);
  for (TaskRunRecord& task : run.tasks) {
    task.waiting_for = engine::MissingRoute(ready(task), task.queue, task.handler, served);
  }
}

}  // namespace

absl::StatusOr<RunStore::Started> RunStore::StartRun(const engine::RunPlan& run) {
  return pool_.TransactFor<Started>([&](pqxx::work& tx) -> absl::StatusOr<Started> {
    pqxx::result inserted = tx.exec_params(
        sql::kInsertRun, run.flow_name, run.flow_version, run.parameters.dump(),
        PgTextArray(run.result_tasks), run.idempotency_key, static_cast<int>(run.tasks.size()),
        absl::ToInt64Milliseconds(run.timeout), run.deployment_id, run.env.dump(),
        PgTextArray(run.tags), run.work_queue, run.correlation_id);
    if (inserted.empty()) {  // the idempotency key is taken: that run is the answer
      return Started{
          RunFromRow(tx.exec_params1(sql::kSelectRunByKey, run.flow_name, run.idempotency_key)),
          false};
    }
    Started started{RunFromRow(inserted[0]), true};
    InsertTaskRuns(tx, started.run.id, run, "", "started");
    return started;
  });
}

absl::StatusOr<RunRecord> RunStore::GetRun(const std::string& run_id) {
  BATON_RETURN_IF_ERROR(CheckUuid("run id", run_id));
  return pool_.TransactFor<RunRecord>([&](pqxx::work& tx) -> absl::StatusOr<RunRecord> {
    pqxx::result rows = tx.exec_params(sql::kSelectRun, run_id);
    if (rows.empty()) return absl::NotFoundError(absl::StrCat("run ", run_id, " does not exist"));
    RunRecord run = RunFromRow(rows[0]);
    LoadTasks(tx, run);
    ExplainWaiting(tx, worker_liveness_, run);
    return run;
  });
}

absl::StatusOr<RunRecord> RunStore::CancelRun(const std::string& run_id,
                                              const std::string& reason) {
  BATON_RETURN_IF_ERROR(CheckUuid("run id", run_id));
  absl::Status s = pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    std::vector<Transition> history;
    absl::Status begun = BeginCancel(tx, run_id, model::FlowRunState::kCancelled,
                                     reason.empty() ? "cancelled by a user" : reason, history);
    RecordTransitions(tx, history);
    return begun;
  });
  if (!s.ok()) return s;
  return GetRun(run_id);
}

absl::StatusOr<std::vector<RunRecord>> RunStore::ListRuns(const RunFilter& filter) {
  using Runs = std::vector<RunRecord>;
  if (!filter.deployment_id.empty()) {
    BATON_RETURN_IF_ERROR(CheckUuid("deployment_id", filter.deployment_id));
  }
  const std::string state = filter.state ? std::string(model::Name(*filter.state)) : "";
  const std::string after = PgTimestamp(filter.created_after);
  const std::string before = PgTimestamp(filter.created_before);
  return pool_.TransactFor<Runs>([&](pqxx::work& tx) -> absl::StatusOr<Runs> {
    Runs runs;
    for (const auto& row : tx.exec_params(sql::kListRuns, filter.flow_name, state, filter.limit,
                                          after, before, filter.deployment_id)) {
      runs.push_back(RunFromRow(row));
    }
    return runs;
  });
}

absl::StatusOr<RunStore::TransitionsPage> RunStore::TransitionsAfter(const std::string& run_id,
                                                                     int64_t after_id, int limit) {
  BATON_RETURN_IF_ERROR(CheckUuid("run id", run_id));
  return pool_.TransactFor<TransitionsPage>([&](pqxx::work& tx) -> absl::StatusOr<TransitionsPage> {
    // The state first: READ COMMITTED gives each statement a fresh snapshot,
    // so transitions committed with a terminal state are in the next one.
    pqxx::result state = tx.exec_params(kSelectRunState, run_id);
    if (state.empty()) return absl::NotFoundError(absl::StrCat("run ", run_id, " does not exist"));
    TransitionsPage page{model::ParseFlowRunState(state[0]["state"].as<std::string>()).value(), {}};
    for (const auto& row : tx.exec_params(sql::kSelectTransitionsAfter, run_id, after_id, limit)) {
      page.transitions.push_back(TransitionFromRow(row));
    }
    return page;
  });
}

}  // namespace baton::store
