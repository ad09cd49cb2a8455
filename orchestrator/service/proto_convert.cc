#include "orchestrator/service/proto_convert.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "common/base/log_text.h"
#include "orchestrator/service/request_checks.h"

namespace baton::service {
namespace {

using google::protobuf::Duration;
using google::protobuf::Timestamp;

// Absent times (InfinitePast) stay unset on the wire.

template <typename Msg, typename Setter>
void MaybeSetTime(absl::Time t, Msg* msg, Setter mutable_field) {
  if (t == absl::InfinitePast()) return;
  *(msg->*mutable_field)() = ToProtoTime(t);
}

template <typename Msg, typename Setter>
void MaybeSetDuration(absl::Time from, absl::Time to, Msg* msg, Setter mutable_field) {
  if (from == absl::InfinitePast() || to == absl::InfinitePast()) return;
  *(msg->*mutable_field)() = google::protobuf::util::TimeUtil::MicrosecondsToDuration(
      absl::ToInt64Microseconds(to - from));
}

}  // namespace

google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

google::protobuf::Duration ToProtoDuration(absl::Duration d) {
  return google::protobuf::util::TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(d));
}

namespace {

std::string JsonText(const nlohmann::json& value) { return value.is_null() ? "" : value.dump(); }

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
  out->set_error_type(in.error_type);
  out->set_decision(in.decision);
  if (in.retry_delay) *out->mutable_retry_delay() = ToProtoDuration(*in.retry_delay);
  if (in.retry_base_delay) *out->mutable_retry_base_delay() = ToProtoDuration(*in.retry_base_delay);
  if (in.jitter_sample) out->set_jitter_sample(*in.jitter_sample);
  MaybeSetTime(in.execution_deadline, out, &v1::Attempt::mutable_execution_deadline);
  out->set_log_lines(in.log_lines);
  out->set_log_lines_dropped(in.log_lines_dropped);
}

void TransitionToProto(const store::TransitionRecord& in, v1::Transition* out) {
  out->set_entity(in.entity);
  out->set_task_run_id(in.task_run_id);
  out->set_task_name(in.task_name);
  out->set_attempt(in.attempt);
  out->set_breaker_key(in.breaker_key);
  out->set_from_state(in.from_state);
  out->set_to_state(in.to_state);
  out->set_reason(in.reason);
  MaybeSetTime(in.at, out, &v1::Transition::mutable_at);
  out->set_id(in.id);
}

void TaskToProto(const store::TaskRunRecord& in, v1::TaskRun* out) {
  out->set_id(in.id);
  out->set_name(in.name);
  out->set_handler(in.handler);
  out->set_queue(in.queue);
  out->set_waiting_for(in.waiting_for);
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
  out->set_resolution(in.resolution);
  out->set_fallback(in.fallback);
  out->set_fallback_for(in.fallback_for);
  out->set_breaker_key(in.breaker_key);
  MaybeSetTime(in.not_before, out, &v1::TaskRun::mutable_not_before);
  out->set_cancel_requested(in.cancel_requested);
}

}  // namespace

v1::FlowRunState ToProto(model::FlowRunState s) {
  return static_cast<v1::FlowRunState>(static_cast<int>(s) + 1);
}
v1::TaskRunState ToProto(model::TaskRunState s) {
  return static_cast<v1::TaskRunState>(static_cast<int>(s) + 1);
}
v1::AttemptState ToProto(model::AttemptState s) {
  return static_cast<v1::AttemptState>(static_cast<int>(s) + 1);
}
std::optional<model::FlowRunState> FromProto(v1::FlowRunState s) {
  if (s == v1::FLOW_RUN_STATE_UNSPECIFIED) return std::nullopt;
  return static_cast<model::FlowRunState>(static_cast<int>(s) - 1);
}

