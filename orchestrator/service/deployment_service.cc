#include "orchestrator/service/deployment_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/json_util.h"
#include "common/base/limits.h"
#include "common/base/status_macros.h"
#include "common/rpc/grpc_status.h"
#include "common/spec/deployment.h"
#include "common/spec/flow.h"
#include "orchestrator/engine/deployment_plan.h"
#include "orchestrator/engine/run_rules.h"
#include "orchestrator/service/proto_convert.h"
#include "orchestrator/service/request_checks.h"

namespace baton::service {
namespace {

using rpc::ToGrpcStatus;

constexpr int kRecentSkips = 20;

void ScheduleToProto(const ScheduleSpec& in, v1::Schedule* out) {
  out->set_cron(in.cron);
  out->set_timezone(in.timezone);
  if (in.interval > absl::ZeroDuration()) {
    *out->mutable_interval() = ToProtoDuration(in.interval);
    *out->mutable_anchor() = ToProtoTime(in.anchor);
  }
  if (in.start != absl::InfinitePast()) *out->mutable_start() = ToProtoTime(in.start);
  if (in.end != absl::InfiniteFuture()) *out->mutable_end() = ToProtoTime(in.end);
}

void SpecToProto(const DeploymentSpec& spec, v1::Deployment* out) {
  out->set_name(spec.name);
  out->set_flow_name(spec.flow);
  out->set_flow_version(spec.flow_version);
  out->set_description(spec.description);
  for (const auto& s : spec.schedules) ScheduleToProto(s, out->add_schedules());
  out->set_parameters_json(spec.parameters.dump());
  const nlohmann::json env = RedactedEnv(spec.env);
  for (const auto& [name, value] : env.items()) {
    (*out->mutable_env())[name] = value.get<std::string>();
  }
  for (const auto& tag : spec.tags) out->add_tags(tag);
  out->set_work_queue(spec.work_queue);
  out->set_catch_up(std::string(Name(spec.catch_up.kind)));
  out->set_overlap(std::string(Name(spec.overlap)));
  *out->mutable_late_after() = ToProtoDuration(spec.late_after);
}

std::string DisplayZone(const DeploymentSpec& spec) {
  for (const auto& s : spec.schedules) {
    if (!s.cron.empty()) return s.timezone;
  }
  return "UTC";
}

absl::Status WithSource(const std::string& source, const std::string& field,
                        const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, ": ", status.message()));
}

}  // namespace

absl::Status DeploymentServiceImpl::CheckAgainstFlow(const DeploymentSpec& spec,
                                                     const std::string& source) {
  auto flow = flows_.GetFlow(spec.flow, spec.flow_version);
  if (absl::IsNotFound(flow.status())) {
    return WithSource(
        source, spec.flow_version == 0 ? "flow" : "flow_version",
        absl::Status(flow.status().code(),
                     absl::StrCat(flow.status().message(),
                                  "; expected a flow applied with baton flow apply")));
  }
  if (!flow.ok()) return flow.status();
  auto params = ResolveParameters(flow->spec, spec.parameters);
  if (!params.ok()) return WithSource(source, "parameters", params.status());
  return absl::OkStatus();
}

absl::Status DeploymentServiceImpl::Describe(const store::DeploymentRecord& record, int next_fires,
                                             v1::Deployment* out) {
  out->set_id(record.id);
  SpecToProto(record.spec, out);
  out->set_paused(record.paused);
  const std::string zone = DisplayZone(record.spec);
  if (!record.paused) {
    for (absl::Time t : NextDeploymentFires(record.spec, absl::Now(), next_fires)) {
      v1::Fire* fire = out->add_next_fires();
      *fire->mutable_at() = ToProtoTime(t);
      fire->set_timezone(zone);
    }
  }
  auto skips = schedules_.SkippedFires(record.id, kRecentSkips);
  if (!skips.ok()) return skips.status();
  for (const auto& s : *skips) {
    v1::SkippedFire* skip = out->add_recent_skips();
    *skip->mutable_scheduled_time() = ToProtoTime(s.at);
    skip->set_reason(s.reason);
  }
  *out->mutable_created_at() = ToProtoTime(record.created_at);
  *out->mutable_updated_at() = ToProtoTime(record.updated_at);
  return absl::OkStatus();
}

