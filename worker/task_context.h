// What a handler sees of the attempt it runs, and the handler signature.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/secret_mask.h"
#include "nlohmann/json.hpp"
#include "worker/attempt_log.h"

namespace baton::worker {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Identity and options of one leased attempt, plus its cancellation signal
// and its log.
// Thread-safe: the worker's heartbeat loop cancels it while a handler thread
// reads it.
class TaskContext {
 public:
  struct Identity {
    std::string run_id;
    std::string flow_name;
    std::string task_name;
    int64_t task_run_id = 0;
    int32_t attempt = 0;
    std::string handler;
    std::string correlation_id;  // the run's; pass it on to downstream calls
    // When the run was meant to start: a deployment's fire time, else its
    // submit time (InfinitePast from an orchestrator that does not say).
    absl::Time scheduled_time = absl::InfinitePast();
  };

  // `secret_env` names the entries of `env` whose values are masked in logs.
  TaskContext(Identity identity, nlohmann::json config,
              absl::Time deadline = absl::InfiniteFuture(),
              std::map<std::string, std::string> env = {},
              const std::vector<std::string>& secret_env = {});
  TaskContext(const TaskContext&) = delete;
  TaskContext& operator=(const TaskContext&) = delete;

  const Identity& identity() const { return identity_; }
  // The task's `config` object from the flow file.
  const nlohmann::json& config() const { return config_; }

  // When the attempt's execution timeout passes (InfiniteFuture: none). The
  // worker cancels the context then; handlers may use it to size their work.
  absl::Time deadline() const { return deadline_; }

  // The run's environment (a deployment's env, secrets included): `exec`
  // commands get it; handlers read it here. Never log it.
  const std::map<std::string, std::string>& env() const { return env_; }

  // Logs `message` for this attempt: shipped to the orchestrator (`baton run
  // logs`) and written to the worker's own log, with the run's secret values
  // masked. Bounded per attempt; lines past the bound are counted, not kept.
  void Log(LogLevel level, absl::string_view message);
  void Info(absl::string_view message) { Log(LogLevel::kInfo, message); }
  void Warn(absl::string_view message) { Log(LogLevel::kWarn, message); }
  void Error(absl::string_view message) { Log(LogLevel::kError, message); }

  // One line a command wrote ("stdout" or "stderr"): shipped like Log, and
  // written to the worker's own log at debug level.
  void LogOutput(absl::string_view stream, absl::string_view line);

  // The run's secret values. Mask them in anything that leaves the handler
  // *before* cutting it to a bound, or the cut may keep part of one.
  const SecretMask& secrets() const { return log_.mask(); }
  // `text` with the run's secret values masked (error messages included).
  std::string Redact(absl::string_view text) const { return secrets().Apply(text); }
  // `value` with the run's secret values masked in its strings and keys: the
  // result as reported, stored and passed to downstream tasks.
  nlohmann::json RedactJson(const nlohmann::json& value) const {
    return secrets().ApplyToJson(value);
  }

  // The lines waiting to be shipped (the worker runtime takes them).
  AttemptLog& log() { return log_; }

  // True once the attempt must stop: the run was cancelled, the lease was
  // lost, or the worker is shutting down. Handlers that run long should check
  // it (or use WaitForCancel) and return promptly.
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  std::string cancel_reason() const;

  // Sleeps up to `timeout`; returns true early if the attempt is cancelled.
  bool WaitForCancel(absl::Duration timeout) const;

  // Called by the worker runtime.
  void Cancel(const std::string& reason);

 private:
  const Identity identity_;
  const nlohmann::json config_;
  const absl::Time deadline_;
  const std::map<std::string, std::string> env_;
  AttemptLog log_;
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::string cancel_reason_;
};

// A handler turns the task input into a JSON result, or fails with a Status
// whose message is reported as the attempt's error. Input is
//   {"params": {flow parameters}, "upstream": {"<task>": <result>, ...}}
using Handler =
    std::function<absl::StatusOr<nlohmann::json>(TaskContext&, const nlohmann::json& input)>;

}  // namespace baton::worker
