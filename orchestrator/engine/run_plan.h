// Turning a flow version and run parameters into the rows of a new run.
// Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/spec/flow.h"
#include "nlohmann/json.hpp"

namespace baton::engine {

struct PlannedTask {
  std::string name;
  std::string handler;
  std::string queue;
  nlohmann::json config;
  std::vector<std::string> depends_on;
  RetryPolicy retry;      // in force (flow default applied)
  TaskTimeouts timeouts;  // in force (flow defaults applied)
  std::optional<CircuitBreakerSpec> circuit_breaker;
  std::string fallback;      // the task standing in for this one
  std::string fallback_for;  // set on a fallback task
};

struct RunPlan {
  std::string flow_name;
  int32_t flow_version = 0;
  nlohmann::json parameters;                      // defaults applied
  std::vector<std::string> result_tasks;          // whose results make the run's result
  std::vector<PlannedTask> tasks;                 // dependency order
  std::string idempotency_key;                    // empty: none
  absl::Duration timeout = absl::ZeroDuration();  // the whole run; zero: none
  // Set for runs of a deployment:
  std::string deployment_id;
  nlohmann::json env = nlohmann::json::object();  // {"NAME": {"value", "secret"}}
  std::vector<std::string> tags;
  std::string work_queue;      // tasks on the "default" queue were moved here
  std::string correlation_id;  // empty: generated
};

// Moves the plan's tasks on the "default" queue to `work_queue` (if not empty).
void ApplyWorkQueue(RunPlan& plan, const std::string& work_queue);

// INVALID_ARGUMENT for bad parameters (unknown, missing, too large) or an
// idempotency key longer than kMaxIdempotencyKeyLength.
absl::StatusOr<RunPlan> PlanRun(const FlowSpec& spec, int32_t flow_version,
                                const nlohmann::json& given_parameters,
                                const std::string& idempotency_key);

}  // namespace baton::engine
