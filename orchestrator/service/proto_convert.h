// Store records and engine states to and from wire messages. Pure.
#pragma once

#include "baton/v1/breaker_service.pb.h"
#include "baton/v1/cluster_service.pb.h"
#include "baton/v1/flow_service.pb.h"
#include "baton/v1/run_service.pb.h"
#include "baton/v1/worker_service.pb.h"
#include "orchestrator/store/breaker_store.h"
#include "orchestrator/store/lease_store.h"
#include "orchestrator/store/log_store.h"
#include "orchestrator/store/records.h"

namespace baton::service {

v1::FlowRunState ToProto(model::FlowRunState state);
v1::TaskRunState ToProto(model::TaskRunState state);
v1::AttemptState ToProto(model::AttemptState state);
std::optional<model::FlowRunState> FromProto(v1::FlowRunState state);  // nullopt: UNSPECIFIED

void ToProto(const store::FlowRecord& in, v1::Flow* out);
void ToProto(const store::RunRecord& in, v1::Run* out);  // with tasks when present
void ToProto(const store::TransitionRecord& in, v1::Transition* out);
void ToProto(const store::WorkerRecord& in, v1::WorkerInfo* out);
void ToProto(const store::LeaseRecord& in, v1::Lease* out);
void ToProto(const store::BreakerRecord& in, v1::Breaker* out);
void ToProto(const store::RunLogRecord& in, v1::RunLogEntry* out);
// One batch of log lines, checked field by field: INVALID_ARGUMENT names the
// path under `path`, e.g. `attempts[0].lines[3].stream`. Lines without a
// time get `now`.
absl::StatusOr<store::LogBatch> FromProto(const v1::AttemptLogs& in, const std::string& path,
                                          absl::Time now);
google::protobuf::Duration ToProtoDuration(absl::Duration d);
google::protobuf::Timestamp ToProtoTime(absl::Time t);  // finite times only

engine::AttemptClaim FromProto(const v1::AttemptRef& ref);
// The outcome a checked report (CheckCompletion) carries.
engine::ReportedOutcome OutcomeFromProto(const v1::CompleteAttemptRequest& request);

}  // namespace baton::service