void ToProto(const store::FlowRecord& in, v1::Flow* out) {
  out->set_name(in.name);
  out->set_version(in.version);
  out->set_description(in.description);
  out->set_spec_json(in.spec_json.dump());
  out->set_digest(in.digest);
  MaybeSetTime(in.created_at, out, &v1::Flow::mutable_created_at);
  if (in.spec_json.contains("tasks")) {
    for (const auto& t : in.spec_json["tasks"]) out->add_task_names(t.value("name", ""));
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
  out->set_cancel_reason(in.cancel_reason);
  out->set_deployment_id(in.deployment_id);
  out->set_correlation_id(in.correlation_id);
  MaybeSetTime(in.scheduled_time, out, &v1::Run::mutable_scheduled_time);
  out->set_late(in.late);
  for (const auto& tag : in.tags) out->add_tags(tag);
  for (const auto& [name, var] : in.env.items()) {
    (*out->mutable_env())[name] = var.value("secret", false) ? "***" : var.value("value", "");
  }
  MaybeSetTime(in.deadline, out, &v1::Run::mutable_deadline);
  for (const auto& h : in.history) TransitionToProto(h, out->add_history());
}

void ToProto(const store::BreakerRecord& in, v1::Breaker* out) {
  out->set_key(in.key);
  out->set_state(std::string(engine::Name(in.breaker.state)));
  out->set_failures(in.breaker.failures);
  out->set_failure_threshold(in.spec.failure_threshold);
  *out->mutable_window() = ToProtoDuration(in.spec.window);
  *out->mutable_cooldown() = ToProtoDuration(in.spec.cooldown);
  if (in.breaker.state == engine::BreakerState::kOpen) {
    MaybeSetTime(in.breaker.open_until, out, &v1::Breaker::mutable_open_until);
  }
  out->set_probe_task_run_id(in.breaker.probe_task_run_id);
  MaybeSetTime(in.updated_at, out, &v1::Breaker::mutable_updated_at);
}

void ToProto(const store::WorkerRecord& in, v1::WorkerInfo* out) {
  out->set_id(in.id);
  out->set_name(in.name);
  for (const auto& q : in.queues) out->add_queues(q);
  for (const auto& [k, v] : in.labels) (*out->mutable_labels())[k] = v;
  for (const auto& h : in.handlers) out->add_handlers(h);
  out->set_slots(in.slots);
  const bool stopped = in.stopped_at != absl::InfinitePast();
  out->set_state(stopped     ? v1::WorkerInfo::STOPPED
                 : in.online ? v1::WorkerInfo::ONLINE
                             : v1::WorkerInfo::LOST);
  out->set_running_attempts(in.running_attempts);
  MaybeSetTime(in.registered_at, out, &v1::WorkerInfo::mutable_registered_at);
  MaybeSetTime(in.last_seen_at, out, &v1::WorkerInfo::mutable_last_seen_at);
}

absl::StatusOr<store::LogBatch> FromProto(const v1::AttemptLogs& in, const std::string& path,
                                          absl::Time now) {
  if (in.lines_size() > kMaxLogLinesPerBatch) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".lines: ", in.lines_size(),
                                                   " lines; expected at most ",
                                                   kMaxLogLinesPerBatch, " per batch"));
  }
  if (auto s = CheckRange(path + ".dropped", in.dropped(), 0, INT32_MAX); !s.ok()) return s;
  store::LogBatch batch;
  batch.claim = FromProto(in.attempt());
  batch.dropped_by_worker = in.dropped();
  for (int i = 0; i < in.lines_size(); ++i) {
    const v1::LogLine& line = in.lines(i);
    const std::string at = absl::StrCat(path, ".lines[", i, "]");
    if (!IsLogStream(line.stream())) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".stream: \"", line.stream().substr(0, 40),
                                                     "\"; expected log, stdout or stderr"));
    }
    if (!IsLogLevel(line.level())) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".level: \"", line.level().substr(0, 40),
                                                     "\"; expected debug, info, warn or error"));
    }
    if (auto s = CheckLength(at + ".message", line.message(), kMaxLogLineBytes); !s.ok()) return s;
    if (line.message().find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".message: contains a NUL character; expected text without one"));
    }
    absl::Time time = now;
    if (line.has_time()) {
      auto parsed = FromTimestamp(at + ".time", line.time());
      if (!parsed.ok()) return parsed.status();
      time = *parsed;
    }
    batch.lines.push_back({time, line.stream(), line.level(), line.message()});
  }
  return batch;
}

void ToProto(const store::RunLogRecord& in, v1::RunLogEntry* out) {
  out->set_id(in.id);
  out->set_task_name(in.task_name);
  out->set_task_run_id(in.task_run_id);
  out->set_attempt(in.attempt);
  out->set_worker_id(in.worker_id);
  v1::LogLine* line = out->mutable_line();
  *line->mutable_time() = ToProtoTime(in.line.time);
  line->set_stream(in.line.stream);
  line->set_level(in.line.level);
  line->set_message(in.line.message);
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
  if (in.execution_timeout > absl::ZeroDuration()) {
    *out->mutable_execution_timeout() = ToProtoDuration(in.execution_timeout);
  }
  if (in.heartbeat_timeout > absl::ZeroDuration()) {
    *out->mutable_heartbeat_timeout() = ToProtoDuration(in.heartbeat_timeout);
  }
  out->mutable_env()->insert(in.env.begin(), in.env.end());
  for (const std::string& name : in.secret_env) out->add_secret_env(name);
  out->set_correlation_id(in.correlation_id);
  MaybeSetTime(in.scheduled_time, out, &v1::Lease::mutable_scheduled_time);
}

engine::AttemptClaim FromProto(const v1::AttemptRef& ref) {
  return {ref.task_run_id(), ref.attempt(), ref.lease_token()};
}

engine::ReportedOutcome OutcomeFromProto(const v1::CompleteAttemptRequest& request) {
  engine::ReportedOutcome outcome;
  if (request.outcome_case() == v1::CompleteAttemptRequest::kResultJson) {
    outcome.succeeded = true;
    outcome.result_json = request.result_json();
  } else {
    outcome.error = request.error().message();
    outcome.non_retryable = request.error().non_retryable();
    outcome.error_type = request.error().type();
  }
  return outcome;
}

void ToProto(const store::TransitionRecord& in, v1::Transition* out) { TransitionToProto(in, out); }

}  // namespace baton::service
