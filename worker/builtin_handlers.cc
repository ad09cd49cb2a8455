#include "worker/builtin_handlers.h"

#include <string.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/base/json_util.h"
#include "common/base/limits.h"
#include "common/base/log_text.h"
#include "common/base/secret_mask.h"
#include "common/base/status_macros.h"
#include "common/process/subprocess.h"
#include "worker/handler_errors.h"

namespace baton::worker {
namespace {

using nlohmann::json;

constexpr size_t kMaxValueInMessage = 60;
constexpr size_t kStderrInMessage = 2048;

// Masked before it is cut: the cut must not keep part of a secret.
std::string Describe(const json& value, const SecretMask& secrets) {
  std::string text = secrets.Apply(value.dump(-1, ' ', false, json::error_handler_t::replace));
  if (text.size() <= kMaxValueInMessage) return text;
  return absl::StrCat(text.substr(0, kMaxValueInMessage), "...");
}

// Reads typed fields of one handler's config; errors name the field path,
// e.g. `exec: config.args[1]: expected a string, got 5`. A null config reads
// as an empty object.
class ConfigReader {
 public:
  ConfigReader(absl::string_view handler, const TaskContext& ctx)
      : handler_(handler), config_(ctx.config()), secrets_(ctx.secrets()) {}

  // Rejects a non-object config and unknown fields (a typo must not be
  // silently ignored).
  absl::Status CheckFields(const std::vector<std::string>& known) const {
    if (config_.is_null()) return absl::OkStatus();
    if (!config_.is_object()) return Error("", "an object", config_);
    for (const auto& item : config_.items()) {
      if (std::find(known.begin(), known.end(), item.key()) != known.end()) continue;
      return absl::InvalidArgumentError(absl::StrCat(handler_, ": config.", item.key(),
                                                     ": unknown field; expected one of ",
                                                     absl::StrJoin(known, ", ")));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> RequiredString(const std::string& key) const {
    const json* value = Find(key);
    if (value == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(handler_, ": config.", key, ": missing; expected a non-empty string"));
    }
    if (!value->is_string() || value->get_ref<const std::string&>().empty()) {
      return Error("." + key, "a non-empty string", *value);
    }
    return value->get<std::string>();
  }

  absl::StatusOr<std::string> OptionalString(const std::string& key) const {
    const json* value = Find(key);
    if (value == nullptr) return std::string();
    if (!value->is_string()) return Error("." + key, "a string", *value);
    return value->get<std::string>();
  }

  absl::StatusOr<std::vector<std::string>> StringArray(const std::string& key) const {
    const json* value = Find(key);
    std::vector<std::string> result;
    if (value == nullptr) return result;
    if (!value->is_array()) return Error("." + key, "an array of strings", *value);
    for (size_t i = 0; i < value->size(); ++i) {
      const json& item = (*value)[i];
      if (!item.is_string()) return Error(absl::StrCat(".", key, "[", i, "]"), "a string", item);
      result.push_back(item.get<std::string>());
    }
    return result;
  }

  absl::StatusOr<std::map<std::string, std::string>> StringMap(const std::string& key) const {
    const json* value = Find(key);
    std::map<std::string, std::string> result;
    if (value == nullptr) return result;
    if (!value->is_object()) return Error("." + key, "an object of strings", *value);
    for (const auto& item : value->items()) {
      if (!item.value().is_string()) {
        return Error(absl::StrCat(".", key, ".", item.key()), "a string", item.value());
      }
      result.emplace(item.key(), item.value().get<std::string>());
    }
    return result;
  }

  absl::StatusOr<double> Number(const std::string& key, double min, double max,
                                double fallback) const {
    const json* value = Find(key);
    if (value == nullptr) return fallback;
    if (!value->is_number() || value->get<double>() < min || value->get<double>() > max) {
      return Error("." + key, absl::StrCat("a number from ", min, " to ", max), *value);
    }
    return value->get<double>();
  }

 private:
  const json* Find(const std::string& key) const {
    auto it = config_.find(key);  // end() for a null config
    return it == config_.end() || it->is_null() ? nullptr : &*it;
  }

  absl::Status Error(absl::string_view path, absl::string_view expected, const json& got) const {
    return absl::InvalidArgumentError(absl::StrCat(handler_, ": config", path, ": expected ",
                                                   expected, ", got ", Describe(got, secrets_)));
  }

  const std::string handler_;
  const json& config_;
  const SecretMask& secrets_;
};

struct ExecConfig {
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string working_dir;
  absl::Duration kill_grace;
};

absl::Status CheckEnvNames(const std::map<std::string, std::string>& env) {
  for (const auto& [name, value] : env) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("exec: config.env: variable name \"", name,
                                                     "\" must be non-empty and without '='"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ExecConfig> ParseExecConfig(const TaskContext& ctx) {
  ConfigReader reader("exec", ctx);
  BATON_RETURN_IF_ERROR(
      reader.CheckFields({"command", "args", "env", "working_dir", "kill_grace_seconds"}));
  ExecConfig parsed;
  BATON_ASSIGN_OR_RETURN(parsed.command, reader.RequiredString("command"));
  BATON_ASSIGN_OR_RETURN(parsed.args, reader.StringArray("args"));
  BATON_ASSIGN_OR_RETURN(parsed.env, reader.StringMap("env"));
  BATON_RETURN_IF_ERROR(CheckEnvNames(parsed.env));
  BATON_ASSIGN_OR_RETURN(parsed.working_dir, reader.OptionalString("working_dir"));
  BATON_ASSIGN_OR_RETURN(double grace_seconds, reader.Number("kill_grace_seconds", 0, 3600, 5));
  parsed.kill_grace = absl::Seconds(grace_seconds);
  return parsed;
}

// The run's environment plus who is running: BATON_RUN_ID, BATON_TASK_NAME,
// BATON_ATTEMPT, BATON_CORRELATION_ID (for tracing downstream logs) and
// BATON_SCHEDULED_TIME (RFC 3339, UTC: the fire time of a scheduled run).
std::map<std::string, std::string> RunEnvironment(const TaskContext& ctx) {
  std::map<std::string, std::string> env = ctx.env();
  const TaskContext::Identity& id = ctx.identity();
  env["BATON_RUN_ID"] = id.run_id;
  env["BATON_TASK_NAME"] = id.task_name;
  env["BATON_ATTEMPT"] = std::to_string(id.attempt);
  env["BATON_CORRELATION_ID"] = id.correlation_id;
  if (id.scheduled_time != absl::InfinitePast()) {
    env["BATON_SCHEDULED_TIME"] =
        absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", id.scheduled_time, absl::UTCTimeZone());
  }
  return env;
}

SubprocessOptions ExecOptions(const ExecConfig& config, const json& input,
                              const std::map<std::string, std::string>& run_env) {
  SubprocessOptions options;
  options.argv.push_back(config.command);
  options.argv.insert(options.argv.end(), config.args.begin(), config.args.end());
  // Python writes each print() at once, so `run logs --follow` shows it as it
  // happens (a pipe would otherwise make it buffer whole blocks). Then the
  // run's environment (a deployment's), then the task's own, may override.
  options.env["PYTHONUNBUFFERED"] = "1";
  for (const auto& [name, value] : run_env) options.env[name] = value;
  for (const auto& [name, value] : config.env) options.env[name] = value;
  options.working_dir = config.working_dir;
  // A trailing newline lets line-oriented readers (`read` in sh) see a whole line.
  options.stdin_data = input.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  options.kill_grace = config.kill_grace;
  return options;
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  if (abbrev == nullptr) return absl::StrCat(sig);
  return absl::StrCat("SIG", abbrev, " (", sig, ")");
}

std::string StderrSuffix(const SubprocessResult& result) {
  absl::string_view tail = absl::StripTrailingAsciiWhitespace(result.stderr_tail);
  if (tail.empty()) return "; stderr is empty";
  bool cut = result.stderr_truncated || tail.size() > kStderrInMessage;
  tail = tail.substr(tail.size() - std::min(tail.size(), kStderrInMessage));
  return absl::StrCat("; stderr: ", cut ? "..." : "", ValidUtf8(tail));
}

absl::string_view LastNonEmptyLine(absl::string_view text) {
  text = absl::StripTrailingAsciiWhitespace(text);
  size_t newline = text.rfind('\n');
  if (newline != absl::string_view::npos) text = text.substr(newline + 1);
  return absl::StripAsciiWhitespace(text);
}

json ResultFromStdout(absl::string_view stdout_tail) {
  absl::string_view line = LastNonEmptyLine(stdout_tail);
  if (line.empty()) return json{{"exit_code", 0}};
  json parsed = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return json{{"stdout", ValidUtf8(line)}};
  return parsed;
}

// An error class name a command may report: a letter or '_', then letters,
// digits and "_.:-", within the orchestrator's bound.
bool IsErrorTypeName(absl::string_view type) {
  if (type.empty() || type.size() > kMaxErrorTypeLength) return false;
  if (!absl::ascii_isalpha(type[0]) && type[0] != '_') return false;
  return std::all_of(type.begin(), type.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-';
  });
}

// The error report protocol: a command that fails may say why as its last
// stderr line, a JSON object
//   {"baton_error": {"type": "ValueError", "message": "...", "non_retryable": true}}
// ("type" required; the others optional). Null when the last line is not one.
std::optional<absl::Status> ReportedError(const SubprocessResult& result, absl::string_view who) {
  const absl::string_view line = LastNonEmptyLine(result.stderr_tail);
  if (line.empty() || line.front() != '{') return std::nullopt;
  const json parsed = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("baton_error")) return std::nullopt;
  const json& report = parsed["baton_error"];
  if (!report.is_object() || !report.contains("type") || !report["type"].is_string() ||
      !IsErrorTypeName(report["type"].get_ref<const std::string&>())) {
    return std::nullopt;
  }
  const json message = report.value("message", json());
  const std::string exit = result.term_signal != 0
                               ? absl::StrCat("killed by signal ", SignalName(result.term_signal))
                               : absl::StrCat("exited with code ", result.exit_code);
  absl::Status status = WithErrorType(
      absl::AbortedError(absl::StrCat(message.is_string() ? message.get<std::string>() : "", " (",
                                      who, " ", exit, ")")),
      report["type"].get<std::string>());
  const json final = report.value("non_retryable", json(false));
  return final.is_boolean() && final.get<bool>() ? NonRetryable(std::move(status)) : status;
}

absl::StatusOr<json> ExecOutcome(const ExecConfig& config, const TaskContext& ctx,
                                 const SubprocessResult& result) {
  const std::string who = absl::StrCat("exec: command \"", config.command, "\"");
  if (result.stopped) {
    return absl::CancelledError(absl::StrCat(who, " stopped: ", ctx.cancel_reason()));
  }
  if (result.term_signal != 0 || result.exit_code != 0) {
    if (std::optional<absl::Status> reported = ReportedError(result, who)) return *reported;
  }
  if (result.term_signal != 0) {
    return absl::AbortedError(absl::StrCat(who, " killed by signal ",
                                           SignalName(result.term_signal), StderrSuffix(result)));
  }
  if (result.exit_code != 0) {
    return absl::AbortedError(
        absl::StrCat(who, " exited with code ", result.exit_code, StderrSuffix(result)));
  }
  return ResultFromStdout(result.stdout_tail);
}

}  // namespace

absl::StatusOr<json> NoopHandler(TaskContext& /*ctx*/, const json& /*input*/) {
  return json{{"ok", true}};
}

absl::StatusOr<json> SleepHandler(TaskContext& ctx, const json& /*input*/) {
  ConfigReader reader("sleep", ctx);
  BATON_RETURN_IF_ERROR(reader.CheckFields({"seconds"}));
  BATON_ASSIGN_OR_RETURN(double seconds, reader.Number("seconds", 0, 86400, 1));
  if (ctx.WaitForCancel(absl::Seconds(seconds))) {
    return absl::CancelledError(absl::StrCat("sleep: stopped: ", ctx.cancel_reason()));
  }
  return json{{"slept_seconds", seconds}};
}

absl::StatusOr<json> ExecHandler(TaskContext& ctx, const json& input) {
  BATON_ASSIGN_OR_RETURN(ExecConfig config, ParseExecConfig(ctx));
  SubprocessOptions options = ExecOptions(config, input, RunEnvironment(ctx));
  // Masked as read, before the splitter or any tail cuts the output.
  options.secrets = ctx.secrets();
  // Each line the command writes goes to the attempt's log as it comes.
  LineSplitter out_lines, err_lines;
  options.on_output = [&](bool is_stderr, absl::string_view chunk) {
    for (const std::string& line : (is_stderr ? err_lines : out_lines).Feed(chunk)) {
      ctx.LogOutput(is_stderr ? "stderr" : "stdout", line);
    }
  };
  absl::StatusOr<SubprocessResult> result =
      RunSubprocess(options, [&ctx] { return ctx.cancelled(); });
  for (const std::string& line : out_lines.Finish()) ctx.LogOutput("stdout", line);
  for (const std::string& line : err_lines.Finish()) ctx.LogOutput("stderr", line);
  if (!result.ok()) {
    return absl::Status(result.status().code(), absl::StrCat("exec: ", result.status().message()));
  }
  return ExecOutcome(config, ctx, *result);
}

std::map<std::string, Handler> BuiltinHandlers() {
  return {{"exec", ExecHandler}, {"sleep", SleepHandler}, {"noop", NoopHandler}};
}

}  // namespace baton::worker
