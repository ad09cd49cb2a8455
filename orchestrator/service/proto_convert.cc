#include "orchestrator/service/proto_convert.h"

#include <google/protobuf/util/time_util.h>

namespace baton::service {
namespace {

using google::protobuf::Duration;
using google::protobuf::Timestamp;

// Absent times (InfinitePast) stay unset on the wire.

template <typename Msg, typename Setter>
void MaybeSetTime(absl::Time t, Msg* msg, Setter mutable_field) {
  if (t == absl::InfinitePast()) return;
  const int64_t us = absl::ToUnixMicros(t);
  Timestamp* ts = (msg->*mutable_field)();
  ts->set_seconds(us / 1000000 - (us % 1000000 < 0 ? 1 : 0));
  ts->set_nanos(static_cast<int32_t>(((us % 1000000) + 1000000) % 1000000) * 1000);
}

template <typename Msg, typename Setter>
void MaybeSetDuration(absl::Time from, absl::Time to, Msg* msg, Setter mutable_field) {
  if (from == absl::InfinitePast() || to == absl::InfinitePast()) return;
  *(msg->*mutable_field)() =
      google::protobuf::util::TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(to - from));
}

std::string JsonText(const nlohmann::json& value) {
  return value.is_null() ? "" : value.dump();
}

void AttemptToProto(const store::AttemptRecord& in, v1::Attempt* out) {
  out->set_number(in.number);
  out->set_state(ToProto(in.state));
  out->set_worker_id(in.worker_id);
  out->set_worker_name(in.worker_name);
  MaybeSetTime(in.leased_at, out, &v1::Attempt::mutable_leased_at);
  MaybeSetTime(in.last_heartbeat_at, out, &v1::Attempt::mutable_last_heartbeat_at);
  MaybeSetTime(in.lease_expires_at, out, &v1::Attempt::mutable_lease_expires_at);
  MaybeSetTime(in.ended_at, out, &v1::Attempt::mutable_ended_at);
  out->set_error(in.error);
}

void TaskToProto(const store::TaskRunRecord& in, v1::TaskRun* out) {
  out->set_id(in.id);
  out->set_name(in.name);
  out->set_handler(in.handler);
  out->set_queue(in.queue);
  out->set_state(ToProto(in.state));
  for (const auto& d : in.depends_on) out->add_depends_on(d);
  out->set_result_json(JsonText(in.result));
  out->set_error(in.error);
  out->set_attempt_count(in.attempt_count);
  MaybeSetTime(in.ready_at, out, &v1::TaskRun::mutable_ready_at);
  MaybeSetTime(in.started_at, out, &v1::TaskRun::mutable_started_at);
  MaybeSetTime(in.ended_at, out, &v1::TaskRun::mutable_ended_at);
  MaybeSetDuration(in.started_at, in.ended_at, out, &v1::TaskRun::mutable_duration);
  for (const auto& a : in.attempts) AttemptToProto(a, out->add_attempts());
}

}  // namespace

v1::FlowRunState ToProto(engine::FlowRunState s) {
  return static_cast<v1::FlowRunState>(static_cast<int>(s) + 1);
}
v1::TaskRunState ToProto(engine::TaskRunState s) {
  return static_cast<v1::TaskRunState>(static_cast<int>(s) + 1);
}
v1::AttemptState ToProto(engine::AttemptState s) {
  return static_cast<v1::AttemptState>(static_cast<int>(s) + 1);
}
std::optional<engine::FlowRunState> FromProto(v1::FlowRunState s) {
  if (s == v1::FLOW_RUN_STATE_UNSPECIFIED) return std::nullopt;
  return static_cast<engine::FlowRunState>(static_cast<int>(s) - 1);
}

void ToProto(const store::FlowRecord& in, v1::Flow* out) {
  out->set_name(in.name);
  out->set_version(in.version);
  out->set_description(in.description);
  out->set_spec_json(in.spec.dump());
  out->set_digest(in.digest);
  MaybeSetTime(in.created_at, out, &v1::Flow::mutable_created_at);
  if (in.spec.contains("tasks")) {
    for (const auto& t : in.spec["tasks"]) out->add_task_names(t.value("name", ""));
  }
}

void ToProto(const store::RunRecord& in, v1::Run* out) {
  out->set_id(in.id);
  out->set_flow_name(in.flow_name);
  out->set_flow_version(in.flow_version);
  out->set_state(ToProto(in.state));
  out->set_parameters_json(JsonText(in.parameters));
  out->set_result_json(JsonText(in.result));
  out->set_error(in.error);
  out->set_idempotency_key(in.idempotency_key);
  MaybeSetTime(in.created_at, out, &v1::Run::mutable_created_at);
  MaybeSetTime(in.started_at, out, &v1::Run::mutable_started_at);
  MaybeSetTime(in.ended_at, out, &v1::Run::mutable_ended_at);
  MaybeSetDuration(in.started_at, in.ended_at, out, &v1::Run::mutable_duration);
  for (const auto& t : in.tasks) TaskToProto(t, out->add_tasks());
}

void ToProto(const store::WorkerRecord& in, v1::WorkerInfo* out) {
  out->set_id(in.id);
  out->set_name(in.name);
  for (const auto& q : in.queues) out->add_queues(q);
  for (const auto& [k, v] : in.labels) (*out->mutable_labels())[k] = v;
  for (const auto& h : in.handlers) out->add_handlers(h);
  out->set_slots(in.slots);
  const bool stopped = in.stopped_at != absl::InfinitePast();
  out->set_state(stopped ? v1::WorkerInfo::STOPPED
                         : in.online ? v1::WorkerInfo::ONLINE : v1::WorkerInfo::LOST);
  out->set_running_attempts(in.running_attempts);
  MaybeSetTime(in.registered_at, out, &v1::WorkerInfo::mutable_registered_at);
  MaybeSetTime(in.last_seen_at, out, &v1::WorkerInfo::mutable_last_seen_at);
}

void ToProto(const store::LeaseRecord& in, v1::Lease* out) {
  v1::AttemptRef* ref = out->mutable_attempt();
  ref->set_task_run_id(in.task_run_id);
  ref->set_attempt(in.attempt);
  ref->set_lease_token(in.lease_token);
  out->set_run_id(in.run_id);
  out->set_flow_name(in.flow_name);
  out->set_flow_version(in.flow_version);
  out->set_task_name(in.task_name);
  out->set_handler(in.handler);
  out->set_input_json(in.input.dump());
  out->set_config_json(in.config.dump());
  MaybeSetTime(in.lease_expires_at, out, &v1::Lease::mutable_lease_expires_at);
}

engine::AttemptClaim FromProto(const v1::AttemptRef& ref) {
  return {ref.task_run_id(), ref.attempt(), ref.lease_token()};
}

}  // namespace baton::service
