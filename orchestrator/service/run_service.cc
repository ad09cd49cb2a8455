#include "orchestrator/service/run_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/base/json_util.h"
#include "common/base/limits.h"
#include "common/base/logging.h"
#include "common/base/status_macros.h"
#include "common/rpc/grpc_status.h"
#include "common/spec/flow.h"
#include "orchestrator/engine/run_rules.h"
#include "orchestrator/service/proto_convert.h"
#include "orchestrator/service/request_checks.h"
#include "spdlog/spdlog.h"

namespace baton::service {

using rpc::ToGrpcStatus;

namespace {

absl::Status SetWindow(const v1::ListRunsRequest& request, store::RunFilter* filter) {
  if (request.has_created_after()) {
    auto after = FromTimestamp("created_after", request.created_after());
    if (!after.ok()) return after.status();
    filter->created_after = *after;
  }
  if (request.has_created_before()) {
    auto before = FromTimestamp("created_before", request.created_before());
    if (!before.ok()) return before.status();
    filter->created_before = *before;
  }
  if (filter->created_after > filter->created_before) {
    return absl::InvalidArgumentError(
        absl::StrCat("created_after (", absl::FormatTime(filter->created_after),
                     ") is later than created_before (", absl::FormatTime(filter->created_before),
                     "); expected an empty or forward window"));
  }
  return absl::OkStatus();
}

constexpr absl::Duration kWatchPollInterval = absl::Milliseconds(250);
constexpr int kWatchPage = 500;

// Sleeps `d`, waking early only when the server shuts down.
void SleepUnlessShutDown(const ReadySignal& shutdown, absl::Duration d) {
  const absl::Time until = absl::Now() + d;
  for (absl::Time now = absl::Now(); now < until && !shutdown.shut_down(); now = absl::Now()) {
    shutdown.WaitFor(shutdown.generation(), until - now);
  }
}

// Writes one event per transition; false when the client has gone.
bool WriteTransitions(const std::vector<store::TransitionRecord>& transitions,
                      grpc::ServerWriter<v1::RunEvent>* writer, int64_t* last_id) {
  for (const auto& t : transitions) {
    v1::RunEvent event;
    ToProto(t, event.mutable_transition());
    event.set_transition_id(t.id);
    if (!writer->Write(event)) return false;
    *last_id = t.id;
  }
  return true;
}

}  // namespace

absl::StatusOr<engine::RunPlan> RunServiceImpl::Plan(const v1::StartRunRequest& request) {
  BATON_RETURN_IF_ERROR(CheckName("flow_name", request.flow_name()));
  BATON_RETURN_IF_ERROR(CheckRange("flow_version", request.flow_version(), 0, INT32_MAX));
  BATON_RETURN_IF_ERROR(CheckCorrelationId(request.correlation_id()));
  BATON_ASSIGN_OR_RETURN(
      const nlohmann::json params,
      ParseJsonObject(request.parameters_json(), "parameters_json", engine::kMaxParametersBytes));
  BATON_ASSIGN_OR_RETURN(const store::FlowRecord flow,
                         flows_.GetFlow(request.flow_name(), request.flow_version()));
  BATON_ASSIGN_OR_RETURN(engine::RunPlan plan, engine::PlanRun(flow.spec, flow.version, params,
                                                               request.idempotency_key()));
  plan.correlation_id = request.correlation_id();
  return plan;
}

grpc::Status RunServiceImpl::StartRun(grpc::ServerContext*, const v1::StartRunRequest* request,
                                      v1::StartRunResponse* response) {
  BATON_RPC_ASSIGN_OR_RETURN(engine::RunPlan plan, Plan(*request));
  BATON_RPC_ASSIGN_OR_RETURN(store::RunStore::Started started, runs_.StartRun(plan));
  if (started.created) {
    ScopedLogContext context(
        {{"run", started.run.id}, {"correlation_id", started.run.correlation_id}});
    spdlog::info("run of flow {} v{} started", started.run.flow_name, started.run.flow_version);
  }
  ToProto(started.run, response->mutable_run());
  response->set_created(started.created);
  return grpc::Status::OK;
}

grpc::Status RunServiceImpl::GetRun(grpc::ServerContext*, const v1::GetRunRequest* request,
                                    v1::Run* response) {
  BATON_RPC_ASSIGN_OR_RETURN(store::RunRecord run, runs_.GetRun(request->run_id()));
  ToProto(run, response);
  return grpc::Status::OK;
}

grpc::Status RunServiceImpl::ListRuns(grpc::ServerContext*, const v1::ListRunsRequest* request,
                                      v1::ListRunsResponse* response) {
  if (!request->flow_name().empty()) {
    BATON_RPC_RETURN_IF_ERROR(CheckName("flow_name", request->flow_name()));
  }
  BATON_RPC_RETURN_IF_ERROR(CheckRange("limit", request->limit(), 0, 1000));
  store::RunFilter filter;
  filter.flow_name = request->flow_name();
  filter.state = FromProto(request->state());
  filter.limit = request->limit() == 0 ? 50 : request->limit();
  filter.deployment_id = request->deployment_id();
  BATON_RPC_RETURN_IF_ERROR(SetWindow(*request, &filter));
  BATON_RPC_ASSIGN_OR_RETURN(auto runs, runs_.ListRuns(filter));
  for (const auto& run : runs) ToProto(run, response->add_runs());
  return grpc::Status::OK;
}

grpc::Status RunServiceImpl::CancelRun(grpc::ServerContext*, const v1::CancelRunRequest* request,
                                       v1::Run* response) {
  BATON_RPC_RETURN_IF_ERROR(CheckText("reason", request->reason(), kMaxReasonLength));
  BATON_RPC_ASSIGN_OR_RETURN(store::RunRecord run,
                             runs_.CancelRun(request->run_id(), request->reason()));
  ToProto(run, response);
  return grpc::Status::OK;
}

grpc::Status RunServiceImpl::Follow(grpc::ServerContext* context, const std::string& run_id,
                                    bool follow, const std::function<FollowStep()>& step) const {
  const absl::Time give_up = absl::Now() + max_watch_;
  while (true) {
    const FollowStep done = step();
    if (!done.status.ok()) return ToGrpcStatus(done.status);
    if (done.client_gone) return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
    if (done.full_page) continue;
    if (done.run_ended || !follow) return grpc::Status::OK;
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    if (shutdown_.shut_down()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the orchestrator is shutting down");
    }
    const absl::Time now = absl::Now();
    if (now >= give_up) {
      return grpc::Status(
          grpc::StatusCode::DEADLINE_EXCEEDED,
          absl::StrCat("run ", run_id, " still active after ", absl::FormatDuration(max_watch_),
                       " (the server's --max-watch)"));
    }
    SleepUnlessShutDown(shutdown_, std::min(kWatchPollInterval, give_up - now));
  }
}

grpc::Status RunServiceImpl::WatchRun(grpc::ServerContext* context,
                                      const v1::WatchRunRequest* request,
                                      grpc::ServerWriter<v1::RunEvent>* writer) {
  if (auto s =
          CheckRange("after_transition_id", request->after_transition_id(), int64_t{0}, INT64_MAX);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  int64_t last_id = request->after_transition_id();
  grpc::Status followed = Follow(context, request->run_id(), /*follow=*/true, [&] {
    FollowStep step;
    auto page = runs_.TransitionsAfter(request->run_id(), last_id, kWatchPage);
    if (!page.ok()) {
      step.status = page.status();
      return step;
    }
    step.client_gone = !WriteTransitions(page->transitions, writer, &last_id);
    step.full_page = page->transitions.size() == static_cast<size_t>(kWatchPage);
    step.run_ended = model::IsTerminal(page->run_state);
    return step;
  });
  if (!followed.ok()) return followed;
  BATON_RPC_ASSIGN_OR_RETURN(store::RunRecord run, runs_.GetRun(request->run_id()));
  v1::RunEvent last;
  ToProto(run, last.mutable_run());
  last.set_transition_id(last_id);
  writer->Write(last);
  return grpc::Status::OK;
}

grpc::Status RunServiceImpl::StreamRunLogs(grpc::ServerContext* context,
                                           const v1::StreamRunLogsRequest* request,
                                           grpc::ServerWriter<v1::RunLogEntry>* writer) {
  BATON_RPC_RETURN_IF_ERROR(CheckRange("after_id", request->after_id(), int64_t{0}, INT64_MAX));
  if (!request->task_name().empty()) {
    BATON_RPC_RETURN_IF_ERROR(CheckName("task_name", request->task_name()));
  }
  int64_t last_id = request->after_id();
  return Follow(context, request->run_id(), request->follow(), [&] {
    FollowStep step;
    auto page = logs_.LinesAfter(request->run_id(), request->task_name(), last_id, kWatchPage);
    if (!page.ok()) {
      step.status = page.status();
      return step;
    }
    for (const store::RunLogRecord& line : page->lines) {
      v1::RunLogEntry entry;
      ToProto(line, &entry);
      if (!writer->Write(entry)) {
        step.client_gone = true;
        return step;
      }
      last_id = line.id;
    }
    step.full_page = page->lines.size() == static_cast<size_t>(kWatchPage);
    step.run_ended = model::IsTerminal(page->run_state);
    return step;
  });
}

}  // namespace baton::service
