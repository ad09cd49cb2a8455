#include "orchestrator/store/lease_store.h"

#include <map>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/base/backoff.h"
#include "common/base/status_macros.h"
#include "common/base/uuid.h"
#include "orchestrator/store/attempt_endings.h"
#include "orchestrator/store/breaker_ops.h"
#include "orchestrator/store/history.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/run_store.h"
#include "orchestrator/store/task_row.h"

namespace baton::store {
namespace {

// One statement: pick, lease, open attempts, record history, start runs.
// `%PICK%` selects the rows to lease (locked, SKIP LOCKED). A lease is granted
// unacknowledged and lasts the delivery timeout ($4 ms); the acknowledging
// heartbeat starts its heartbeat lease and execution deadline. A fallback
// task's input is its primary's.
constexpr const char* kLeaseTemplate =
    "WITH picked AS (%PICK%"
    "), leased AS ("
    "  UPDATE task_runs t SET state = 'RUNNING', attempt = t.attempt + 1,"
    "    lease_token = gen_random_uuid(), worker_id = $3::uuid, lease_acknowledged = false,"
    "    lease_expires_at = now() + $4 * interval '1 millisecond', execution_deadline = NULL,"
    "    started_at = coalesce(t.started_at, now())"
    "  FROM picked WHERE t.id = picked.id"
    "  RETURNING t.id, t.run_id, t.name, t.handler, t.config, t.attempt, t.lease_token,"
    "    t.lease_expires_at, t.execution_deadline, t.execution_timeout_ms,"
    "    t.heartbeat_timeout_ms, t.fallback_for"
    "), opened AS ("
    "  INSERT INTO attempts (task_run_id, number, state, worker_id, lease_token, lease_expires_at,"
    "    execution_deadline)"
    "  SELECT id, attempt, 'RUNNING', $3::uuid, lease_token, lease_expires_at, execution_deadline"
    "  FROM leased"
    "), started AS ("
    "  UPDATE flow_runs r SET state = 'RUNNING', started_at = now()"
    "  WHERE r.id IN (SELECT run_id FROM leased) AND r.state = 'PENDING' RETURNING r.id"
    "), history AS ("
    "  INSERT INTO state_transitions (entity, run_id, task_run_id, attempt, from_state,"
    "    to_state, terminal)"
    "  SELECT 'task', run_id, id, 0, 'READY', 'RUNNING', false FROM leased"
    "  UNION ALL SELECT 'attempt', run_id, id, attempt, NULL, 'RUNNING', false FROM leased"
    "  UNION ALL SELECT 'run', id, 0, 0, 'PENDING', 'RUNNING', false FROM started"
    ")"
    " SELECT l.id, l.attempt, l.lease_token::text, l.run_id::text, r.flow_name, r.flow_version,"
    "   l.name, l.handler, r.parameters::text, l.config::text, baton_us(l.lease_expires_at),"
    "   (SELECT coalesce(jsonb_object_agg(u.name, u.result), '{}'::jsonb)::text"
    "      FROM task_edges e JOIN task_runs u ON u.id = e.upstream_id"
    "      WHERE e.downstream_id = coalesce((SELECT p.id FROM task_runs p"
    "        WHERE p.run_id = l.run_id AND p.name = l.fallback_for), l.id)),"
    "   l.execution_timeout_ms, l.heartbeat_timeout_ms, coalesce(r.env::text, '{}'),"
    "   r.correlation_id, baton_us(coalesce(r.scheduled_time, r.created_at))"
    " FROM leased l JOIN flow_runs r ON r.id = l.run_id ORDER BY l.id";

// Routing: the tasks a worker may take are those of its queues whose handler
// it registered (workers.handlers, $3 the worker).
constexpr const char* kServedBy =
    "  state = 'READY' AND queue = ANY ($1::text[])"
    "    AND handler IN (SELECT unnest(w.handlers) FROM workers w WHERE w.id = $3::uuid)";

// Ready tasks the worker serves, oldest first, except those behind a circuit
// breaker that is not closed (they wait for a probe, or are short-circuited
// to their fallback by the timers).
const std::string kPickReady =
    absl::StrCat("  SELECT id FROM task_runs WHERE", kServedBy,
                 "    AND (breaker_key IS NULL OR breaker_key IN"
                 "      (SELECT key FROM circuit_breakers WHERE state = 'CLOSED'))"
                 "  ORDER BY ready_at, id LIMIT $2 FOR UPDATE SKIP LOCKED");

// One ready task the worker serves behind breaker $5, to be its half-open probe.
const std::string kPickProbe =
    absl::StrCat("  SELECT id FROM task_runs WHERE", kServedBy,
                 " AND breaker_key = $5 AND $2 > 0"
                 "  ORDER BY ready_at, id LIMIT 1 FOR UPDATE SKIP LOCKED");

const std::string kLeaseTasks = absl::StrReplaceAll(kLeaseTemplate, {{"%PICK%", kPickReady}});
const std::string kLeaseProbe = absl::StrReplaceAll(kLeaseTemplate, {{"%PICK%", kPickProbe}});

// Extends the current attempts' leases; a lease whose time passed is held
// until the timers end it (the outage rule, engine/lease_rules.h). The first
// heartbeat of an attempt acknowledges its delivery: from then on its
// lease is the heartbeat timeout, and its execution deadline starts.
constexpr const char* kHeartbeat =
    "WITH claims AS ("
    "  SELECT * FROM unnest($1::bigint[], $2::integer[], $3::uuid[]) AS c (id, attempt, token)"
    "), extended AS ("
    "  UPDATE task_runs t"
    "  SET lease_expires_at = greatest(CASE WHEN t.lease_acknowledged THEN t.lease_expires_at END,"
    "    now() + CASE WHEN t.heartbeat_timeout_ms > 0 THEN t.heartbeat_timeout_ms ELSE $4 END"
    "    * interval '1 millisecond'),"
    "    execution_deadline = CASE WHEN t.lease_acknowledged THEN t.execution_deadline"
    "      WHEN t.execution_timeout_ms > 0"
    "      THEN now() + t.execution_timeout_ms * interval '1 millisecond' END,"
    "    lease_acknowledged = true"
    "  FROM claims c WHERE t.id = c.id AND t.attempt = c.attempt AND t.lease_token = c.token"
    "    AND t.state = 'RUNNING'"
    "  RETURNING t.id, t.attempt, t.lease_token, t.lease_expires_at, t.cancel_requested,"
    "    t.execution_deadline"
    "), touched AS ("
    "  UPDATE attempts a SET last_heartbeat_at = now(), lease_expires_at = e.lease_expires_at,"
    "    acknowledged_at = coalesce(a.acknowledged_at, now()),"
    "    execution_deadline = e.execution_deadline"
    "  FROM extended e WHERE a.task_run_id = e.id AND a.number = e.attempt"
    ")"
    " SELECT id, attempt, lease_token::text, baton_us(lease_expires_at), cancel_requested"
    " FROM extended";

// Every running, acknowledged attempt's lease lasts at least one more lease
// from now: its task's heartbeat timeout, or $1 ms. An unacknowledged lease
// is not granted anything: it never ran, and is delivered again.
constexpr const char* kGrantLeases =
    "WITH granted AS ("
    "  UPDATE task_runs t SET lease_expires_at = now() + CASE WHEN t.heartbeat_timeout_ms > 0"
    "    THEN t.heartbeat_timeout_ms ELSE $1 END * interval '1 millisecond'"
    "  WHERE t.state = 'RUNNING' AND t.lease_acknowledged AND t.lease_expires_at < now() + CASE "
    "WHEN"
    "    t.heartbeat_timeout_ms > 0 THEN t.heartbeat_timeout_ms ELSE $1 END"
    "    * interval '1 millisecond'"
    "  RETURNING t.id, t.attempt, t.lease_expires_at"
    ") UPDATE attempts a SET lease_expires_at = g.lease_expires_at"
    " FROM granted g WHERE a.task_run_id = g.id AND a.number = g.attempt RETURNING a.task_run_id";

constexpr const char* kLeaseViews =
    "SELECT id, state, attempt, coalesce(lease_token::text, ''), baton_us(lease_expires_at)"
    " FROM task_runs WHERE id = ANY ($1::bigint[])";

const std::string kLockExpiredAttempts =
    absl::StrCat("SELECT ", kTaskRowColumns,
                 " FROM task_runs t WHERE t.state = 'RUNNING' AND"
                 " (t.lease_expires_at <= now() OR"
                 "  t.execution_deadline + $2 * interval '1 millisecond' <= now())"
                 " ORDER BY t.id LIMIT $1 FOR UPDATE SKIP LOCKED");

engine::TaskLeaseView ViewFromRow(const pqxx::row& row) {
  engine::TaskLeaseView view;
  view.task_run_id = row[0].as<int64_t>();
  view.state = model::ParseTaskRunState(row[1].as<std::string>()).value();
  view.attempt = row[2].as<int32_t>();
  view.lease_token = row[3].as<std::string>();
  view.lease_expires_at = TimeFromMicros(row[4]);
  return view;
}

LeaseRecord LeaseFromRow(const pqxx::row& row) {
  LeaseRecord lease;
  lease.task_run_id = row[0].as<int64_t>();
  lease.attempt = row[1].as<int32_t>();
  lease.lease_token = row[2].as<std::string>();
  lease.run_id = row[3].as<std::string>();
  lease.flow_name = row[4].as<std::string>();
  lease.flow_version = row[5].as<int32_t>();
  lease.task_name = row[6].as<std::string>();
  lease.handler = row[7].as<std::string>();
  const nlohmann::json params = nlohmann::json::parse(row[8].as<std::string>());
  lease.config = nlohmann::json::parse(row[9].as<std::string>());
  lease.lease_expires_at = TimeFromMicros(row[10]);
  const nlohmann::json upstream = nlohmann::json::parse(row[11].as<std::string>());
  lease.input =
      engine::BuildTaskInput(params, upstream.get<std::map<std::string, nlohmann::json>>());
  lease.execution_timeout = absl::Milliseconds(row[12].as<int64_t>());
  lease.heartbeat_timeout = absl::Milliseconds(row[13].as<int64_t>());
  const nlohmann::json env = nlohmann::json::parse(row[14].as<std::string>());
  for (const auto& [name, var] : env.items()) {
    lease.env[name] = var.value("value", "");
    if (var.value("secret", false)) lease.secret_env.push_back(name);
  }
  lease.correlation_id = row[15].as<std::string>();
  lease.scheduled_time = TimeFromMicros(row[16]);
  return lease;
}

void AppendLeases(const pqxx::result& rows, std::vector<LeaseRecord>& out) {
  for (const auto& row : rows) out.push_back(LeaseFromRow(row));
}

// Half-open probes first: for each breaker whose cooldown passed and that has
// no probe in flight, lease one of its ready tasks (if this worker serves one).
void LeaseProbes(pqxx::work& tx, const std::string& worker_id, const std::string& queues, int max,
                 int64_t lease_ms, std::vector<LeaseRecord>& out) {
  for (const ProbeSlot& slot : LockProbeSlots(tx)) {
    const int free = max - static_cast<int>(out.size());
    pqxx::result rows = tx.exec_params(kLeaseProbe, queues, free, worker_id, lease_ms, slot.key);
    if (rows.empty()) continue;
    std::vector<Transition> history;
    StartProbe(tx, slot, rows[0][0].as<int64_t>(), rows[0][3].as<std::string>(), history);
    RecordTransitions(tx, history);
    AppendLeases(rows, out);
  }
}

// Says, for each refused claim, why (the fence rule that failed).
void ExplainRefusals(pqxx::work& tx, const std::vector<engine::AttemptClaim>& claims,
                     std::vector<HeartbeatOutcome>& out) {
  std::vector<int64_t> ids;
  for (size_t i = 0; i < claims.size(); ++i) {
    if (!out[i].status.ok()) ids.push_back(claims[i].task_run_id);
  }
  if (ids.empty()) return;
  std::map<int64_t, engine::TaskLeaseView> views;
  for (const auto& row : tx.exec_params(kLeaseViews, PgIntArray(ids))) {
    views[row[0].as<int64_t>()] = ViewFromRow(row);
  }
  for (size_t i = 0; i < claims.size(); ++i) {
    if (out[i].status.ok()) continue;
    auto it = views.find(claims[i].task_run_id);
    if (it == views.end()) continue;  // keeps the generic refusal
    absl::Status why = engine::CheckFence(it->second, claims[i]);
    if (!why.ok()) out[i].status = why;
  }
}

}  // namespace

absl::StatusOr<std::vector<LeaseRecord>> LeaseStore::LeaseTasks(
    const std::string& worker_id, const std::vector<std::string>& queues, int max,
    absl::Duration delivery_timeout) {
  using Leases = std::vector<LeaseRecord>;
  const std::string queue_array = PgTextArray(queues);
  const int64_t lease_ms = absl::ToInt64Milliseconds(delivery_timeout);
  return pool_.TransactFor<Leases>([&](pqxx::work& tx) -> absl::StatusOr<Leases> {
    Leases leases;
    LeaseProbes(tx, worker_id, queue_array, max, lease_ms, leases);
    const int free = max - static_cast<int>(leases.size());
    if (free > 0) {
      AppendLeases(tx.exec_params(kLeaseTasks, queue_array, free, worker_id, lease_ms), leases);
    }
    return leases;
  });
}

absl::StatusOr<int> LeaseStore::ReleaseLeases(const std::vector<engine::AttemptClaim>& leases,
                                              absl::string_view why) {
  return pool_.TransactFor<int>([&](pqxx::work& tx) -> absl::StatusOr<int> {
    int released = 0;
    for (const engine::AttemptClaim& lease : leases) {
      std::optional<TaskRow> task = LockTaskRow(tx, lease.task_run_id);
      if (!task || task->acknowledged || !engine::CheckFence(task->lease, lease).ok()) {
        continue;
      }
      ApplyEnding(tx, *task, engine::DecideUndelivered(PolicyOf(*task), why));
      ++released;
    }
    return released;
  });
}

absl::StatusOr<std::vector<HeartbeatOutcome>> LeaseStore::Heartbeat(
    const std::string& worker_id, const std::vector<engine::AttemptClaim>& claims,
    absl::Duration lease) {
  (void)worker_id;  // the fence is the token; the worker id is informational
  std::vector<int64_t> ids;
  std::vector<int32_t> attempts;
  std::vector<std::string> tokens;
  for (const auto& c : claims) {
    BATON_RETURN_IF_ERROR(
        CheckUuid(absl::StrCat("task run ", c.task_run_id, ": lease token"), c.lease_token));
    ids.push_back(c.task_run_id);
    attempts.push_back(c.attempt);
    tokens.push_back(absl::AsciiStrToLower(c.lease_token));  // as PostgreSQL prints a uuid
  }
  using Outcomes = std::vector<HeartbeatOutcome>;
  return pool_.TransactFor<Outcomes>([&](pqxx::work& tx) -> absl::StatusOr<Outcomes> {
    Outcomes out(claims.size(), {absl::FailedPreconditionError("lease not held"), false, {}});
    // Keyed by the whole claim: one heartbeat may name several attempts (or
    // tokens) of one task run, and only the current one was extended.
    std::map<std::tuple<int64_t, int32_t, std::string>, HeartbeatOutcome> extended;
    for (const auto& row : tx.exec_params(kHeartbeat, PgIntArray(ids), PgIntArray(attempts),
                                          PgTextArray(tokens), absl::ToInt64Milliseconds(lease))) {
      extended[{row[0].as<int64_t>(), row[1].as<int32_t>(), row[2].as<std::string>()}] = {
          absl::OkStatus(), row[4].as<bool>(), TimeFromMicros(row[3])};
    }
    for (size_t i = 0; i < claims.size(); ++i) {
      auto it = extended.find({claims[i].task_run_id, claims[i].attempt, tokens[i]});
      if (it != extended.end()) out[i] = it->second;
    }
    ExplainRefusals(tx, claims, out);
    return out;
  });
}

absl::Status LeaseStore::CompleteAttempt(const engine::AttemptClaim& claim,
                                         const engine::ReportedOutcome& outcome) {
  if (!IsUuid(claim.lease_token)) {
    return absl::FailedPreconditionError(
        absl::StrCat("task run ", claim.task_run_id, ": lease token does not match"));
  }
  engine::AttemptClaim normalized = claim;
  normalized.lease_token = absl::AsciiStrToLower(claim.lease_token);  // as PostgreSQL prints it
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    std::optional<TaskRow> task = LockTaskRow(tx, claim.task_run_id);
    if (!task) {
      return absl::NotFoundError(absl::StrCat("task run ", claim.task_run_id, " does not exist"));
    }
    absl::Status fence = engine::CheckFence(task->lease, normalized);
    if (!fence.ok()) return fence;
    ApplyEnding(
        tx, *task,
        engine::DecideReported(outcome, PolicyOf(*task), SpentAttempts(*task), UnitRandom()));
    return absl::OkStatus();
  });
}

absl::StatusOr<int> LeaseStore::ExpireLeases(int limit) {
  const int64_t grace_ms = absl::ToInt64Milliseconds(execution_grace_);
  return pool_.TransactFor<int>([&](pqxx::work& tx) -> absl::StatusOr<int> {
    int ended = 0;
    for (const auto& row : tx.exec_params(kLockExpiredAttempts, limit, grace_ms)) {
      const TaskRow task = TaskRowFrom(row);
      auto expiry = engine::DueExpiry(
          {task.lease.lease_expires_at, task.execution_deadline, task.acknowledged},
          execution_grace_, task.now);
      if (!expiry) continue;
      ApplyEnding(
          tx, task,
          engine::DecideExpired(*expiry, PolicyOf(task), SpentAttempts(task), UnitRandom()));
      ++ended;
    }
    return ended;
  });
}

absl::StatusOr<int> LeaseStore::GrantLeases(absl::Duration lease) {
  const int64_t lease_ms = absl::ToInt64Milliseconds(lease);
  return pool_.TransactFor<int>([&](pqxx::work& tx) -> absl::StatusOr<int> {
    return static_cast<int>(tx.exec_params(kGrantLeases, lease_ms).size());
  });
}

}  // namespace baton::store
