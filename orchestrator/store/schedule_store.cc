#include "orchestrator/store/schedule_store.h"

#include "absl/strings/str_cat.h"
#include "common/base/status_macros.h"
#include "common/base/uuid.h"
#include "orchestrator/store/cancellation.h"
#include "orchestrator/store/deployment_rows.h"
#include "orchestrator/store/history.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/schedule.h"
#include "orchestrator/store/run_rows.h"

namespace baton::store {
namespace {

using engine::DeploymentToPlan;
using engine::DueRun;
using engine::FlowVersion;
using engine::OverlapAction;
using engine::Promotion;
using engine::ScheduledRun;
using engine::ScheduleWrite;

namespace sql = queries::schedule;

constexpr const char* kActiveDeployments =
    "SELECT id::text AS id FROM deployments WHERE NOT paused ORDER BY name LIMIT 10000";

absl::StatusOr<FlowVersion> DecodeFlow(const pqxx::field& version, const pqxx::field& spec,
                                       const std::string& name) {
  BATON_ASSIGN_OR_RETURN(FlowSpec decoded,
                         FlowSpecFromJson(nlohmann::json::parse(spec.as<std::string>()), name));
  return FlowVersion{version.as<int32_t>(), std::move(decoded)};
}

// The flow version the deployment's runs get; nullopt when the flow is gone.
absl::StatusOr<std::optional<FlowVersion>> FlowFor(pqxx::work& tx, const DeploymentSpec& spec) {
  pqxx::result rows = tx.exec_params(sql::kFlowForDeployment, spec.flow, spec.flow_version);
  if (rows.empty()) return std::nullopt;
  BATON_ASSIGN_OR_RETURN(FlowVersion flow,
                         DecodeFlow(rows[0]["version"], rows[0]["spec"], spec.flow));
  return flow;
}

void InsertRuns(pqxx::work& tx, const DeploymentRecord& d, const std::vector<ScheduledRun>& runs) {
  const DeploymentSpec& spec = d.spec;
  const std::string env = DeploymentSpecToJson(spec)["env"].dump();
  for (const ScheduledRun& run : runs) {
    pqxx::result inserted =
        tx.exec_params(sql::kInsertScheduledRun, spec.flow, run.flow_version, run.parameters.dump(),
                       d.id, static_cast<double>(absl::ToUnixMicros(run.scheduled_time)), env,
                       PgTextArray(spec.tags), spec.work_queue);
    if (inserted.empty()) continue;  // another replica (or an earlier step) made it
    RecordTransitions(tx, {{"run", inserted[0]["id"].as<std::string>(), 0, 0, "", "SCHEDULED",
                            false, "created by the scheduler", ""}});
  }
}

void InsertSkips(pqxx::work& tx, const std::string& deployment_id, const ScheduleWrite& write) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& s : write.skipped) {
    rows.push_back({{"at_us", absl::ToUnixMicros(s.at)}, {"reason", s.reason}});
  }
  if (write.skipped_unlisted > 0) {
    rows.push_back({{"at_us", absl::ToUnixMicros(write.cursor)},
                    {"reason", absl::StrCat("and ", write.skipped_unlisted,
                                            " more missed fires up to here, skipped")}});
  }
  if (!rows.empty()) tx.exec_params(sql::kInsertSkips, deployment_id, rows.dump());
}

absl::StatusOr<DueRun> DueRunFrom(pqxx::work& tx, const pqxx::row& row) {
  DueRun due;
  due.run_id = row["id"].as<std::string>();
  due.deployment_id = row["deployment_id"].as<std::string>();
  due.parameters = nlohmann::json::parse(row["parameters"].as<std::string>());
  due.scheduled_time = TimeFromMicros(row["scheduled_time_us"]);
  due.now = TimeFromMicros(row["now_us"]);
  due.deployment =
      DeploymentFromRow(tx.exec_params1(sql::kSelectDeploymentById, due.deployment_id)).spec;
  BATON_ASSIGN_OR_RETURN(due.flow,
                         DecodeFlow(row["flow_version"], row["spec"], due.deployment.flow));
  due.active_runs = static_cast<int>(tx.exec_params(sql::kActiveRuns, due.deployment_id).size());
  due.earlier_waiting =
      tx.exec_params1(
            sql::kEarlierWaiting, due.deployment_id,
            static_cast<double>(absl::ToUnixMicros(due.scheduled_time)))["earlier_waiting"]
          .as<bool>();
  return due;
}

void Start(pqxx::work& tx, const DueRun& due, const Promotion& p) {
  const engine::RunPlan& plan = *p.plan;
  tx.exec_params(sql::kStartScheduled, due.run_id, PgTextArray(plan.result_tasks),
                 static_cast<int>(plan.tasks.size()), p.late,
                 absl::ToInt64Milliseconds(plan.timeout));
  const std::string reason =
      p.late ? absl::StrCat("started late: ", p.reason) : "its scheduled time came";
  InsertTaskRuns(tx, due.run_id, plan, "SCHEDULED", reason);
}

