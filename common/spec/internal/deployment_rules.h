// Internal to the deployment_spec module (include only from
// common/deployment_spec*.cc).
//
// The rules a DeploymentSpec must satisfy, written once and shared by
// ParseDeploymentSpec (which adds line/column) and DeploymentSpecFromJson,
// plus the vocabulary both readers share: keys, enum names, times, and the
// checks a reader makes where the struct cannot tell what the file said
// (which of cron / interval was given, catch-up keys beside their policy).
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/spec/deployment.h"
#include "common/spec/internal/flow_rules.h"

namespace baton::deployment_spec_internal {

using flow_spec_internal::Form;
using flow_spec_internal::Issue;

// Keys of a deployment, a schedule and its catch-up policy in the file form
// and in the canonical JSON form (durations there as integer milliseconds),
// and of an env variable written as a map (both forms).
inline constexpr absl::string_view kFileDeploymentKeys[] = {
    "name", "flow",       "flow_version", "description", "schedules", "parameters", "env",
    "tags", "work_queue", "paused",       "catch_up",    "overlap",   "late_after"};
inline constexpr absl::string_view kJsonDeploymentKeys[] = {
    "name", "flow",       "flow_version", "description", "schedules", "parameters",   "env",
    "tags", "work_queue", "paused",       "catch_up",    "overlap",   "late_after_ms"};
inline constexpr absl::string_view kFileScheduleKeys[] = {"cron",   "timezone", "interval",
                                                          "anchor", "start",    "end"};
inline constexpr absl::string_view kJsonScheduleKeys[] = {"cron",   "timezone", "interval_ms",
                                                          "anchor", "start",    "end"};
inline constexpr absl::string_view kFileCatchUpKeys[] = {"policy", "max", "within"};
inline constexpr absl::string_view kJsonCatchUpKeys[] = {"policy", "max", "within_ms"};
inline constexpr absl::string_view kEnvVarKeys[] = {"value", "secret"};

// What each part looks like, for "expected ..." in messages.
inline constexpr absl::string_view kScheduleKindExpected =
    "exactly one of cron (e.g. \"0 9 * * *\") or interval (e.g. 6h) per "
    "schedule";
inline constexpr absl::string_view kOverlapExpected =
    "one of: allow, skip, buffer_one, cancel_previous";
inline constexpr absl::string_view kCatchUpExpected = "one of: skip, latest, all";

// "skip" -> kSkip ...; nullopt for any other text.
std::optional<OverlapPolicy> OverlapFromName(absl::string_view name);
std::optional<CatchUpPolicy::Kind> CatchUpKindFromName(absl::string_view name);

// RFC 3339 with an offset ("2026-01-01T09:00:00Z", "...T10:00:00+01:00",
// fractions of a second allowed); nullopt otherwise (also for absl's
// "infinite-future" / "infinite-past").
std::optional<absl::Time> ParseRfc3339(absl::string_view text);
// The inverse, in UTC with a "Z": "2026-01-01T09:00:00Z".
std::string FormatRfc3339(absl::Time time);
// `"<text>" is not an RFC 3339 time`.
Issue TimeIssue(std::string path, absl::string_view text);

// A schedule at `path` that names neither cron nor interval.
Issue NoScheduleKindIssue(std::string path);

// `max` or `within` (spelled `key`) beside a catch-up policy other than all.
std::optional<Issue> CatchUpKeyIssue(const std::string& parent, absl::string_view key,
                                     CatchUpPolicy::Kind kind);

// cron::ParseCron's verdict on `text`, its message after the path.
std::optional<Issue> CronIssue(std::string path, absl::string_view text);

// The first rule `spec` breaks, checking in file order; nullopt when valid.
std::optional<Issue> FindIssue(const DeploymentSpec& spec, Form form);

}  // namespace baton::deployment_spec_internal
