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
#include "orchestrator/store/queries/lease.h"
#include "orchestrator/store/run_store.h"
#include "orchestrator/store/task_row.h"

namespace baton::store {
namespace {

namespace sql = queries::lease;

// The leasing statement around `pick`, whose routing condition is served_by.sql.
std::string LeaseStatement(const char* pick) {
  return absl::StrReplaceAll(
      sql::kLeasePicked,
      {{"%PICK%", absl::StrReplaceAll(pick, {{"%SERVED_BY%", sql::kServedBy}})}});
}

const std::string kLeaseTasks = LeaseStatement(sql::kPickReady);
const std::string kLeaseProbe = LeaseStatement(sql::kPickProbe);

engine::TaskLeaseView ViewFromRow(const pqxx::row& row) {
  engine::TaskLeaseView view;
  view.task_run_id = row["id"].as<int64_t>();
  view.state = model::ParseTaskRunState(row["state"].as<std::string>()).value();
  view.attempt = row["attempt"].as<int32_t>();
  view.lease_token = row["lease_token"].as<std::string>();
  view.lease_expires_at = TimeFromMicros(row["lease_expires_at_us"]);
  return view;
}

LeaseRecord LeaseFromRow(const pqxx::row& row) {
  LeaseRecord lease;
  lease.task_run_id = row["id"].as<int64_t>();
  lease.attempt = row["attempt"].as<int32_t>();
  lease.lease_token = row["lease_token"].as<std::string>();
  lease.run_id = row["run_id"].as<std::string>();
  lease.flow_name = row["flow_name"].as<std::string>();
  lease.flow_version = row["flow_version"].as<int32_t>();
  lease.task_name = row["name"].as<std::string>();
  lease.handler = row["handler"].as<std::string>();
  const nlohmann::json params = nlohmann::json::parse(row["parameters"].as<std::string>());
  lease.config = nlohmann::json::parse(row["config"].as<std::string>());
  lease.lease_expires_at = TimeFromMicros(row["lease_expires_at_us"]);
  const nlohmann::json upstream = nlohmann::json::parse(row["upstream_results"].as<std::string>());
  lease.input =
      engine::BuildTaskInput(params, upstream.get<std::map<std::string, nlohmann::json>>());
  lease.execution_timeout = absl::Milliseconds(row["execution_timeout_ms"].as<int64_t>());
  lease.heartbeat_timeout = absl::Milliseconds(row["heartbeat_timeout_ms"].as<int64_t>());
  const nlohmann::json env = nlohmann::json::parse(row["env"].as<std::string>());
  for (const auto& [name, var] : env.items()) {
    lease.env[name] = var.value("value", "");
    if (var.value("secret", false)) lease.secret_env.push_back(name);
  }
  lease.correlation_id = row["correlation_id"].as<std::string>();
  lease.scheduled_time = TimeFromMicros(row["scheduled_time_us"]);
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
    StartProbe(tx, slot, rows[0]["id"].as<int64_t>(), rows[0]["run_id"].as<std::string>(), history);
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
  for (const auto& row : tx.exec_params(sql::kLeaseViews, PgIntArray(ids))) {
    views[row["id"].as<int64_t>()] = ViewFromRow(row);
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
    for (const auto& row : tx.exec_params(sql::kHeartbeat, PgIntArray(ids), PgIntArray(attempts),
                                          PgTextArray(tokens), absl::ToInt64Milliseconds(lease))) {
      extended[{row["id"].as<int64_t>(), row["attempt"].as<int32_t>(),
                row["lease_token"].as<std::string>()}] = {
          absl::OkStatus(), row["cancel_requested"].as<bool>(),
          TimeFromMicros(row["lease_expires_at_us"])};
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
    for (const auto& row : tx.exec_params(sql::kLockExpiredAttempts, limit, grace_ms)) {
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
    return static_cast<int>(tx.exec_params(sql::kGrantLeases, lease_ms).size());
  });
}

}  // namespace baton::store