void Skip(pqxx::work& tx, const DueRun& due, const std::string& reason) {
  tx.exec_params(sql::kSkipScheduled, due.run_id, reason);
  RecordTransitions(tx, {{"run", due.run_id, 0, 0, "SCHEDULED", "CANCELLED", true, reason, ""}});
  nlohmann::json rows = nlohmann::json::array(
      {{{"at_us", absl::ToUnixMicros(due.scheduled_time)}, {"reason", reason}}});
  tx.exec_params(sql::kInsertSkips, due.deployment_id, rows.dump());
}

absl::Status CancelActive(pqxx::work& tx, const DueRun& due) {
  std::vector<Transition> history;
  for (const auto& row : tx.exec_params(sql::kActiveRuns, due.deployment_id)) {
    absl::Status s = BeginCancel(
        tx, row["id"].as<std::string>(), model::FlowRunState::kCancelled,
        absl::StrCat("overlap policy cancel_previous: scheduled run ", due.run_id, " starts"),
        history);
    if (!s.ok() && !absl::IsFailedPrecondition(s)) return s;
  }
  RecordTransitions(tx, history);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ScheduleStore::ActiveDeployments() {
  using Ids = std::vector<std::string>;
  return pool_.TransactFor<Ids>([&](pqxx::work& tx) -> absl::StatusOr<Ids> {
    Ids ids;
    for (const auto& row : tx.exec(kActiveDeployments)) ids.push_back(row["id"].as<std::string>());
    return ids;
  });
}

absl::Status ScheduleStore::ScheduleDeployment(const std::string& deployment_id,
                                               absl::Duration horizon) {
  BATON_RETURN_IF_ERROR(CheckUuid("deployment id", deployment_id));
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(sql::kLockDeployment, deployment_id);
    if (rows.empty()) return absl::OkStatus();  // paused, deleted, or another replica has it
    const DeploymentRecord deployment = DeploymentFromRow(rows[0]);
    BATON_ASSIGN_OR_RETURN(std::optional<FlowVersion> flow, FlowFor(tx, deployment.spec));
    const ScheduleWrite write = engine::PlanDeploymentFires(
        {deployment.spec, deployment.cursor, std::move(flow), TimeFromMicros(rows[0]["now_us"])},
        horizon);
    InsertRuns(tx, deployment, write.runs);
    InsertSkips(tx, deployment_id, write);
    tx.exec_params(sql::kAdvanceCursor, deployment_id,
                   static_cast<double>(absl::ToUnixMicros(write.cursor)));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> ScheduleStore::DueRuns(int limit) {
  using Ids = std::vector<std::string>;
  return pool_.TransactFor<Ids>([&](pqxx::work& tx) -> absl::StatusOr<Ids> {
    Ids ids;
    for (const auto& row : tx.exec_params(sql::kDueRuns, limit))
      ids.push_back(row["id"].as<std::string>());
    return ids;
  });
}

absl::Status ScheduleStore::PromoteDueRun(const std::string& run_id) {
  BATON_RETURN_IF_ERROR(CheckUuid("run id", run_id));
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    pqxx::result rows = tx.exec_params(sql::kLockDueRun, run_id);
    if (rows.empty()) return absl::OkStatus();  // started, skipped, or held by another replica
    BATON_ASSIGN_OR_RETURN(const DueRun due, DueRunFrom(tx, rows[0]));
    absl::StatusOr<Promotion> p = engine::DecidePromotion(due);
    if (!p.ok()) return p.status();
    switch (p->action) {
      case OverlapAction::kWait:
        return absl::OkStatus();
      case OverlapAction::kSkip:
        Skip(tx, due, p->reason);
        return absl::OkStatus();
      case OverlapAction::kStartAndCancelPrevious:
        if (auto s = CancelActive(tx, due); !s.ok()) return s;
        [[fallthrough]];
      case OverlapAction::kStart:
        Start(tx, due, *p);
        return absl::OkStatus();
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<engine::SkippedFire>> ScheduleStore::SkippedFires(
    const std::string& deployment_id, int limit) {
  BATON_RETURN_IF_ERROR(CheckUuid("deployment id", deployment_id));
  using Skips = std::vector<engine::SkippedFire>;
  return pool_.TransactFor<Skips>([&](pqxx::work& tx) -> absl::StatusOr<Skips> {
    Skips out;
    for (const auto& row : tx.exec_params(sql::kSkippedFires, deployment_id, limit)) {
      out.push_back({TimeFromMicros(row["scheduled_time_us"]), row["reason"].as<std::string>()});
    }
    return out;
  });
}

}  // namespace baton::store
