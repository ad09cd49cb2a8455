#include "tests/chaos/soak_flows.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace baton::chaos {
namespace {

using nlohmann::json;

// Fan-out and join over every built-in handler; exec tasks print their result.
constexpr char kDag[] = R"yaml(name: chaos-dag
description: fan-out and join of sleep, exec and noop tasks (designed to complete)
result: join
defaults:
  retry: {max_attempts: 40, backoff: {initial: 200ms, factor: 2, max: 2s}, jitter: 0.2}
tasks:
  - {name: a, handler: sleep, config: {seconds: 1}}
  - name: b
    handler: exec
    timeout: 30s
    config: {command: sh, args: ['-c', 'sleep 3; echo ''{"b": 3}'''], kill_grace_seconds: 1}
  - {name: c, handler: noop}
  - {name: d, handler: sleep, depends_on: [a, c], config: {seconds: 0.5}}
  - name: join
    handler: exec
    depends_on: [b, d]
    config: {command: sh, args: ['-c', 'echo ''{"joined": true}''']}
)yaml";

// Fails its first two attempts for sure (by attempt number), then returns 42.
constexpr char kFlaky[] = R"yaml(name: chaos-flaky
description: a call that fails twice, retried with backoff and jitter (designed to complete)
parameters:
  failure_rate: {default: 0}
  fail_first: {default: 2}
result: call
tasks:
  - name: call
    handler: course.flaky_call
    queue: example
    config: {work_seconds: 1}
    timeout: 20s
    retry: {max_attempts: 40, backoff: {initial: 300ms, factor: 2, max: 2s}, jitter: 0.3}
  - name: after
    handler: noop
    depends_on: [call]
    retry: {max_attempts: 40, delay: 500ms}
)yaml";

// A primary behind a shared breaker, a fallback standing in for it.
constexpr char kBreaker[] = R"yaml(name: chaos-breaker
description: a primary behind a circuit breaker with a fallback (designed to complete)
parameters:
  q: {default: soak}
  primary_down: {default: false}
result: answer
defaults:
  retry: {max_attempts: 40, delay: 500ms}
tasks:
  - name: primary
    handler: course.primary_provider
    queue: example
    retry: {max_attempts: 2, delay: 200ms}
    circuit_breaker: {key: chaos-primary, failure_threshold: 3, window: 1m, cooldown: 5s, when_open: fallback}
    fallback: secondary
  - name: secondary
    handler: course.secondary_provider
    queue: example
    config: {latency_seconds: 0.5}
  - name: answer
    handler: course.answer
    queue: example
    depends_on: [primary]
)yaml";

// The primary always runs past its timeout; the fallback stands in.
constexpr char kTimeoutFallback[] = R"yaml(name: chaos-timeout-fallback
description: a task timed out for sure, its fallback standing in (designed to complete)
result: report
tasks:
  - name: slow
    handler: exec
    timeout: 1s
    retry: {max_attempts: 1}
    config: {command: sh, args: ['-c', 'sleep 30'], kill_grace_seconds: 1}
    fallback: quick
  - {name: quick, handler: noop, retry: {max_attempts: 40, delay: 500ms}}
  - {name: report, handler: noop, depends_on: [slow], retry: {max_attempts: 40, delay: 500ms}}
)yaml";

constexpr char kExecTimeout[] = R"yaml(name: chaos-exec-timeout
description: an exec task that always runs past its timeout (designed to fail, TIMED_OUT)
tasks:
  - name: hang
    handler: exec
    timeout: 1s
    retry: {max_attempts: 2, delay: 200ms}
    config: {command: sh, args: ['-c', 'sleep 30'], kill_grace_seconds: 1}
)yaml";

constexpr char kFlowTimeout[] = R"yaml(name: chaos-flow-timeout
description: a run that outlives its flow timeout (designed to end TIMED_OUT)
timeout: 3s
tasks:
  - {name: long, handler: sleep, config: {seconds: 30}, retry: {max_attempts: 40, delay: 500ms}}
  - {name: never, handler: noop, depends_on: [long]}
)yaml";

constexpr char kCancel[] = R"yaml(name: chaos-cancel
description: a long task, cancelled by the load two seconds after it is acknowledged
tasks:
  - {name: long, handler: sleep, config: {seconds: 12}, retry: {max_attempts: 40, delay: 500ms}}
  - {name: after, handler: noop, depends_on: [long], retry: {max_attempts: 40, delay: 500ms}}
)yaml";

constexpr char kTick[] = R"yaml(name: chaos-tick
description: fired every minute by a deployment; its environment reaches exec (designed to complete)
result: stamp
defaults:
  retry: {max_attempts: 40, delay: 500ms}
tasks:
  - {name: tick, handler: noop}
  - name: stamp
    handler: exec
    depends_on: [tick]
    config: {command: sh, args: ['-c', 'printf ''{"env": "%s"}\n'' "$CHAOS_ENV"']}
)yaml";

std::string Expect(const json& got, const json& want) {
  return got == want ? "" : absl::StrCat("result ", got.dump(), ", designed ", want.dump());
}

}  // namespace

const char kSoakDeploymentName[] = "chaos-every-minute";
const char kSoakDeploymentYaml[] = R"yaml(name: chaos-every-minute
flow: chaos-tick
schedules:
  - cron: "* * * * *"
env:
  CHAOS_ENV: soak
overlap: skip
catch_up: {policy: all, max: 10, within: 1h}
late_after: 2m
)yaml";

const std::vector<SoakFlow>& SoakFlows() {
  static const auto* flows = new std::vector<SoakFlow>{
      {"chaos-dag", kDag, Design::kComplete, 25},
      {"chaos-flaky", kFlaky, Design::kComplete, 20},
      {"chaos-breaker", kBreaker, Design::kComplete, 20},
      {"chaos-timeout-fallback", kTimeoutFallback, Design::kComplete, 10},
      {"chaos-exec-timeout", kExecTimeout, Design::kFailOnTimeout, 8},
      {"chaos-flow-timeout", kFlowTimeout, Design::kFlowTimeout, 7},
      {"chaos-cancel", kCancel, Design::kCancelWhenAsked, 10},
      {"chaos-tick", kTick, Design::kComplete, 0},
  };
  return *flows;
}

const SoakFlow* FindSoakFlow(const std::string& name) {
  for (const SoakFlow& flow : SoakFlows()) {
    if (flow.name == name) return &flow;
  }
  return nullptr;
}

std::string CheckResult(const std::string& flow, const std::string& parameters_json,
                        const std::string& result_json) {
  const json result = json::parse(result_json, nullptr, false);
  json params = json::parse(parameters_json, nullptr, false);
  if (!params.is_object()) params = json::object();
  if (flow == "chaos-dag") return Expect(result, {{"joined", true}});
  if (flow == "chaos-flaky") return Expect(result, 42);
  if (flow == "chaos-timeout-fallback") return Expect(result, {{"ok", true}});
  if (flow == "chaos-tick") return Expect(result, {{"env", "soak"}});
  if (flow == "chaos-breaker") {
    const json q = params.value("q", json("soak"));
    const std::string text = q.is_string() ? q.get<std::string>() : q.dump();
    const json primary = {{"answer", "primary:" + text}};
    const json secondary = {{"answer", "secondary:" + text}};
    if (params.value("primary_down", json(false)) == json(true)) return Expect(result, secondary);
    return result == primary ? "" : Expect(result, secondary);
  }
  return "";
}

}  // namespace baton::chaos
