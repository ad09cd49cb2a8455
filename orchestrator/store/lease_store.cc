#include "orchestrator/store/lease_store.h"

#include <map>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "orchestrator/store/history.h"
#include "orchestrator/store/notify.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/run_progress.h"
#include "orchestrator/store/run_store.h"

namespace baton::store {
namespace {

using engine::AttemptState;
using engine::TaskRunState;

// One statement: pick, lease, open attempts, record history, start runs.
constexpr const char* kLeaseTasks =
    "WITH picked AS ("
    "  SELECT id FROM task_runs WHERE state = 'READY' AND queue = ANY ($1::text[])"
    "  ORDER BY ready_at, id LIMIT $2 FOR UPDATE SKIP LOCKED"
    "), leased AS ("
    "  UPDATE task_runs t SET state = 'RUNNING', attempt = t.attempt + 1,"
    "    lease_token = gen_random_uuid(), worker_id = $3::uuid,"
    "    lease_expires_at = now() + $4 * interval '1 millisecond',"
    "    started_at = coalesce(t.started_at, now())"
    "  FROM picked WHERE t.id = picked.id"
    "  RETURNING t.id, t.run_id, t.name, t.handler, t.config, t.attempt, t.lease_token,"
    "    t.lease_expires_at"
    "), opened AS ("
    "  INSERT INTO attempts (task_run_id, number, state, worker_id, lease_token, lease_expires_at)"
    "  SELECT id, attempt, 'RUNNING', $3::uuid, lease_token, lease_expires_at FROM leased"
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
    "      WHERE e.downstream_id = l.id)"
    " FROM leased l JOIN flow_runs r ON r.id = l.run_id ORDER BY l.id";

constexpr const char* kHeartbeat =
    "WITH claims AS ("
    "  SELECT * FROM unnest($1::bigint[], $2::integer[], $3::uuid[]) AS c (id, attempt, token)"
    "), extended AS ("
    "  UPDATE task_runs t"
    "  SET lease_expires_at = greatest(t.lease_expires_at, now() + $4 * interval '1 millisecond')"
    "  FROM claims c WHERE t.id = c.id AND t.attempt = c.attempt AND t.lease_token = c.token"
    "    AND t.state = 'RUNNING' AND t.lease_expires_at > now()"
    "  RETURNING t.id, t.attempt, t.lease_token, t.lease_expires_at"
    "), touched AS ("
    "  UPDATE attempts a SET last_heartbeat_at = now(), lease_expires_at = e.lease_expires_at"
    "  FROM extended e WHERE a.task_run_id = e.id AND a.number = e.attempt"
    ")"
    " SELECT id, attempt, lease_token::text, baton_us(lease_expires_at) FROM extended";

constexpr const char* kLeaseViews =
    "SELECT id, state, attempt, coalesce(lease_token::text, ''), baton_us(lease_expires_at),"
    " baton_us(now()) FROM task_runs WHERE id = ANY ($1::bigint[])";

constexpr const char* kLockTaskRun =
    "SELECT id, state, attempt, coalesce(lease_token::text, ''), baton_us(lease_expires_at),"
    " baton_us(now()), run_id::text FROM task_runs WHERE id = $1 FOR UPDATE";

constexpr const char* kEndTaskAttempt =
    "UPDATE task_runs SET state = $4, result = $5::jsonb, error = nullif($6, ''),"
    " ended_at = now(), lease_token = NULL, lease_expires_at = NULL"
    " WHERE id = $1 AND attempt = $2 AND lease_token = $3::uuid AND state = 'RUNNING'";

constexpr const char* kEndAttempt =
    "UPDATE attempts SET state = $3, ended_at = now(), error = nullif($4, '')"
    " WHERE task_run_id = $1 AND number = $2 AND state = 'RUNNING'";

constexpr const char* kExpireLeases =
    "WITH expired AS ("
    "  SELECT id FROM task_runs WHERE state = 'RUNNING' AND lease_expires_at <= now()"
    "  ORDER BY lease_expires_at LIMIT $1 FOR UPDATE SKIP LOCKED"
    "), requeued AS ("
    "  UPDATE task_runs t SET state = 'READY', ready_at = now(), lease_token = NULL,"
    "    lease_expires_at = NULL, worker_id = NULL"
    "  FROM expired WHERE t.id = expired.id"
    "  RETURNING t.id, t.run_id, t.attempt"
    "), ended AS ("
    "  UPDATE attempts a SET state = 'LEASE_EXPIRED', ended_at = now(),"
    "    error = 'lease expired: no heartbeat or completion in time'"
    "  FROM requeued r WHERE a.task_run_id = r.id AND a.number = r.attempt AND a.state = 'RUNNING'"
    "), history AS ("
    "  INSERT INTO state_transitions (entity, run_id, task_run_id, attempt, from_state,"
    "    to_state, terminal, reason)"
    "  SELECT 'attempt', run_id, id, attempt, 'RUNNING', 'LEASE_EXPIRED', true, 'lease expired'"
    "    FROM requeued"
    "  UNION ALL SELECT 'task', run_id, id, 0, 'RUNNING', 'READY', false,"
    "    'lease of attempt ' || attempt || ' expired' FROM requeued"
    ")"
    " SELECT count(*) FROM requeued";

engine::TaskLeaseView ViewFromRow(const pqxx::row& row) {
  engine::TaskLeaseView view;
  view.task_run_id = row[0].as<int64_t>();
  view.state = engine::ParseTaskRunState(row[1].as<std::string>()).value();
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
  lease.input = engine::BuildTaskInput(
      params, upstream.get<std::map<std::string, nlohmann::json>>());
  return lease;
}

// Says, for each refused claim, why (the fence rule that failed).
void ExplainRefusals(pqxx::work& tx, const std::vector<engine::AttemptClaim>& claims,
                     std::vector<HeartbeatOutcome>& out) {
  std::vector<int64_t> ids;
  for (size_t i = 0; i < claims.size(); ++i) {
    if (!out[i].status.ok()) ids.push_back(claims[i].task_run_id);
  }
  if (ids.empty()) return;
  std::map<int64_t, std::pair<engine::TaskLeaseView, absl::Time>> views;
  for (const auto& row : tx.exec_params(kLeaseViews, PgIntArray(ids))) {
    views[row[0].as<int64_t>()] = {ViewFromRow(row), TimeFromMicros(row[5])};
  }
  for (size_t i = 0; i < claims.size(); ++i) {
    if (out[i].status.ok()) continue;
    auto it = views.find(claims[i].task_run_id);
    if (it == views.end()) continue;  // keeps the generic refusal
    absl::Status why = engine::CheckFence(it->second.first, claims[i], it->second.second);
    if (!why.ok()) out[i].status = why;
  }
}

}  // namespace

absl::StatusOr<std::vector<LeaseRecord>> LeaseStore::LeaseTasks(
    const std::string& worker_id, const std::vector<std::string>& queues, int max,
    absl::Duration lease) {
  using Leases = std::vector<LeaseRecord>;
  return pool_.TransactFor<Leases>([&](pqxx::work& tx) -> absl::StatusOr<Leases> {
    Leases leases;
    for (const auto& row : tx.exec_params(kLeaseTasks, PgTextArray(queues), max, worker_id,
                                          absl::ToInt64Milliseconds(lease))) {
      leases.push_back(LeaseFromRow(row));
    }
    return leases;
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
    if (!IsUuid(c.lease_token)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "task run ", c.task_run_id, ": lease token \"", c.lease_token, "\" is not a UUID"));
    }
    ids.push_back(c.task_run_id);
    attempts.push_back(c.attempt);
    tokens.push_back(absl::AsciiStrToLower(c.lease_token));  // as PostgreSQL prints a uuid
  }
  using Outcomes = std::vector<HeartbeatOutcome>;
  return pool_.TransactFor<Outcomes>([&](pqxx::work& tx) -> absl::StatusOr<Outcomes> {
    Outcomes out(claims.size(), {absl::FailedPreconditionError("lease not held"), false, {}});
    // Keyed by the whole claim: one heartbeat may name several attempts (or
    // tokens) of one task run, and only the current one was extended.
    std::map<std::tuple<int64_t, int32_t, std::string>, absl::Time> extended;
    for (const auto& row : tx.exec_params(kHeartbeat, PgIntArray(ids), PgIntArray(attempts),
                                          PgTextArray(tokens), absl::ToInt64Milliseconds(lease))) {
      extended[{row[0].as<int64_t>(), row[1].as<int32_t>(), row[2].as<std::string>()}] =
          TimeFromMicros(row[3]);
    }
    for (size_t i = 0; i < claims.size(); ++i) {
      auto it = extended.find({claims[i].task_run_id, claims[i].attempt, tokens[i]});
      if (it != extended.end()) out[i] = {absl::OkStatus(), false, it->second};
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
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(kLockTaskRun, claim.task_run_id);
    if (rows.empty()) {
      return absl::NotFoundError(absl::StrCat("task run ", claim.task_run_id, " does not exist"));
    }
    const engine::TaskLeaseView view = ViewFromRow(rows[0]);
    absl::Status fence = engine::CheckFence(view, claim, TimeFromMicros(rows[0][5]));
    if (!fence.ok()) return fence;
    const std::string run_id = rows[0][6].as<std::string>();
    const engine::AttemptDecision d = engine::DecideAttempt(outcome);
    const auto result = d.result.is_null() ? std::optional<std::string>() : d.result.dump();
    tx.exec_params(kEndTaskAttempt, claim.task_run_id, claim.attempt, claim.lease_token,
                   std::string(engine::Name(d.task_state)), result, d.error);
    tx.exec_params(kEndAttempt, claim.task_run_id, claim.attempt,
                   std::string(engine::Name(d.attempt_state)), d.error);
    RecordTransitions(tx, {AttemptTransition(run_id, claim.task_run_id, claim.attempt,
                                             d.attempt_state, d.error),
                           TaskTransition(run_id, claim.task_run_id, TaskRunState::kRunning,
                                          d.task_state, d.error)});
    AdvanceRun(tx, run_id, claim.task_run_id, d.task_state);
    return absl::OkStatus();
  });
}

absl::StatusOr<int> LeaseStore::ExpireLeases(int limit) {
  return pool_.TransactFor<int>([&](pqxx::work& tx) -> absl::StatusOr<int> {
    const int expired = tx.exec_params1(kExpireLeases, limit)[0].as<int>();
    if (expired > 0) NotifyTasksReady(tx);
    return expired;
  });
}

}  // namespace baton::store
