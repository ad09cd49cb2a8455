#include "worker/task_context.h"

#include <chrono>

#include "spdlog/spdlog.h"

namespace baton::worker {
namespace {

std::vector<std::string> SecretValues(const std::map<std::string, std::string>& env,
                                      const std::vector<std::string>& names) {
  std::vector<std::string> values;
  for (const std::string& name : names) {
    auto it = env.find(name);
    if (it != env.end()) values.push_back(it->second);
  }
  return values;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

spdlog::level::level_enum SpdlogLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

TaskContext::TaskContext(Identity identity, nlohmann::json config, absl::Time deadline,
                         std::map<std::string, std::string> env,
                         const std::vector<std::string>& secret_env)
    : identity_(std::move(identity)),
      config_(std::move(config)),
      deadline_(deadline),
      env_(std::move(env)),
      log_(SecretValues(env_, secret_env)) {}

void TaskContext::Log(LogLevel level, absl::string_view message) {
  const std::string kept = log_.Add("log", LevelName(level), message);
  spdlog::log(SpdlogLevel(level), "{}", kept);
}

void TaskContext::LogOutput(absl::string_view stream, absl::string_view line) {
  const std::string kept = log_.Add(stream, "info", line);
  spdlog::debug("{}: {}", std::string(stream), kept);
}

std::string TaskContext::cancel_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancel_reason_;
}

bool TaskContext::WaitForCancel(absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return cancelled(); });
}

void TaskContext::Cancel(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled()) return;
    cancel_reason_ = reason;
    cancelled_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
}

}  // namespace baton::worker
