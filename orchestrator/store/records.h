// Plain data read from and written to the store. No libpqxx, no gRPC.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/spec/flow.h"
#include "nlohmann/json.hpp"
#include "orchestrator/model/states.h"

namespace baton::store {

// Absent timestamps are absl::InfinitePast().
struct FlowRecord {
  std::string name;
  int32_t version = 0;
  std::string description;
  nlohmann::json spec_json;  // canonical JSON (common/spec/flow.h), as stored
  FlowSpec spec;             // decoded from spec_json
  std::string digest;
  absl::Time created_at;
};

struct AttemptRecord {
  int32_t number = 0;
  model::AttemptState state = model::AttemptState::kRunning;
  std::string worker_id;
  std::string worker_name;
  absl::Time leased_at = absl::InfinitePast();
  absl::Time last_heartbeat_at = absl::InfinitePast();
  absl::Time lease_expires_at = absl::InfinitePast();
  absl::Time ended_at = absl::InfinitePast();
  std::string error;
  std::string error_type;
  std::string decision;                       // what followed, and why
  std::optional<absl::Duration> retry_delay;  // set when it was retried
  std::optional<absl::Duration> retry_base_delay;
  std::optional<double> jitter_sample;
  absl::Time execution_deadline = absl::InfinitePast();
  int32_t log_lines = 0;          // lines of its log kept
  int32_t log_lines_dropped = 0;  // over the bound per attempt, or lost in transit
};

struct TaskRunRecord {
  int64_t id = 0;
  std::string name;
  std::string handler;
  std::string queue;
  model::TaskRunState state = model::TaskRunState::kPending;
  // READY tasks no online worker serves: what is missing (engine::MissingRoute).
  std::string waiting_for;
  std::vector<std::string> depends_on;
  nlohmann::json result;  // null when none
  std::string error;
  int32_t attempt_count = 0;
  absl::Time ready_at = absl::InfinitePast();
  absl::Time started_at = absl::InfinitePast();
  absl::Time ended_at = absl::InfinitePast();
  std::vector<AttemptRecord> attempts;
  std::string resolution;
  std::string fallback;
  std::string fallback_for;
  std::string breaker_key;
  absl::Time not_before = absl::InfinitePast();
  bool cancel_requested = false;
};

struct TransitionRecord {
  int64_t id = 0;      // state_transitions.id: orders a run's transitions
  std::string entity;  // run, task, attempt, breaker
  int64_t task_run_id = 0;
  std::string task_name;
  int32_t attempt = 0;
  std::string breaker_key;
  std::string from_state;
  std::string to_state;
  std::string reason;
  absl::Time at = absl::InfinitePast();
};

struct RunRecord {
  std::string id;
  std::string flow_name;
  int32_t flow_version = 0;
  model::FlowRunState state = model::FlowRunState::kPending;
  nlohmann::json parameters;
  nlohmann::json result;  // null when none
  std::string error;
  std::string idempotency_key;
  absl::Time created_at = absl::InfinitePast();
  absl::Time started_at = absl::InfinitePast();
  absl::Time ended_at = absl::InfinitePast();
  std::vector<TaskRunRecord> tasks;  // filled by GetRun, in dependency order
  std::string cancel_reason;
  absl::Time deadline = absl::InfinitePast();
  std::vector<TransitionRecord> history;  // filled by GetRun, oldest first
  std::string deployment_id;
  absl::Time scheduled_time = absl::InfinitePast();
  bool late = false;
  std::vector<std::string> tags;
  nlohmann::json env = nlohmann::json::object();  // {"NAME": {"value", "secret"}}: redact to show
  std::string correlation_id;
};

struct WorkerRecord {
  std::string id;
  std::string name;
  std::vector<std::string> queues;
  std::map<std::string, std::string> labels;
  std::vector<std::string> handlers;
  int32_t slots = 0;
  std::string version;
  absl::Time registered_at = absl::InfinitePast();
  absl::Time last_seen_at = absl::InfinitePast();
  absl::Time stopped_at = absl::InfinitePast();
  int32_t running_attempts = 0;
  bool online = false;  // seen within the liveness window and not stopped
};

struct LeaseRecord {
  int64_t task_run_id = 0;
  int32_t attempt = 0;
  std::string lease_token;
  std::string run_id;
  std::string flow_name;
  int32_t flow_version = 0;
  std::string task_name;
  std::string handler;
  nlohmann::json input;
  nlohmann::json config;
  absl::Time lease_expires_at = absl::InfinitePast();
  absl::Duration execution_timeout = absl::ZeroDuration();  // zero: none
  absl::Duration heartbeat_timeout = absl::ZeroDuration();  // zero: the orchestrator's lease
  std::map<std::string, std::string> env;                   // the run's environment
  std::vector<std::string> secret_env;                      // names in env that are secret
  std::string correlation_id;
  // The run's scheduled time (a deployment's fire), else when it was submitted.
  absl::Time scheduled_time = absl::InfinitePast();
};

}  // namespace baton::store
