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
#include "orchestrator/store/run_rows.h"
#include "orchestrator/store/served_routes.h"

namespace baton::store {
namespace {

constexpr const char* kRunColumns =
    "r.id::text, r.flow_name, r.flow_version, r.state, r.parameters::text, r.result::text,"
    " coalesce(r.error, ''), coalesce(r.idempotency_key, ''), baton_us(r.created_at),"
    " baton_us(r.started_at), baton_us(r.ended_at), coalesce(r.cancel_reason, ''),"
    " baton_us(r.deadline), coalesce(r.deployment_id::text, ''), baton_us(r.scheduled_time),"
    " r.late, r.tags, coalesce(r.env::text, '{}'), r.correlation_id";

const std::string kInsertRun = absl::StrCat(
    "INSERT INTO flow_runs AS r (flow_name, flow_version, state, parameters, result_tasks,"
    " idempotency_key, open_tasks, deadline, deployment_id, env, tags, work_queue,"
    " correlation_id)"
    " VALUES ($1, $2, 'PENDING', $3::jsonb, $4::text[], nullif($5, ''), $6,"
    "   CASE WHEN $7 > 0 THEN now() + $7 * interval '1 millisecond' END,"
    "   nullif($8, '')::uuid, $9::jsonb, $10::text[], nullif($11, ''),"
    "   coalesce(nullif($12, ''), gen_random_uuid()::text))"
    " ON CONFLICT (flow_name, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
    " RETURNING ",
    kRunColumns);

const std::string kSelectRunByKey = absl::StrCat(
    "SELECT ", kRunColumns, " FROM flow_runs r WHERE r.flow_name = $1 AND r.idempotency_key = $2");

const std::string kSelectRun =
    absl::StrCat("SELECT ", kRunColumns, " FROM flow_runs r WHERE r.id = $1::uuid");

// The window bounds are timestamptz text ('-infinity' and 'infinity' when
// open), so the created_at indexes bound the scan on both sides.
const std::string kListRuns =
    absl::StrCat("SELECT ", kRunColumns,
                 " FROM flow_runs r"
                 " WHERE ($1 = '' OR r.flow_name = $1) AND ($2 = '' OR r.state = $2)"
                 "   AND r.created_at >= $4::timestamptz AND r.created_at < $5::timestamptz"
                 "   AND ($6 = '' OR r.deployment_id = nullif($6, '')::uuid)"
                 " ORDER BY r.created_at DESC, r.id LIMIT $3");

// Roots are READY at once, except fallback tasks, which wait for their primary.
constexpr const char* kInsertTaskRuns =
    "INSERT INTO task_runs (run_id, name, position, handler, queue, config, depends_on, state,"
    " pending_upstream, ready_at, retry_policy, execution_timeout_ms, heartbeat_timeout_ms,"
    " schedule_to_start_timeout_ms, breaker, fallback_name, fallback_for)"
    " SELECT $1::uuid, t.name, t.position, t.handler, t.queue, t.config,"
    "        ARRAY(SELECT jsonb_array_elements_text(t.depends_on)),"
    "        CASE WHEN jsonb_array_length(t.depends_on) = 0 AND t.fallback_for IS NULL"
    "             THEN 'READY' ELSE 'PENDING' END,"
    "        jsonb_array_length(t.depends_on),"
    "        CASE WHEN jsonb_array_length(t.depends_on) = 0 AND t.fallback_for IS NULL"
    "             THEN now() END,"
    "        t.retry_policy, t.execution_timeout_ms, t.heartbeat_timeout_ms,"
    "        t.schedule_to_start_timeout_ms, t.breaker, t.fallback_name, t.fallback_for"
    " FROM jsonb_to_recordset($2::jsonb) AS t(name text, position integer, handler text,"
    "      queue text, config jsonb, depends_on jsonb, retry_policy jsonb,"
    "      execution_timeout_ms bigint, heartbeat_timeout_ms bigint,"
    "      schedule_to_start_timeout_ms bigint, breaker jsonb, fallback_name text,"
    "      fallback_for text)";

constexpr const char* kInsertEdges =
    "INSERT INTO task_edges (upstream_id, downstream_id)"
    " SELECT u.id, d.id FROM task_runs d"
    " CROSS JOIN LATERAL unnest(d.depends_on) AS dep(name)"
    " JOIN task_runs u ON u.run_id = d.run_id AND u.name = dep.name"
    " WHERE d.run_id = $1::uuid";

constexpr const char* kInsertTaskHistory =
    "INSERT INTO state_transitions (entity, run_id, task_run_id, to_state, terminal)"
    " SELECT 'task', run_id, id, state, false FROM task_runs WHERE run_id = $1::uuid"
    " RETURNING (to_state = 'READY')";

constexpr const char* kSelectTaskRuns =
    "SELECT id, name, handler, queue, state, depends_on, result::text, coalesce(error, ''),"
    " attempt, baton_us(ready_at), baton_us(started_at), baton_us(ended_at),"
    " coalesce(resolution, ''), coalesce(fallback_name, ''), coalesce(fallback_for, ''),"
    " coalesce(breaker_key, ''), baton_us(not_before), cancel_requested"
    " FROM task_runs WHERE run_id = $1::uuid ORDER BY position";

constexpr const char* kSelectAttempts =
    "SELECT a.task_run_id, a.number, a.state, coalesce(a.worker_id::text, ''),"
    " coalesce(w.name, ''), baton_us(a.leased_at), baton_us(a.last_heartbeat_at),"
    " baton_us(a.lease_expires_at), baton_us(a.ended_at), coalesce(a.error, ''),"
    " coalesce(a.error_type, ''), coalesce(a.decision, ''), a.retry_delay_ms,"
    " a.retry_base_delay_ms, a.jitter_sample, baton_us(a.execution_deadline),"
    " a.log_lines, a.log_dropped"
    " FROM attempts a JOIN task_runs t ON t.id = a.task_run_id"
    " LEFT JOIN workers w ON w.id = a.worker_id"
    " WHERE t.run_id = $1::uuid ORDER BY a.task_run_id, a.number";

constexpr const char* kSelectTransitions =
    "SELECT s.entity, s.task_run_id, coalesce(t.name, ''), s.attempt,"
    " coalesce(s.breaker_key, ''), coalesce(s.from_state, ''), s.to_state, s.reason,"
    " baton_us(s.at), s.id"
    " FROM state_transitions s LEFT JOIN task_runs t ON t.id = s.task_run_id";

const std::string kSelectHistory =
    absl::StrCat(kSelectTransitions, " WHERE s.run_id = $1::uuid ORDER BY s.id LIMIT 10000");

const std::string kSelectTransitionsAfter = absl::StrCat(
    kSelectTransitions, " WHERE s.run_id = $1::uuid AND s.id > $2 ORDER BY s.id LIMIT $3");

constexpr const char* kSelectRunState = "SELECT state FROM flow_runs WHERE id = $1::uuid";

nlohmann::json JsonOrNull(const pqxx::field& field) {
  return field.is_null() ? nlohmann::json() : nlohmann::json::parse(field.as<std::string>());
}

RunRecord RunFromRow(const pqxx::row& row) {
  RunRecord run;
  run.id = row[0].as<std::string>();
  run.flow_name = row[1].as<std::string>();
  run.flow_version = row[2].as<int32_t>();
  run.state = model::ParseFlowRunState(row[3].as<std::string>()).value();
  run.parameters = JsonOrNull(row[4]);
  run.result = JsonOrNull(row[5]);
  run.error = row[6].as<std::string>();
  run.idempotency_key = row[7].as<std::string>();
  run.created_at = TimeFromMicros(row[8]);
  run.started_at = TimeFromMicros(row[9]);
  run.ended_at = TimeFromMicros(row[10]);
  run.cancel_reason = row[11].as<std::string>();
  run.deadline = TimeFromMicros(row[12]);
  run.deployment_id = row[13].as<std::string>();
  run.scheduled_time = TimeFromMicros(row[14]);
  run.late = row[15].as<bool>();
  run.tags = ParsePgTextArray(row[16]);
  run.env = nlohmann::json::parse(row[17].as<std::string>());
  run.correlation_id = row[18].as<std::string>();
  return run;
}

TaskRunRecord TaskFromRow(const pqxx::row& row) {
  TaskRunRecord task;
  task.id = row[0].as<int64_t>();
  task.name = row[1].as<std::string>();
  task.handler = row[2].as<std::string>();
  task.queue = row[3].as<std::string>();
  task.state = model::ParseTaskRunState(row[4].as<std::string>()).value();
  task.depends_on = ParsePgTextArray(row[5]);
  task.result = JsonOrNull(row[6]);
  task.error = row[7].as<std::string>();
  task.attempt_count = row[8].as<int32_t>();
  task.ready_at = TimeFromMicros(row[9]);
  task.started_at = TimeFromMicros(row[10]);
  task.ended_at = TimeFromMicros(row[11]);
  task.resolution = row[12].as<std::string>();
  task.fallback = row[13].as<std::string>();
  task.fallback_for = row[14].as<std::string>();
  task.breaker_key = row[15].as<std::string>();
  task.not_before = TimeFromMicros(row[16]);
  task.cancel_requested = row[17].as<bool>();
  return task;
}

AttemptRecord AttemptFromRow(const pqxx::row& row) {
  AttemptRecord a;
  a.number = row[1].as<int32_t>();
  a.state = model::ParseAttemptState(row[2].as<std::string>()).value();
  a.worker_id = row[3].as<std::string>();
  a.worker_name = row[4].as<std::string>();
  a.leased_at = TimeFromMicros(row[5]);
  a.last_heartbeat_at = TimeFromMicros(row[6]);
  a.lease_expires_at = TimeFromMicros(row[7]);
  a.ended_at = TimeFromMicros(row[8]);
  a.error = row[9].as<std::string>();
  a.error_type = row[10].as<std::string>();
  a.decision = row[11].as<std::string>();
  if (!row[12].is_null()) a.retry_delay = absl::Milliseconds(row[12].as<int64_t>());
  if (!row[13].is_null()) a.retry_base_delay = absl::Milliseconds(row[13].as<int64_t>());
  if (!row[14].is_null()) a.jitter_sample = row[14].as<double>();
  a.execution_deadline = TimeFromMicros(row[15]);
  a.log_lines = row[16].as<int32_t>();
  a.log_lines_dropped = row[17].as<int32_t>();
  return a;
}

TransitionRecord TransitionFromRow(const pqxx::row& row) {
  TransitionRecord t;
  t.entity = row[0].as<std::string>();
  t.task_run_id = row[1].as<int64_t>();
  t.task_name = row[2].as<std::string>();
  t.attempt = row[3].as<int32_t>();
  t.breaker_key = row[4].as<std::string>();
  t.from_state = row[5].as<std::string>();
  t.to_state = row[6].as<std::string>();
  t.reason = row[7].as<std::string>();
  t.at = TimeFromMicros(row[8]);
  t.id = row[9].as<int64_t>();
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
  tx.exec_params(kInsertTaskRuns, run_id, TasksAsJson(run.tasks).dump());
  tx.exec_params(kInsertEdges, run_id);
  UpsertRunBreakers(tx, run_id);
  bool any_ready = false;
  for (const auto& row : tx.exec_params(kInsertTaskHistory, run_id)) any_ready |= row[0].as<bool>();
  RecordTransitions(tx, {{"run", run_id, 0, 0, from_state, "PENDING", false, reason, ""}});
  if (any_ready) NotifyTasksReady(tx);
}

namespace {

void LoadTasks(pqxx::work& tx, RunRecord& run) {
  std::map<int64_t, size_t> index;
  for (const auto& row : tx.exec_params(kSelectTaskRuns, run.id)) {
    index[row[0].as<int64_t>()] = run.tasks.size();
    run.tasks.push_back(TaskFromRow(row));
  }
  for (const auto& row : tx.exec_params(kSelectAttempts, run.id)) {
    run.tasks[index.at(row[0].as<int64_t>())].attempts.push_back(AttemptFromRow(row));
  }
  for (const auto& row : tx.exec_params(kSelectHistory, run.id)) {
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
        kInsertRun, run.flow_name, run.flow_version, run.parameters.dump(),
        PgTextArray(run.result_tasks), run.idempotency_key, static_cast<int>(run.tasks.size()),
        absl::ToInt64Milliseconds(run.timeout), run.deployment_id, run.env.dump(),
        PgTextArray(run.tags), run.work_queue, run.correlation_id);
    if (inserted.empty()) {  // the idempotency key is taken: that run is the answer
      return Started{
          RunFromRow(tx.exec_params1(kSelectRunByKey, run.flow_name, run.idempotency_key)), false};
    }
    Started started{RunFromRow(inserted[0]), true};
    InsertTaskRuns(tx, started.run.id, run, "", "started");
    return started;
  });
}

absl::StatusOr<RunRecord> RunStore::GetRun(const std::string& run_id) {
  BATON_RETURN_IF_ERROR(CheckUuid("run id", run_id));
  return pool_.TransactFor<RunRecord>([&](pqxx::work& tx) -> absl::StatusOr<RunRecord> {
    pqxx::result rows = tx.exec_params(kSelectRun, run_id);
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
    for (const auto& row : tx.exec_params(kListRuns, filter.flow_name, state, filter.limit, after,
                                          before, filter.deployment_id)) {
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
    TransitionsPage page{model::ParseFlowRunState(state[0][0].as<std::string>()).value(), {}};
    for (const auto& row : tx.exec_params(kSelectTransitionsAfter, run_id, after_id, limit)) {
      page.transitions.push_back(TransitionFromRow(row));
    }
    return page;
  });
}

}  // namespace baton::store
