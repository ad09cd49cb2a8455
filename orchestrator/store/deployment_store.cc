#include "orchestrator/store/deployment_store.h"

#include "absl/strings/str_cat.h"
#include "orchestrator/store/deployment_rows.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/deployment.h"

namespace baton::store {

namespace {

namespace sql = queries::deployment;

constexpr const char* kDeleteDeployment = "DELETE FROM deployments WHERE name = $1";

}  // namespace

DeploymentRecord DeploymentFromRow(const pqxx::row& row) {
  DeploymentRecord d;
  d.id = row["id"].as<std::string>();
  // Validated when applied; a failure here is a bug.
  d.spec = DeploymentSpecFromJson(nlohmann::json::parse(row["spec"].as<std::string>()), "stored")
               .value();
  d.paused = row["paused"].as<bool>();
  d.cursor = TimeFromMicros(row["cursor_us"]);
  d.created_at = TimeFromMicros(row["created_at_us"]);
  d.updated_at = TimeFromMicros(row["updated_at_us"]);
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
    pqxx::row row =
        tx.exec_params1(sql::kUpsertDeployment, spec.name, spec.flow, json, spec.paused);
    Applied applied{DeploymentFromRow(row), row["created"].as<bool>()};
    if (!applied.created) {
      tx.exec_params(sql::kForgetScheduled, applied.deployment.id);
      applied.deployment = DeploymentFromRow(tx.exec_params1(sql::kSelectDeployment, spec.name));
    }
    return applied;
  });
}

absl::StatusOr<DeploymentRecord> DeploymentStore::GetDeployment(const std::string& name) {
  return pool_.TransactFor<DeploymentRecord>(
      [&](pqxx::work& tx) -> absl::StatusOr<DeploymentRecord> {
        pqxx::result rows = tx.exec_params(sql::kSelectDeployment, name);
        if (rows.empty()) return Unknown(name);
        return DeploymentFromRow(rows[0]);
      });
}

absl::StatusOr<std::vector<DeploymentRecord>> DeploymentStore::ListDeployments() {
  using Records = std::vector<DeploymentRecord>;
  return pool_.TransactFor<Records>([&](pqxx::work& tx) -> absl::StatusOr<Records> {
    Records out;
    for (const auto& row : tx.exec(sql::kListDeployments)) out.push_back(DeploymentFromRow(row));
    return out;
  });
}

absl::StatusOr<DeploymentRecord> DeploymentStore::SetPaused(const std::string& name, bool paused) {
  return pool_.TransactFor<DeploymentRecord>(
      [&](pqxx::work& tx) -> absl::StatusOr<DeploymentRecord> {
        if (paused) tx.exec_params(sql::kDeleteScheduled, name);
        pqxx::result rows = tx.exec_params(sql::kSetPaused, name, paused);
        if (rows.empty()) return Unknown(name);
        return DeploymentFromRow(rows[0]);
      });
}

absl::Status DeploymentStore::DeleteDeployment(const std::string& name) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    tx.exec_params(sql::kDeleteScheduled, name);
    if (tx.exec_params(kDeleteDeployment, name).affected_rows() == 0) return Unknown(name);
    return absl::OkStatus();
  });
}

}  // namespace baton::store
