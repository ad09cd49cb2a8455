// Deployments: a flow, its schedules, default parameters, environment, tags,
// work queue and scheduling policies, from a YAML or JSON file.
//
//   name: daily-0900
//   flow: daily-job
//   flow_version: 3                 # optional: pinned; default the latest at each fire
//   description: the course's daily job
//   schedules:
//     - cron: "0 9 * * *"
//       timezone: Europe/Madrid     # default UTC
//       start: 2026-01-01T00:00:00Z # optional, RFC 3339
//       end: 2027-01-01T00:00:00Z   # optional
//     - interval: 6h                # or an interval ...
//       anchor: 2026-01-01T03:00:00Z   # ... counted from an anchor (default the epoch)
//   parameters: {items: [1, 2, 3]}  # over the flow's defaults
//   env:                            # given to every task of its runs
//     LOG_LEVEL: info
//     API_TOKEN: {value: s3cr3t, secret: true}   # never shown in output or logs
//   tags: [week-10]
//   work_queue: etl                 # tasks on the "default" queue go here instead
//   paused: false
//   catch_up: {policy: skip}        # skip | latest | all (with max: 10, within: 24h)
//   overlap: allow                  # allow | skip | buffer_one | cancel_previous
//   late_after: 5m                  # a run starting later than this is marked late
//
// Pure; thread-compatible.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/limits.h"
#include "common/spec/cron.h"
#include "nlohmann/json.hpp"

namespace baton {

// Bounds (kMaxDeploymentFileBytes, kMaxEnvVars, kMaxTags, ...): common/base/limits.h.

struct ScheduleSpec {
  // Exactly one of cron / interval.
  std::string cron;              // the expression as written; parsed by cron::ParseCron
  std::string timezone = "UTC";  // IANA name
  absl::Duration interval = absl::ZeroDuration();  // 1 s .. 366 days
  absl::Time anchor = absl::UnixEpoch();
  absl::Time start = absl::InfinitePast();  // fires before it are not scheduled
  absl::Time end = absl::InfiniteFuture();  // nor after it
};

struct EnvVar {
  std::string value;
  bool secret = false;
};

struct CatchUpPolicy {
  enum class Kind { kSkip, kLatest, kAll };
  Kind kind = Kind::kSkip;
  int max = 10;                             // kAll: at most this many missed fires, 1..1000
  absl::Duration within = absl::Hours(24);  // kAll: only fires this recent, 1 min .. 366 days
};

enum class OverlapPolicy { kAllow, kSkip, kBufferOne, kCancelPrevious };

struct DeploymentSpec {
  std::string name;          // valid name (common/spec/flow.h IsValidName)
  std::string flow;          // valid name
  int32_t flow_version = 0;  // 0: the latest at each fire
  std::string description;
  std::vector<ScheduleSpec> schedules;  // 0..kMaxSchedulesPerDeployment (0: run on demand only)
  nlohmann::json parameters = nlohmann::json::object();
  std::map<std::string, EnvVar> env;  // names [A-Za-z_][A-Za-z0-9_]*, at most kMaxEnvVars
  std::vector<std::string> tags;      // valid names, unique, at most kMaxTags
  std::string work_queue;             // empty: the tasks' own queues
  bool paused = false;
  CatchUpPolicy catch_up;
  OverlapPolicy overlap = OverlapPolicy::kAllow;
  absl::Duration late_after = absl::Minutes(5);  // 0 .. 1 day
};

// Parses and validates a deployment file. Errors are INVALID_ARGUMENT,
// formatted like flow files: `<source>: <field path> (line L, column C): <what>;
// expected <what>`. Cron expressions and time zones are checked with
// cron::ParseCron / cron::LoadZone (their message follows the field path, e.g.
// `deploy.yaml: schedules[0].cron (line 5, column 11): cron "*/0 * * * *":
// minute field at position 1: step 0; expected a step of 1 or more`).
// Unknown keys are errors. Nothing about the flow itself is checked here (the
// orchestrator checks that the flow exists and the parameters fit it).
absl::StatusOr<DeploymentSpec> ParseDeploymentSpec(absl::string_view text,
                                                   absl::string_view source_name);

// Canonical JSON (durations in ms, times as RFC 3339 strings, secrets
// included: this form is what the orchestrator stores) and its inverse, which
// validates like the parser.
nlohmann::json DeploymentSpecToJson(const DeploymentSpec& spec);
absl::StatusOr<DeploymentSpec> DeploymentSpecFromJson(const nlohmann::json& json,
                                                      absl::string_view source_name);

// Env as shown to people: secret values replaced by "***".
nlohmann::json RedactedEnv(const std::map<std::string, EnvVar>& env);

absl::string_view Name(OverlapPolicy policy);  // "allow", "skip", "buffer_one", "cancel_previous"
absl::string_view Name(CatchUpPolicy::Kind kind);  // "skip", "latest", "all"

// The next `count` fire times after `after` of all schedules together (merged,
// ascending, each instant once), honouring start/end; cron schedules per the
// rule in common/spec/cron.h, intervals at anchor + k * interval.
std::vector<absl::Time> NextDeploymentFires(const DeploymentSpec& spec, absl::Time after,
                                            int count);

}  // namespace baton
