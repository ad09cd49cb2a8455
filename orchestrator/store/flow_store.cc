#include "orchestrator/store/flow_store.h"

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/flow.h"

namespace baton::store {
namespace {

namespace sql = queries::flow;

constexpr const char* kLockFlowName = "SELECT pg_advisory_xact_lock(hashtext('flow:' || $1))";

constexpr const char* kDigestOf =
    "SELECT encode(sha256(convert_to($1::jsonb::text, 'UTF8')), 'hex') AS digest";

absl::StatusOr<FlowRecord> FlowFromRow(const pqxx::row& row) {
  FlowRecord flow;
  flow.name = row["name"].as<std::string>();
  flow.version = row["version"].as<int32_t>();
  flow.description = row["description"].as<std::string>();
  flow.spec_json = nlohmann::json::parse(row["spec"].as<std::string>());
  flow.digest = row["digest"].as<std::string>();
  flow.created_at = TimeFromMicros(row["created_at_us"]);
  BATON_ASSIGN_OR_RETURN(flow.spec, FlowSpecFromJson(flow.spec_json, flow.name));
  return flow;
}

}  // namespace

absl::StatusOr<FlowStore::Applied> FlowStore::ApplyFlow(const std::string& name,
                                                        const std::string& description,
                                                        const nlohmann::json& spec) {
  const std::string spec_text = spec.dump();
  return pool_.TransactFor<Applied>([&](pqxx::work& tx) -> absl::StatusOr<Applied> {
    tx.exec_params(kLockFlowName, name);
    pqxx::result latest = tx.exec_params(sql::kSelectLatestFlow, name);
    int32_t next_version = 1;
    if (!latest.empty()) {
      BATON_ASSIGN_OR_RETURN(FlowRecord current, FlowFromRow(latest[0]));
      const std::string digest = tx.exec_params1(kDigestOf, spec_text)["digest"].as<std::string>();
      if (current.digest == digest) return Applied{std::move(current), false};
      next_version = current.version + 1;
    }
    pqxx::row row = tx.exec_params1(sql::kInsertFlow, name, next_version, description, spec_text);
    BATON_ASSIGN_OR_RETURN(FlowRecord created, FlowFromRow(row));
    return Applied{std::move(created), true};
  });
}

absl::StatusOr<FlowRecord> FlowStore::GetFlow(const std::string& name, int32_t version) {
  return pool_.TransactFor<FlowRecord>([&](pqxx::work& tx) -> absl::StatusOr<FlowRecord> {
    pqxx::result rows = version == 0 ? tx.exec_params(sql::kSelectLatestFlow, name)
                                     : tx.exec_params(sql::kSelectFlowVersion, name, version);
    if (rows.empty()) {
      return absl::NotFoundError(
          version == 0 ? absl::StrCat("flow \"", name, "\" does not exist")
                       : absl::StrCat("flow \"", name, "\" has no version ", version));
    }
    return FlowFromRow(rows[0]);
  });
}

absl::StatusOr<std::vector<FlowRecord>> FlowStore::ListFlows(int limit) {
  using Flows = std::vector<FlowRecord>;
  return pool_.TransactFor<Flows>([&](pqxx::work& tx) -> absl::StatusOr<Flows> {
    Flows flows;
    for (const auto& row : tx.exec_params(sql::kSelectLatestFlows, limit)) {
      BATON_ASSIGN_OR_RETURN(FlowRecord flow, FlowFromRow(row));
      flows.push_back(std::move(flow));
    }
    return flows;
  });
}

}  // namespace baton::store
