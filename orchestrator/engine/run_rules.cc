#include "orchestrator/engine/run_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/base/json_util.h"

namespace baton::engine {

using model::AttemptState;
using model::FlowRunState;
using model::IsTerminal;
using model::TaskRunState;

namespace {

AttemptDecision Failure(std::string error) {
  return {AttemptState::kFailed, TaskRunState::kFailed, nullptr,
          BoundErrorMessage(std::move(error))};
}

}  // namespace

AttemptDecision DecideAttempt(const ReportedOutcome& outcome) {
  if (!outcome.succeeded) {
    return Failure(outcome.error.empty() ? "handler failed without a message" : outcome.error);
  }
  if (outcome.result_json.size() > kMaxResultBytes) {
    return Failure(absl::StrCat("result of ", outcome.result_json.size(),
                                " bytes exceeds the bound of ", kMaxResultBytes, " bytes"));
  }
  if (auto s = CheckJsonNesting(outcome.result_json, "result"); !s.ok()) {
    return Failure(std::string(s.message()));
  }
  nlohmann::json result = nlohmann::json::parse(outcome.result_json, nullptr, false);
  if (result.is_discarded()) {
    return Failure("result is not valid JSON");
  }
  if (ContainsNulCharacter(result)) {
    return Failure("result contains the character U+0000 (NUL), which cannot be stored");
  }
  return {AttemptState::kSucceeded, TaskRunState::kCompleted, std::move(result), ""};
}

nlohmann::json BuildTaskInput(const nlohmann::json& parameters,
                              const std::map<std::string, nlohmann::json>& upstream_results) {
  nlohmann::json upstream = nlohmann::json::object();
  for (const auto& [name, result] : upstream_results) upstream[name] = result;
  return {{"params", parameters}, {"upstream", std::move(upstream)}};
}

std::optional<RunEnd> DecideRunEnd(const std::vector<TaskStateView>& tasks,
                                   std::optional<FlowRunState> forced_end,
                                   const std::string& forced_reason) {
  std::map<std::string, TaskRunState> state_of;
  for (const TaskStateView& task : tasks) {
    if (!IsTerminal(task.state)) return std::nullopt;
    state_of[task.name] = task.state;
  }
  if (forced_end) return RunEnd{*forced_end, BoundErrorMessage(forced_reason)};
  std::vector<std::string> failures;
  bool any_skipped = false;
  for (const TaskStateView& task : tasks) {
    if (task.state == TaskRunState::kCompleted) continue;
    const bool is_fallback = !task.fallback_for.empty();
    const bool covered =
        !task.fallback_name.empty() && state_of[task.fallback_name] == TaskRunState::kCompleted;
    if (covered || (is_fallback && task.state == TaskRunState::kSkipped)) continue;
    if (task.state == TaskRunState::kSkipped) {
      any_skipped = true;
      continue;
    }
    failures.push_back(absl::StrCat(is_fallback ? "fallback task \"" : "task \"", task.name, "\" ",
                                    Name(task.state), task.error.empty() ? "" : ": ", task.error));
  }
  if (failures.empty()) {
    if (!any_skipped) return RunEnd{FlowRunState::kCompleted, ""};
    failures.push_back("tasks were skipped");
  }
  return RunEnd{FlowRunState::kFailed, BoundErrorMessage(absl::StrJoin(failures, "; "))};
}

nlohmann::json BuildRunResult(const std::vector<std::string>& result_tasks,
                              const std::map<std::string, nlohmann::json>& results) {
  auto result_of = [&](const std::string& name) {
    auto it = results.find(name);
    return it == results.end() ? nlohmann::json() : it->second;
  };
  if (result_tasks.size() == 1) return result_of(result_tasks.front());
  nlohmann::json combined = nlohmann::json::object();
  for (const std::string& name : result_tasks) combined[name] = result_of(name);
  return combined;
}

std::string BoundErrorMessage(std::string message) {
  if (message.find('\0') != std::string::npos) {
    message = absl::StrReplaceAll(message, {{absl::string_view("\0", 1), "\\0"}});
  }
  if (message.size() <= kMaxErrorMessageBytes) return message;
  size_t cut = kMaxErrorMessageBytes;
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
  message.resize(cut);
  return message + "... (truncated)";
}

}  // namespace baton::engine
