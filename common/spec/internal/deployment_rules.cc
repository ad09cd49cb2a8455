#include "common/spec/internal/deployment_rules.h"

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/spec/cron.h"
#include "common/spec/flow.h"
#include "common/spec/internal/resilience_rules.h"

namespace baton::deployment_spec_internal {
namespace {

using flow_spec_internal::CountIssue;
using flow_spec_internal::DurationIssue;
using flow_spec_internal::DurationRange;
using flow_spec_internal::FieldPath;
using flow_spec_internal::IndexPath;
using flow_spec_internal::JoinPath;
using flow_spec_internal::NameIssue;
using flow_spec_internal::Quote;
using json = nlohmann::json;

constexpr absl::Duration kMaxSpan = absl::Hours(24 * 366);
constexpr DurationRange kIntervalRange{absl::Seconds(1), kMaxSpan};
constexpr DurationRange kWithinRange{absl::Minutes(1), kMaxSpan};
constexpr DurationRange kLateAfterRange{absl::ZeroDuration(), absl::Hours(24)};
constexpr int kMaxCatchUpFires = 1000;

// The cron module's "<what>; expected <x>" as an Issue at `path`.
Issue StatusIssue(std::string path, const absl::Status& status,
                  absl::string_view fallback_expected) {
  absl::string_view message = status.message();
  constexpr absl::string_view kSeparator = "; expected ";
  size_t cut = message.rfind(kSeparator);
  if (cut == absl::string_view::npos) {
    return Issue{std::move(path), std::string(message), std::string(fallback_expected)};
  }
  return Issue{std::move(path), std::string(message.substr(0, cut)),
               std::string(message.substr(cut + kSeparator.size()))};
}

std::optional<Issue> FieldsIssue(const DeploymentSpec& spec) {
  if (auto issue = NameIssue("name", "deployment name", spec.name)) {
    return issue;
  }
  if (auto issue = NameIssue("flow", "flow name", spec.flow)) return issue;
  if (spec.flow_version < 0) {
    return Issue{"flow_version", absl::StrCat("flow_version ", spec.flow_version, " is negative"),
                 "0 (the latest version at each fire) or a version number"};
  }
  return flow_spec_internal::TextIssue("description", "description", spec.description);
}

std::optional<Issue> CronScheduleIssue(const ScheduleSpec& schedule, const std::string& path) {
  if (auto issue = CronIssue(JoinPath(path, "cron"), schedule.cron)) {
    return issue;
  }
  absl::StatusOr<absl::TimeZone> zone = cron::LoadZone(schedule.timezone);
  if (!zone.ok()) {
    return StatusIssue(JoinPath(path, "timezone"), zone.status(), "an IANA time zone name");
  }
  if (schedule.anchor == absl::UnixEpoch()) return std::nullopt;
  return Issue{JoinPath(path, "anchor"), "anchor is given for a cron schedule",
               "anchor only with interval"};
}

std::optional<Issue> IntervalScheduleIssue(const ScheduleSpec& schedule, const std::string& path,
                                           Form form) {
  if (auto issue = DurationIssue(FieldPath(form, path, "interval", "interval_ms"), "interval",
                                 schedule.interval, kIntervalRange)) {
    return issue;
  }
  if (schedule.timezone == "UTC") return std::nullopt;
  return Issue{
      JoinPath(path, "timezone"),
      absl::StrCat("timezone ", Quote(schedule.timezone), " is given for an interval schedule"),
      "timezone only with cron (an interval counts real time from "
      "its anchor)"};
}

std::optional<Issue> ScheduleIssue(const ScheduleSpec& schedule, const std::string& path,
                                   Form form) {
  bool is_cron = !schedule.cron.empty();
  if (is_cron && schedule.interval != absl::ZeroDuration()) {
    return Issue{FieldPath(form, path, "interval", "interval_ms"),
                 "both cron and interval are given", std::string(kScheduleKindExpected)};
  }
  std::optional<Issue> issue =
      is_cron ? CronScheduleIssue(schedule, path) : IntervalScheduleIssue(schedule, path, form);
  if (issue.has_value() || schedule.end > schedule.start) return issue;
  return Issue{JoinPath(path, "end"),
               absl::StrCat("end ", FormatRfc3339(schedule.end), " is not after start ",
                            FormatRfc3339(schedule.start)),
               "an end later than the start"};
}

std::optional<Issue> SchedulesIssue(const DeploymentSpec& spec, Form form) {
  if (auto issue =
          CountIssue("schedules", "schedules", spec.schedules.size(), kMaxSchedulesPerDeployment)) {
    return issue;
  }
  for (size_t i = 0; i < spec.schedules.size(); ++i) {
    if (auto issue = ScheduleIssue(spec.schedules[i], IndexPath("schedules", i), form)) {
      return issue;
    }
  }
  return std::nullopt;
}

std::optional<Issue> ParametersIssue(const DeploymentSpec& spec) {
  if (!spec.parameters.is_object()) {
    return flow_spec_internal::WrongTypeIssue("parameters",
                                              absl::StrCat("a JSON ", spec.parameters.type_name()),
                                              "a map of parameter names to values");
  }
  return flow_spec_internal::JsonValueIssue("parameters", "parameters", spec.parameters,
                                            kMaxDeploymentFileBytes);
}

bool IsValidEnvName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  if (absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

std::optional<Issue> EnvVarIssue(const std::string& name, const EnvVar& var) {
  std::string path = JoinPath("env", name);
  if (!IsValidEnvName(name)) {
    return Issue{path, absl::StrCat("environment variable name ", Quote(name), " is not valid"),
                 absl::StrFormat("[A-Za-z_][A-Za-z0-9_]*, at most %d "
                                 "characters",
                                 kMaxNameLength)};
  }
  // Messages never quote the value: it may be a secret.
  std::string what = absl::StrCat("the value of ", name);
  if (var.value.size() > kMaxEnvValueBytes) {
    return Issue{JoinPath(path, "value"),
                 absl::StrFormat("%s is %d bytes long", what, var.value.size()),
                 absl::StrFormat("at most %d bytes", kMaxEnvValueBytes)};
  }
  return flow_spec_internal::JsonValueIssue(JoinPath(path, "value"), what, json(var.value),
                                            SIZE_MAX);
}

std::optional<Issue> EnvIssue(const DeploymentSpec& spec) {
  if (auto issue = CountIssue("env", "environment variables", spec.env.size(), kMaxEnvVars)) {
    return issue;
  }
  for (const auto& [name, var] : spec.env) {
    if (auto issue = EnvVarIssue(name, var)) return issue;
  }
  return std::nullopt;
}

std::optional<Issue> TagsIssue(const DeploymentSpec& spec) {
  if (auto issue = CountIssue("tags", "tags", spec.tags.size(), kMaxTags)) {
    return issue;
  }
  for (size_t i = 0; i < spec.tags.size(); ++i) {
    std::string path = IndexPath("tags", i);
    if (auto issue = NameIssue(path, "tag", spec.tags[i])) return issue;
    for (size_t j = 0; j < i; ++j) {
      if (spec.tags[j] != spec.tags[i]) continue;
      return Issue{
          path,
          absl::StrCat(IndexPath("tags", j), " and ", path, " are both ", Quote(spec.tags[i])),
          "unique tags"};
    }
  }
  return std::nullopt;
}

std::optional<Issue> PoliciesIssue(const DeploymentSpec& spec, Form form) {
  if (!spec.work_queue.empty()) {
    if (auto issue = NameIssue("work_queue", "work queue", spec.work_queue)) {
      return issue;
    }
  }
  if (auto issue = flow_spec_internal::IntIssue("catch_up.max", "catch-up max", spec.catch_up.max,
                                                1, kMaxCatchUpFires)) {
    return issue;
  }
  if (auto issue = DurationIssue(FieldPath(form, "catch_up", "within", "within_ms"),
                                 "catch-up window", spec.catch_up.within, kWithinRange)) {
    return issue;
  }
  return DurationIssue(FieldPath(form, "", "late_after", "late_after_ms"), "late_after",
                       spec.late_after, kLateAfterRange);
}

}  // namespace

std::optional<OverlapPolicy> OverlapFromName(absl::string_view name) {
  for (auto policy : {OverlapPolicy::kAllow, OverlapPolicy::kSkip, OverlapPolicy::kBufferOne,
                      OverlapPolicy::kCancelPrevious}) {
    if (Name(policy) == name) return policy;
  }
  return std::nullopt;
}

std::optional<CatchUpPolicy::Kind> CatchUpKindFromName(absl::string_view name) {
  for (auto kind :
       {CatchUpPolicy::Kind::kSkip, CatchUpPolicy::Kind::kLatest, CatchUpPolicy::Kind::kAll}) {
    if (Name(kind) == name) return kind;
  }
  return std::nullopt;
}

std::optional<absl::Time> ParseRfc3339(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return std::nullopt;
  // absl also reads "infinite-future" and "infinite-past"; no file means those.
  if (time == absl::InfiniteFuture() || time == absl::InfinitePast()) return std::nullopt;
  return time;
}

std::string FormatRfc3339(absl::Time time) {
  std::string text = absl::FormatTime(absl::RFC3339_full, time, absl::UTCTimeZone());
  absl::string_view view(text);
  if (absl::ConsumeSuffix(&view, "+00:00")) return absl::StrCat(view, "Z");
  return text;
}

Issue TimeIssue(std::string path, absl::string_view text) {
  return Issue{std::move(path), absl::StrCat(Quote(text), " is not an RFC 3339 time"),
               "a date and time with an offset, e.g. 2026-01-01T09:00:00Z or "
               "2026-01-01T10:00:00+01:00"};
}

Issue NoScheduleKindIssue(std::string path) {
  return Issue{std::move(path), "the schedule has neither cron nor interval",
               std::string(kScheduleKindExpected)};
}

std::optional<Issue> CatchUpKeyIssue(const std::string& parent, absl::string_view key,
                                     CatchUpPolicy::Kind kind) {
  if (kind == CatchUpPolicy::Kind::kAll) return std::nullopt;
  return Issue{JoinPath(parent, key), absl::StrCat(key, " is given with policy ", Name(kind)),
               "max and within only with policy all"};
}

std::optional<Issue> CronIssue(std::string path, absl::string_view text) {
  absl::StatusOr<cron::CronSpec> parsed = cron::ParseCron(text);
  if (parsed.ok()) return std::nullopt;
  return StatusIssue(std::move(path), parsed.status(), "a cron expression such as \"0 9 * * *\"");
}

std::optional<Issue> FindIssue(const DeploymentSpec& spec, Form form) {
  if (auto issue = FieldsIssue(spec)) return issue;
  if (auto issue = SchedulesIssue(spec, form)) return issue;
  if (auto issue = ParametersIssue(spec)) return issue;
  if (auto issue = EnvIssue(spec)) return issue;
  if (auto issue = TagsIssue(spec)) return issue;
  return PoliciesIssue(spec, form);
}

}  // namespace baton::deployment_spec_internal