grpc::Status DeploymentServiceImpl::ApplyDeployment(grpc::ServerContext*,
                                                    const v1::ApplyDeploymentRequest* request,
                                                    v1::ApplyDeploymentResponse* response) {
  const std::string source = request->source_name().empty() ? "<request>" : request->source_name();
  BATON_RPC_RETURN_IF_ERROR(CheckLength("source_name", source, kMaxSourceNameLength));
  BATON_RPC_ASSIGN_OR_RETURN(auto spec, ParseDeploymentSpec(request->content(), source));
  BATON_RPC_RETURN_IF_ERROR(CheckAgainstFlow(spec, source));
  BATON_RPC_ASSIGN_OR_RETURN(auto applied, deployments_.ApplyDeployment(spec));
  response->set_created(applied.created);
  return ToGrpcStatus(Describe(applied.deployment, 3, response->mutable_deployment()));
}

grpc::Status DeploymentServiceImpl::GetDeployment(grpc::ServerContext*,
                                                  const v1::GetDeploymentRequest* request,
                                                  v1::Deployment* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckName("name", request->name()));
  BATON_RPC_RETURN_IF_ERROR(CheckRange("next_fires", request->next_fires(), 0, 100));
  BATON_RPC_ASSIGN_OR_RETURN(auto record, deployments_.GetDeployment(request->name()));
  const int n = request->next_fires() == 0 ? 5 : request->next_fires();
  return ToGrpcStatus(Describe(record, n, response));
}

grpc::Status DeploymentServiceImpl::ListDeployments(grpc::ServerContext*,
                                                    const v1::ListDeploymentsRequest* request,
                                                    v1::ListDeploymentsResponse* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckRange("next_fires", request->next_fires(), 0, 100));
  BATON_RPC_ASSIGN_OR_RETURN(auto records, deployments_.ListDeployments());
  const int n = request->next_fires() == 0 ? 3 : request->next_fires();
  for (const auto& record : records) {
    BATON_RPC_RETURN_IF_ERROR(Describe(record, n, response->add_deployments()));
  }
  return grpc::Status::OK;
}

grpc::Status DeploymentServiceImpl::PauseDeployment(grpc::ServerContext*,
                                                    const v1::PauseDeploymentRequest* request,
                                                    v1::Deployment* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckName("name", request->name()));
  BATON_RPC_ASSIGN_OR_RETURN(auto record, deployments_.SetPaused(request->name(), true));
  return ToGrpcStatus(Describe(record, 3, response));
}

grpc::Status DeploymentServiceImpl::ResumeDeployment(grpc::ServerContext*,
                                                     const v1::ResumeDeploymentRequest* request,
                                                     v1::Deployment* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckName("name", request->name()));
  BATON_RPC_ASSIGN_OR_RETURN(auto record, deployments_.SetPaused(request->name(), false));
  return ToGrpcStatus(Describe(record, 3, response));
}

absl::StatusOr<engine::RunPlan> DeploymentServiceImpl::PlanManualRun(
    const store::DeploymentRecord& record, const v1::RunDeploymentRequest& request) {
  const DeploymentSpec& spec = record.spec;
  auto given =
      ParseJsonObject(request.parameters_json(), "parameters_json", engine::kMaxParametersBytes);
  if (!given.ok()) return given.status();
  nlohmann::json params = spec.parameters;
  params.update(*given);
  BATON_ASSIGN_OR_RETURN(store::FlowRecord flow, flows_.GetFlow(spec.flow, spec.flow_version));
  return engine::PlanDeploymentRun(record.id, spec, {flow.version, std::move(flow.spec)}, params,
                                   request.idempotency_key());
}

grpc::Status DeploymentServiceImpl::RunDeployment(grpc::ServerContext*,
                                                  const v1::RunDeploymentRequest* request,
                                                  v1::StartRunResponse* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckName("name", request->name()));
  BATON_RPC_ASSIGN_OR_RETURN(auto record, deployments_.GetDeployment(request->name()));
  BATON_RPC_ASSIGN_OR_RETURN(auto plan, PlanManualRun(record, *request));
  BATON_RPC_ASSIGN_OR_RETURN(auto started, runs_.StartRun(plan));
  ToProto(started.run, response->mutable_run());
  response->set_created(started.created);
  return grpc::Status::OK;
}

grpc::Status DeploymentServiceImpl::DeleteDeployment(grpc::ServerContext*,
                                                     const v1::DeleteDeploymentRequest* request,
                                                     v1::DeleteDeploymentResponse*) {
  BATON_RPC_RETURN_IF_ERROR(CheckName("name", request->name()));
  return ToGrpcStatus(deployments_.DeleteDeployment(request->name()));
}

}  // namespace baton::service
