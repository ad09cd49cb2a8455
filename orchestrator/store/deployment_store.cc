#include "orchestrator/store/deployment_store.h"

#include "absl/strings/str_cat.h"
#include "orchestrator/store/deployment_rows.h"
#include "orchestrator/store/pg_pool.h"

namespace baton::store {

const char* const kDeploymentColumns =
    "d.id::text, d.spec::text, d.paused, baton_us(d.cursor), baton_us(d.created_at),"
    " baton_us(d.updated_at)";

namespace {

const std::string kUpsertDeployment = absl::StrCat(
    "INSERT INTO deployments AS d (name, flow_name, spec, paused, cursor)"
    " VALUES ($1, $2, $3::jsonb, $4, now())"
    " ON CONFLICT (name) DO UPDATE SET flow_name = EXCLUDED.flow_name, spec = EXCLUDED.spec,"
    "   paused = EXCLUDED.paused, updated_at = now(),"
    "   cursor = CASE WHEN d.paused AND NOT EXCLUDED.paused THEN now() ELSE d.cursor END"
    " RETURNING ",
    kDeploymentColumns, ", (xmax = 0)");

// Scheduled runs that have not started go when their deployment changes;
// the scheduler plans them again (the cursor moves back to the first of them).
constexpr const char* kForgetScheduled =
    "WITH gone AS ("
    "  DELETE FROM flow_runs WHERE deployment_id = $1::uuid AND state = 'SCHEDULED'"
    "  RETURNING id, scheduled_time"
    "), history AS ("
    "  DELETE FROM state_transitions WHERE run_id IN (SELECT id FROM gone)"
    ") UPDATE deployments SET cursor = least(cursor,"
    "    coalesce((SELECT min(scheduled_time) FROM gone) - interval '1 microsecond', cursor))"
    " WHERE id = $1::uuid";

const std::string kSelectDeployment =
    absl::StrCat("SELECT ", kDeploymentColumns, " FROM deployments d WHERE d.name = $1");

const std::string kListDeployments =
    absl::StrCat("SELECT ", kDeploymentColumns, " FROM deployments d ORDER BY d.name LIMIT 1000");

const std::string kSetPaused = absl::StrCat(
    "UPDATE deployments d SET paused = $2::boolean, updated_at = now(),"
    " spec = jsonb_set(spec, '{paused}', to_jsonb($2::boolean)),"
    " cursor = CASE WHEN paused AND NOT $2 THEN now() ELSE cursor END"
    " WHERE d.name = $1 RETURNING ",
    kDeploymentColumns);

constexpr const char* kDeleteScheduled =
    "WITH gone AS ("
    "  DELETE FROM flow_runs WHERE state = 'SCHEDULED'"
    "    AND deployment_id = (SELECT id FROM deployments WHERE name = $1) RETURNING id"
    ") DELETE FROM state_transitions WHERE run_id IN (SELECT id FROM gone)";

constexpr const char* kDeleteDeployment = "DELETE FROM deployments WHERE name = $1";

}  // namespace

DeploymentRecord DeploymentFromRow(const pqxx::row& row) {
  DeploymentRecord d;
  d.id = row[0].as<std::string>();
  // Validated when applied; a failure here is a bug.
  d.spec =
      DeploymentSpecFromJson(nlohmann::json::parse(row[1].as<std::string>()), "stored").value();
  d.paused = row[2].as<bool>();
  d.cursor = TimeFromMicros(row[3]);
  d.created_at = TimeFromMicros(row[4]);
  d.updated_at = TimeFromMicros(row[5]);
  return d;
}

namespace {

absl::Status Unknown(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("deployment \"", name, "\" does not exist"));
}

}  // namespace

absl::StatusOr<DeploymentStore::Applied> DeploymentStore::ApplyDeployment(
    const DeploymentSpec& spec) {
  const std::string json = DeploymentSpecToJson(spec).dump();
  return pool_.TransactFor<Applied>([&](pqxx::work& tx) -> absl::StatusOr<Applied> {
    pqxx::row row = tx.exec_params1(kUpsertDeployment, spec.name, spec.flow, json, spec.paused);
    Applied applied{DeploymentFromRow(row), row[6].as<bool>()};
    if (!applied.created) {
      tx.exec_params(kForgetScheduled, applied.deployment.id);
      applied.deployment = DeploymentFromRow(tx.exec_params1(kSelectDeployment, spec.name));
    }
    return applied;
  });
}

absl::StatusOr<DeploymentRecord> DeploymentStore::GetDeployment(const std::string& name) {
  return pool_.TransactFor<DeploymentRecord>(
      [&](pqxx::work& tx) -> absl::StatusOr<DeploymentRecord> {
        pqxx::result rows = tx.exec_params(kSelectDeployment, name);
        if (rows.empty()) return Unknown(name);
        return DeploymentFromRow(rows[0]);
      });
}

absl::StatusOr<std::vector<DeploymentRecord>> DeploymentStore::ListDeployments() {
  using Records = std::vector<DeploymentRecord>;
  return pool_.TransactFor<Records>([&](pqxx::work& tx) -> absl::StatusOr<Records> {
    Records out;
    for (const auto& row : tx.exec(kListDeployments)) out.push_back(DeploymentFromRow(row));
    return out;
  });
}

absl::StatusOr<DeploymentRecord> DeploymentStore::SetPaused(const std::string& name, bool paused) {
  return pool_.TransactFor<DeploymentRecord>(
      [&](pqxx::work& tx) -> absl::StatusOr<DeploymentRecord> {
        if (paused) tx.exec_params(kDeleteScheduled, name);
        pqxx::result rows = tx.exec_params(kSetPaused, name, paused);
        if (rows.empty()) return Unknown(name);
        return DeploymentFromRow(rows[0]);
      });
}

absl::Status DeploymentStore::DeleteDeployment(const std::string& name) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(kDeleteScheduled, name);
    if (tx.exec_params(kDeleteDeployment, name).affected_rows() == 0) return Unknown(name);
    return absl::OkStatus();
  });
}

}  // namespace baton::store
