// Pure tests of deployment files: what a file may say, the errors it gets
// (INVALID_ARGUMENT with field path, line/column and what was expected), the
// canonical JSON round trip, redacted env, and the fire times of merged
// schedules across daylight-saving changes.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/spec/deployment.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The course's daily 09:00 Madrid job, every key set away from its default,
// plus a second schedule every 6 hours.
constexpr char kDailyYaml[] = R"yaml(name: daily-0900
flow: daily-job
flow_version: 3
description: the course's daily job
schedules:
  - cron: "0 9 * * *"
    timezone: Europe/Madrid
    start: 2026-01-01T00:00:00Z
    end: 2027-01-01T00:00:00+01:00
  - interval: 6h
    anchor: 2026-01-01T03:00:00Z
parameters: {items: [1, 2, 3], mode: full}
env:
  LOG_LEVEL: info
  PORT: 8080
  VERBOSE: true
  API_TOKEN: {value: s3cr3t, secret: true}
  _HOME: {value: /srv/job}
tags: [week-10, course]
work_queue: etl
paused: true
catch_up: {policy: all, max: 5, within: 12h}
overlap: buffer_one
late_after: 90
)yaml";

absl::Time At(const char* rfc3339) {
  absl::Time time;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &time, &error))
      << rfc3339 << ": " << error;
  return time;
}

DeploymentSpec ParseOk(const std::string& text) {
  absl::StatusOr<DeploymentSpec> spec = ParseDeploymentSpec(text, "deploy.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : DeploymentSpec();
}

TEST(DeploymentFileTest, FullFileSetsEveryField) {
  DeploymentSpec spec = ParseOk(kDailyYaml);
  EXPECT_EQ(spec.name, "daily-0900");
  EXPECT_EQ(spec.flow, "daily-job");
  EXPECT_EQ(spec.flow_version, 3);
  EXPECT_EQ(spec.description, "the course's daily job");
  ASSERT_THAT(spec.schedules, SizeIs(2));
  const ScheduleSpec& daily = spec.schedules[0];
  EXPECT_EQ(daily.cron, "0 9 * * *");
  EXPECT_EQ(daily.timezone, "Europe/Madrid");
  EXPECT_EQ(daily.interval, absl::ZeroDuration());
  EXPECT_EQ(daily.start, At("2026-01-01T00:00:00Z"));
  EXPECT_EQ(daily.end, At("2026-12-31T23:00:00Z"));
  const ScheduleSpec& every_6h = spec.schedules[1];
  EXPECT_EQ(every_6h.cron, "");
  EXPECT_EQ(every_6h.timezone, "UTC");
  EXPECT_EQ(every_6h.interval, absl::Hours(6));
  EXPECT_EQ(every_6h.anchor, At("2026-01-01T03:00:00Z"));
  EXPECT_EQ(every_6h.start, absl::InfinitePast());
  EXPECT_EQ(every_6h.end, absl::InfiniteFuture());
  EXPECT_EQ(spec.parameters, json::parse(R"({"items": [1, 2, 3], "mode": "full"})"));
  ASSERT_THAT(spec.env, SizeIs(5));
  EXPECT_EQ(spec.env["LOG_LEVEL"].value, "info");
  EXPECT_FALSE(spec.env["LOG_LEVEL"].secret);
  EXPECT_EQ(spec.env["PORT"].value, "8080");
  EXPECT_EQ(spec.env["VERBOSE"].value, "true");
  EXPECT_EQ(spec.env["API_TOKEN"].value, "s3cr3t");
  EXPECT_TRUE(spec.env["API_TOKEN"].secret);
  EXPECT_EQ(spec.env["_HOME"].value, "/srv/job");
  EXPECT_FALSE(spec.env["_HOME"].secret);
  EXPECT_THAT(spec.tags, ElementsAre("week-10", "course"));
  EXPECT_EQ(spec.work_queue, "etl");
  EXPECT_TRUE(spec.paused);
  EXPECT_EQ(spec.catch_up.kind, CatchUpPolicy::Kind::kAll);
  EXPECT_EQ(spec.catch_up.max, 5);
  EXPECT_EQ(spec.catch_up.within, absl::Hours(12));
  EXPECT_EQ(spec.overlap, OverlapPolicy::kBufferOne);
  EXPECT_EQ(spec.late_after, absl::Seconds(90));
}

TEST(DeploymentFileTest, MinimalFileTakesDefaults) {
  DeploymentSpec spec = ParseOk("name: on-demand\nflow: etl\n");
  EXPECT_EQ(spec.name, "on-demand");
  EXPECT_EQ(spec.flow, "etl");
  EXPECT_EQ(spec.flow_version, 0);
  EXPECT_EQ(spec.description, "");
  EXPECT_THAT(spec.schedules, IsEmpty());
  EXPECT_EQ(spec.parameters, json::object());
  EXPECT_THAT(spec.env, IsEmpty());
  EXPECT_THAT(spec.tags, IsEmpty());
  EXPECT_EQ(spec.work_queue, "");
  EXPECT_FALSE(spec.paused);
  EXPECT_EQ(spec.catch_up.kind, CatchUpPolicy::Kind::kSkip);
  EXPECT_EQ(spec.catch_up.max, 10);
  EXPECT_EQ(spec.catch_up.within, absl::Hours(24));
  EXPECT_EQ(spec.overlap, OverlapPolicy::kAllow);
  EXPECT_EQ(spec.late_after, absl::Minutes(5));
}

TEST(DeploymentFileTest, AcceptsJsonTextAndEveryPolicyName) {
  DeploymentSpec spec = ParseOk(R"json({
    "name": "d", "flow": "f",
    "schedules": [{"cron": "@hourly"}, {"interval": 3600, "start": "2026-05-01T00:00:00.25Z"}],
    "catch_up": {"policy": "latest"}, "overlap": "cancel_previous", "late_after": "0s"})json");
  ASSERT_THAT(spec.schedules, SizeIs(2));
  EXPECT_EQ(spec.schedules[0].timezone, "UTC");
  EXPECT_EQ(spec.schedules[1].interval, absl::Hours(1));
  EXPECT_EQ(spec.schedules[1].start, At("2026-05-01T00:00:00Z") + absl::Milliseconds(250));
  EXPECT_EQ(spec.catch_up.kind, CatchUpPolicy::Kind::kLatest);
  EXPECT_EQ(spec.overlap, OverlapPolicy::kCancelPrevious);
  EXPECT_EQ(spec.late_after, absl::ZeroDuration());
  EXPECT_EQ(ParseOk("name: d\nflow: f\noverlap: skip\ncatch_up: {policy: skip}\n").overlap,
            OverlapPolicy::kSkip);
}

TEST(DeploymentFileTest, PolicyNames) {
  EXPECT_EQ(Name(OverlapPolicy::kAllow), "allow");
  EXPECT_EQ(Name(OverlapPolicy::kSkip), "skip");
  EXPECT_EQ(Name(OverlapPolicy::kBufferOne), "buffer_one");
  EXPECT_EQ(Name(OverlapPolicy::kCancelPrevious), "cancel_previous");
  EXPECT_EQ(Name(CatchUpPolicy::Kind::kSkip), "skip");
  EXPECT_EQ(Name(CatchUpPolicy::Kind::kLatest), "latest");
  EXPECT_EQ(Name(CatchUpPolicy::Kind::kAll), "all");
}

// One broken file: everything after "name: d\nflow: f\n" (so its first line
// is line 3), and the whole message it must get.
struct FileError {
  const char* test_name;
  std::string tail;
  std::string message;
};

std::string Top(absl::string_view rest) { return absl::StrCat("deploy.yaml: ", rest); }

std::vector<FileError> FileErrors() {
  const std::string kKeys =
      "one of: name, flow, flow_version, description, schedules, parameters, env, tags, "
      "work_queue, paused, catch_up, overlap, late_after";
  const std::string kKind =
      "exactly one of cron (e.g. \"0 9 * * *\") or interval (e.g. 6h) per schedule";
  const std::string kRfc3339 =
      "a date and time with an offset, e.g. 2026-01-01T09:00:00Z or 2026-01-01T10:00:00+01:00";
  const std::string kName =
      "1 to 128 characters of [A-Za-z0-9_.-], starting with a letter or digit";
  return {
      {"UnknownTopKey", "schedule: []\n",
       Top("schedule (line 3, column 1): unknown key \"schedule\"; expected " + kKeys)},
      {"UnknownScheduleKey", "schedules:\n  - {cron: \"@daily\", tz: UTC}\n",
       Top("schedules[0].tz (line 4, column 22): unknown key \"tz\"; expected one of: cron, "
           "timezone, interval, anchor, start, end")},
      {"CronError", "schedules:\n  - cron: \"*/0 * * * *\"\n",
       Top("schedules[0].cron (line 4, column 11): cron \"*/0 * * * *\": minute field at "
           "position 1: step 0; expected a step of 1 or more")},
      {"CronNeverFires", "schedules:\n  - cron: \"0 0 30 2 *\"\n",
       Top("schedules[0].cron (line 4, column 11): cron \"0 0 30 2 *\": can never fire: "
           "February has no day 30; expected a day that exists")},
      {"ZoneError", "schedules:\n  - cron: \"0 9 * * *\"\n    timezone: Mars/Olympus\n",
       Top("schedules[0].timezone (line 5, column 15): time zone \"Mars/Olympus\": unknown; "
           "expected an IANA name such as Europe/Madrid")},
      {"CronEmpty", "schedules:\n  - cron: \"\"\n",
       Top("schedules[0].cron (line 4, column 11): cron \"\": empty; expected 5 fields (minute "
           "hour day-of-month month day-of-week) or a macro such as @daily")},
      {"IntervalZero", "schedules:\n  - interval: 0\n",
       Top("schedules[0].interval (line 4, column 15): interval 0 is too short; expected 1s to "
           "8784h")},
      {"IntervalNegative", "schedules:\n  - {interval: -1h}\n",
       Top("schedules[0].interval (line 4, column 16): interval -1h is negative; expected 1s to "
           "8784h")},
      {"SchedulesEmpty", "schedules:\n",
       Top("schedules (line 3, column 1): found null; expected a list of schedules")},
      {"EnvNotAMap", "env: [a]\n",
       Top("env (line 3, column 6): found a list; expected a map of variable names to values")},
      {"TimezoneEmpty", "schedules:\n  - {cron: \"@daily\", timezone: \"\"}\n",
       Top("schedules[0].timezone (line 4, column 32): time zone \"\": unknown; expected an IANA "
           "name such as Europe/Madrid")},
      {"ParametersEmpty", "parameters:\n",
       Top("parameters (line 3, column 1): found null; expected a map of parameter names to "
           "values")},
      {"CatchUpNotAMap", "catch_up: all\n",
       Top("catch_up (line 3, column 11): found a scalar; expected a map with key policy and, "
           "for policy all, optionally max and within")},
      {"TimeNotADate", "schedules:\n  - {interval: 1h, anchor: 2026-13-01T00:00:00Z}\n",
       Top("schedules[0].anchor (line 4, column 28): \"2026-13-01T00:00:00Z\" is not an RFC 3339 "
           "time; expected " +
           kRfc3339)},
      {"FlowVersionTooLarge", "flow_version: 99999999999\n",
       Top("flow_version (line 3, column 15): 99999999999 is out of range; expected an integer "
           "of at most 9 digits")},
      {"BothCronAndInterval", "schedules:\n  - cron: \"@daily\"\n    interval: 1h\n",
       Top("schedules[0].interval (line 5, column 5): both cron and interval are given; "
           "expected " +
           kKind)},
      {"NeitherCronNorInterval", "schedules:\n  - start: 2026-01-01T00:00:00Z\n",
       Top("schedules[0] (line 4, column 5): the schedule has neither cron nor interval; "
           "expected " +
           kKind)},
      {"IntervalTooShort", "schedules:\n  - interval: 500ms\n",
       Top("schedules[0].interval (line 4, column 15): interval 500ms is too short; expected "
           "1s to 8784h")},
      {"IntervalTooLong", "schedules:\n  - interval: 8785h\n",
       Top("schedules[0].interval (line 4, column 15): interval 8785h is too long; expected "
           "1s to 8784h")},
      {"IntervalNotADuration", "schedules:\n  - interval: often\n",
       Top("schedules[0].interval (line 4, column 15): \"often\" is not a duration; expected "
           "e.g. 2s, 500ms, 1m30s or a number of seconds")},
      {"AnchorWithCron", "schedules:\n  - {cron: \"@daily\", anchor: 2026-01-01T00:00:00Z}\n",
       Top("schedules[0].anchor (line 4, column 30): anchor is given for a cron schedule; "
           "expected anchor only with interval")},
      {"TimezoneWithInterval", "schedules:\n  - {interval: 1h, timezone: Europe/Madrid}\n",
       Top("schedules[0].timezone (line 4, column 30): timezone \"Europe/Madrid\" is given for "
           "an interval schedule; expected timezone only with cron (an interval counts real "
           "time from its anchor)")},
      {"TimeWithoutOffset", "schedules:\n  - {interval: 1h, start: 2026-01-01T00:00:00}\n",
       Top("schedules[0].start (line 4, column 27): \"2026-01-01T00:00:00\" is not an RFC "
           "3339 time; expected " +
           kRfc3339)},
      {"TimeIsInfinite", "schedules:\n  - {interval: 1h, end: infinite-future}\n",
       Top("schedules[0].end (line 4, column 25): \"infinite-future\" is not an RFC 3339 "
           "time; expected " +
           kRfc3339)},
      {"EndNotAfterStart",
       "schedules:\n  - interval: 1h\n    start: 2026-02-01T00:00:00Z\n"
       "    end: 2026-02-01T01:00:00+01:00\n",
       Top("schedules[0].end (line 6, column 10): end 2026-02-01T00:00:00Z is not after start "
           "2026-02-01T00:00:00Z; expected an end later than the start")},
      {"SchedulesNotAList", "schedules: {cron: \"@daily\"}\n",
       Top("schedules (line 3, column 12): found a map; expected a list of schedules")},
      {"EnvBadName", "env:\n  1ST: x\n",
       Top("env.1ST (line 4, column 3): environment variable name \"1ST\" is not valid; "
           "expected [A-Za-z_][A-Za-z0-9_]*, at most 128 characters")},
      {"EnvDashInName", "env: {API-TOKEN: x}\n",
       Top("env.API-TOKEN (line 3, column 7): environment variable name \"API-TOKEN\" is not "
           "valid; expected [A-Za-z_][A-Za-z0-9_]*, at most 128 characters")},
      {"EnvValueAList", "env:\n  HOSTS: [a, b]\n",
       Top("env.HOSTS (line 4, column 10): found a list; expected a string (numbers and "
           "true/false are taken as written), or {value: ..., secret: true}")},
      {"EnvValueEmpty", "env:\n  HOSTS:\n",
       Top("env.HOSTS (line 4, column 3): found null; expected a string (numbers and "
           "true/false are taken as written), or {value: ..., secret: true}")},
      {"EnvValueMissing", "env:\n  TOKEN: {secret: true}\n",
       Top("env.TOKEN.value (line 4, column 10): missing required key \"value\"; expected a "
           "\"value\" key in env.TOKEN")},
      {"EnvUnknownKey", "env:\n  TOKEN: {value: x, hidden: true}\n",
       Top("env.TOKEN.hidden (line 4, column 21): unknown key \"hidden\"; expected one of: "
           "value, secret")},
      {"EnvSecretNotBool", "env:\n  TOKEN: {value: x, secret: yes}\n",
       Top("env.TOKEN.secret (line 4, column 29): found \"yes\"; expected true or false "
           "(unquoted)")},
      {"EnvValueTooLong", "env:\n  BIG: " + std::string(kMaxEnvValueBytes + 1, 'x') + "\n",
       Top("env.BIG (line 4, column 8): the value of BIG is 8193 bytes long; expected at "
           "most 8192 bytes")},
      {"EnvValueHoldsNul", "env:\n  TOKEN: {value: \"a\\0b\", secret: true}\n",
       Top("env.TOKEN.value (line 4, column 18): the value of TOKEN contains the character "
           "U+0000 (NUL); expected text without NUL characters, which the database cannot "
           "store")},
      {"TagDuplicate", "tags: [a, b, a]\n",
       Top("tags[2] (line 3, column 14): tags[0] and tags[2] are both \"a\"; expected unique "
           "tags")},
      {"TagInvalid", "tags: [ok, \"not ok\"]\n",
       Top("tags[1] (line 3, column 12): tag \"not ok\" is not a valid name; expected " + kName)},
      {"TagsNotAList", "tags: week-10\n",
       Top("tags (line 3, column 7): found a scalar; expected a list of strings")},
      {"OverlapUnknown", "overlap: sometimes\n",
       Top("overlap (line 3, column 10): found \"sometimes\"; expected one of: allow, skip, "
           "buffer_one, cancel_previous")},
      {"CatchUpUnknownPolicy", "catch_up: {policy: none}\n",
       Top("catch_up.policy (line 3, column 20): found \"none\"; expected one of: skip, latest, "
           "all")},
      {"CatchUpWithoutPolicy", "catch_up: {max: 3}\n",
       Top("catch_up.policy (line 3, column 11): missing required key \"policy\"; expected a "
           "\"policy\" key in catch_up")},
      {"CatchUpMaxWithSkip", "catch_up: {policy: latest, max: 3}\n",
       Top("catch_up.max (line 3, column 28): max is given with policy latest; expected max "
           "and within only with policy all")},
      {"CatchUpMaxZero", "catch_up: {policy: all, max: 0}\n",
       Top("catch_up.max (line 3, column 30): catch-up max 0 is out of range; expected 1 to "
           "1000")},
      {"CatchUpWithinTooShort", "catch_up: {policy: all, within: 30s}\n",
       Top("catch_up.within (line 3, column 33): catch-up window 30s is too short; expected "
           "1m to 8784h")},
      {"LateAfterTooLong", "late_after: 25h\n",
       Top("late_after (line 3, column 13): late_after 25h is too long; expected 0 to 24h")},
      {"LateAfterNegative", "late_after: -1s\n",
       Top("late_after (line 3, column 13): late_after -1s is negative; expected 0 to 24h")},
      {"FlowVersionNegative", "flow_version: -1\n",
       Top("flow_version (line 3, column 15): flow_version -1 is negative; expected 0 (the "
           "latest version at each fire) or a version number")},
      {"FlowVersionNotANumber", "flow_version: latest\n",
       Top("flow_version (line 3, column 15): found \"latest\"; expected an integer")},
      {"PausedNotBool", "paused: no\n",
       Top("paused (line 3, column 9): found \"no\"; expected true or false (unquoted)")},
      {"WorkQueueInvalid", "work_queue: \"etl queue\"\n",
       Top("work_queue (line 3, column 13): work queue \"etl queue\" is not a valid name; "
           "expected " +
           kName)},
      {"ParametersAList", "parameters: [1, 2]\n",
       Top("parameters (line 3, column 13): found a list; expected a map of parameter names "
           "to values")},
      {"DescriptionTooLong", "description: " + std::string(4097, 'x') + "\n",
       Top("description (line 3, column 14): description is 4097 bytes long; expected at "
           "most 4096 bytes")},
  };
}

class DeploymentFileErrorTest : public ::testing::TestWithParam<FileError> {};

TEST_P(DeploymentFileErrorTest, SaysWhereWhatAndWhatWasExpected) {
  const FileError& error = GetParam();
  absl::StatusOr<DeploymentSpec> spec =
      ParseDeploymentSpec(absl::StrCat("name: d\nflow: f\n", error.tail), "deploy.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(spec.status().message()), error.message);
}

INSTANTIATE_TEST_SUITE_P(Files, DeploymentFileErrorTest, ::testing::ValuesIn(FileErrors()),
                         [](const ::testing::TestParamInfo<FileError>& info) {
                           return std::string(info.param.test_name);
                         });

struct Error {
  absl::StatusCode code;
  std::string message;
};

Error ParseError(const std::string& text) {
  absl::StatusOr<DeploymentSpec> spec = ParseDeploymentSpec(text, "deploy.yaml");
  if (spec.ok()) return {absl::StatusCode::kOk, ""};
  return {spec.status().code(), std::string(spec.status().message())};
}

TEST(DeploymentFileTest, WholeFileErrors) {
  EXPECT_EQ(ParseError("name: d\n").message,
            "deploy.yaml: flow (line 1, column 1): missing required key \"flow\"; expected a "
            "\"flow\" key at the top level");
  EXPECT_EQ(ParseError("").message,
            "deploy.yaml: the file holds no deployment; expected a map with keys name and flow");
  EXPECT_EQ(ParseError("name: d\nflow: f\n---\nname: e\n").message,
            "deploy.yaml (line 4, column 1): the file holds 2 YAML documents; expected exactly "
            "one");
  EXPECT_THAT(ParseError("just text").message,
              HasSubstr("deploy.yaml (line 1, column 1): found a scalar; expected a deployment: "
                        "a map with keys name, flow and optionally"));
  EXPECT_THAT(ParseError("name: [d\n").message, HasSubstr("invalid YAML"));
  EXPECT_EQ(ParseError(std::string(kMaxDeploymentFileBytes + 1, '#')).message,
            "deploy.yaml: the file is 262145 bytes; expected at most 262144 bytes");
  EXPECT_EQ(ParseError("name: \"daily job\"\nflow: f\n").message,
            "deploy.yaml: name (line 1, column 7): deployment name \"daily job\" is not a valid "
            "name; expected 1 to 128 characters of [A-Za-z0-9_.-], starting with a letter or "
            "digit");
  EXPECT_EQ(ParseError("name: d\nflow: f\nname: e\n").code, absl::StatusCode::kInvalidArgument);
}

TEST(DeploymentFileTest, CountBounds) {
  std::string schedules = "schedules:\n";
  for (size_t i = 0; i <= kMaxSchedulesPerDeployment; ++i) schedules += "  - interval: 1h\n";
  EXPECT_EQ(ParseError("name: d\nflow: f\n" + schedules).message,
            "deploy.yaml: schedules (line 4, column 3): 21 schedules; expected at most 20");
  std::string env = "env:\n";
  for (size_t i = 0; i <= kMaxEnvVars; ++i) absl::StrAppend(&env, "  V", i, ": x\n");
  EXPECT_EQ(ParseError("name: d\nflow: f\n" + env).message,
            "deploy.yaml: env (line 4, column 3): 101 environment variables; expected at most "
            "100");
  std::string tags = "tags: [t0";
  for (size_t i = 1; i <= kMaxTags; ++i) absl::StrAppend(&tags, ", t", i);
  EXPECT_EQ(ParseError("name: d\nflow: f\n" + tags + "]\n").message,
            "deploy.yaml: tags (line 3, column 7): 51 tags; expected at most 50");
}

TEST(DeploymentJsonTest, CanonicalForm) {
  json expected = json::parse(R"json({
    "name": "daily-0900", "flow": "daily-job", "flow_version": 3,
    "description": "the course's daily job",
    "schedules": [
      {"cron": "0 9 * * *", "timezone": "Europe/Madrid",
       "start": "2026-01-01T00:00:00Z", "end": "2026-12-31T23:00:00Z"},
      {"interval_ms": 21600000, "anchor": "2026-01-01T03:00:00Z"}],
    "parameters": {"items": [1, 2, 3], "mode": "full"},
    "env": {"API_TOKEN": {"value": "s3cr3t", "secret": true},
            "LOG_LEVEL": {"value": "info", "secret": false},
            "PORT": {"value": "8080", "secret": false},
            "VERBOSE": {"value": "true", "secret": false},
            "_HOME": {"value": "/srv/job", "secret": false}},
    "tags": ["week-10", "course"], "work_queue": "etl", "paused": true,
    "catch_up": {"policy": "all", "max": 5, "within_ms": 43200000},
    "overlap": "buffer_one", "late_after_ms": 90000})json");
  EXPECT_EQ(DeploymentSpecToJson(ParseOk(kDailyYaml)), expected);
  json minimal = DeploymentSpecToJson(ParseOk("name: d\nflow: f\n"));
  EXPECT_EQ(minimal["catch_up"], json::parse(R"({"policy": "skip"})"));
  EXPECT_EQ(minimal["late_after_ms"], 300000);
  EXPECT_EQ(minimal["schedules"], json::array());
}

void ExpectSameSpec(const DeploymentSpec& a, const DeploymentSpec& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.flow, b.flow);
  EXPECT_EQ(a.flow_version, b.flow_version);
  EXPECT_EQ(a.description, b.description);
  ASSERT_EQ(a.schedules.size(), b.schedules.size());
  for (size_t i = 0; i < a.schedules.size(); ++i) {
    EXPECT_EQ(a.schedules[i].cron, b.schedules[i].cron);
    EXPECT_EQ(a.schedules[i].timezone, b.schedules[i].timezone);
    EXPECT_EQ(a.schedules[i].interval, b.schedules[i].interval);
    EXPECT_EQ(a.schedules[i].anchor, b.schedules[i].anchor);
    EXPECT_EQ(a.schedules[i].start, b.schedules[i].start);
    EXPECT_EQ(a.schedules[i].end, b.schedules[i].end);
  }
  EXPECT_EQ(a.parameters, b.parameters);
  ASSERT_EQ(a.env.size(), b.env.size());
  for (const auto& [name, var] : a.env) {
    ASSERT_EQ(b.env.count(name), 1u) << name;
    EXPECT_EQ(b.env.at(name).value, var.value);
    EXPECT_EQ(b.env.at(name).secret, var.secret);
  }
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.work_queue, b.work_queue);
  EXPECT_EQ(a.paused, b.paused);
  EXPECT_EQ(a.catch_up.kind, b.catch_up.kind);
  EXPECT_EQ(a.catch_up.max, b.catch_up.max);
  EXPECT_EQ(a.catch_up.within, b.catch_up.within);
  EXPECT_EQ(a.overlap, b.overlap);
  EXPECT_EQ(a.late_after, b.late_after);
}

TEST(DeploymentJsonTest, RoundTripIsExact) {
  const std::string kSubSecond =
      "name: d\nflow: f\nschedules:\n"
      "  - {interval: 1.5, anchor: 2026-03-01T10:00:00.123456789+05:30,"
      " start: 2026-03-01T00:00:00.5Z}\n"
      "  - {cron: \"*/15 * * * *\", timezone: America/New_York}\n";
  for (const std::string& text :
       {std::string(kDailyYaml), std::string("name: d\nflow: f\n"), kSubSecond}) {
    DeploymentSpec spec = ParseOk(text);
    json canonical = DeploymentSpecToJson(spec);
    absl::StatusOr<DeploymentSpec> back = DeploymentSpecFromJson(canonical, "stored");
    ASSERT_TRUE(back.ok()) << back.status();
    ExpectSameSpec(spec, *back);
    EXPECT_EQ(DeploymentSpecToJson(*back), canonical);
  }
}

TEST(DeploymentJsonTest, FromJsonAcceptsMissingOptionalKeys) {
  absl::StatusOr<DeploymentSpec> spec =
      DeploymentSpecFromJson(json::parse(R"({"name": "d", "flow": "f"})"), "stored");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ExpectSameSpec(*spec, ParseOk("name: d\nflow: f\n"));
}

std::string JsonError(const std::string& text) {
  absl::StatusOr<DeploymentSpec> spec = DeploymentSpecFromJson(json::parse(text), "stored");
  EXPECT_FALSE(spec.ok());
  if (spec.ok()) return "";
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(spec.status().message());
}

TEST(DeploymentJsonTest, FromJsonValidatesLikeTheParser) {
  EXPECT_THAT(JsonError(R"({"name": "d", "flow": "f", "late_after": 5})"),
              HasSubstr("stored: late_after: unknown key \"late_after\"; expected one of: name, "
                        "flow, flow_version, description, schedules, parameters, env, tags, "
                        "work_queue, paused, catch_up, overlap, late_after_ms"));
  EXPECT_EQ(JsonError(R"({"name": "d"})"),
            "stored: flow: missing required key \"flow\"; expected a \"flow\" key at the top "
            "level");
  EXPECT_EQ(JsonError(R"({"name": "d", "flow": "f", "late_after_ms": 90000000})"),
            "stored: late_after_ms: late_after 25h is too long; expected 0 to 24h");
  EXPECT_EQ(JsonError(R"({"name": "d", "flow": "f", "schedules": [{"cron": "60 * * * *"}]})"),
            "stored: schedules[0].cron: cron \"60 * * * *\": minute field at position 1: 60 is "
            "out of range; expected 0-59");
  EXPECT_EQ(JsonError(R"({"name": "d", "flow": "f",
                          "schedules": [{"cron": "@daily", "interval_ms": 1000}]})"),
            "stored: schedules[0].interval_ms: both cron and interval_ms are given; expected "
            "exactly one of cron (e.g. \"0 9 * * *\") or interval (e.g. 6h) per schedule");
  EXPECT_EQ(JsonError(R"({"name": "d", "flow": "f", "schedules": [{"interval_ms": "6h"}]})"),
            "stored: schedules[0].interval_ms: found a JSON string; expected an integer number "
            "of milliseconds");
  EXPECT_EQ(JsonError(R"({"name": "d", "flow": "f", "schedules": [{"interval_ms": 999}]})"),
            "stored: schedules[0].interval_ms: interval 999ms is too short; expected 1s to "
            "8784h");
  EXPECT_EQ(JsonError(R"({"name": "d", "flow": "f",
                          "schedules": [{"interval_ms": 1000, "start": "tomorrow"}]})"),
            "stored: schedules[0].start: \"tomorrow\" is not an RFC 3339 time; expected a date "
            "and time with an offset, e.g. 2026-01-01T09:00:00Z or 2026-01-01T10:00:00+01:00");
  EXPECT_EQ(JsonError(R"({"name": "d", "flow": "f", "env": {"A": "x"}})"),
            "stored: env.A: found a JSON string; expected a JSON object");
  EXPECT_EQ(JsonError(R"({"name": "d", "flow": "f", "env": {"A": {"value": 1}}})"),
            "stored: env.A.value: found a JSON number; expected a string");
  EXPECT_EQ(JsonError(R"({"name": "d", "flow": "f", "catch_up": {"policy": "skip", "max": 3}})"),
            "stored: catch_up.max: max is given with policy skip; expected max and within only "
            "with policy all");
  EXPECT_EQ(JsonError(R"({"name": "d", "flow": "f", "overlap": "queue"})"),
            "stored: overlap: found \"queue\"; expected one of: allow, skip, buffer_one, "
            "cancel_previous");
  EXPECT_EQ(JsonError(R"({"name": "d", "flow": "f", "parameters": [1]})"),
            "stored: parameters: found a JSON array; expected a map of parameter names to "
            "values");
  EXPECT_EQ(JsonError(R"({"name": "d", "flow": "f", "tags": ["x", "x"]})"),
            "stored: tags[1]: tags[0] and tags[1] are both \"x\"; expected unique tags");
}

TEST(DeploymentEnvTest, RedactedEnvHidesSecretsOnly) {
  DeploymentSpec spec = ParseOk(kDailyYaml);
  json shown = RedactedEnv(spec.env);
  EXPECT_EQ(shown, json::parse(R"({"API_TOKEN": "***", "LOG_LEVEL": "info", "PORT": "8080",
                                   "VERBOSE": "true", "_HOME": "/srv/job"})"));
  EXPECT_EQ(shown.dump().find("s3cr3t"), std::string::npos);
  EXPECT_EQ(RedactedEnv({}), json::object());
}

TEST(DeploymentEnvTest, ErrorsNeverQuoteASecretValue) {
  std::string text = "name: d\nflow: f\nenv:\n  TOKEN: {value: \"s3cr3t" +
                     std::string(kMaxEnvValueBytes, 'x') + "\", secret: true}\n";
  Error error = ParseError(text);
  EXPECT_EQ(error.code, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(error.message, HasSubstr("env.TOKEN.value (line 4, column 18)"));
  EXPECT_EQ(error.message.find("s3cr3t"), std::string::npos);
}

// Fires, written as RFC 3339 in UTC, for readable failures.
std::vector<std::string> Fires(const DeploymentSpec& spec, const char* after, int count) {
  std::vector<std::string> out;
  for (absl::Time fire : NextDeploymentFires(spec, At(after), count)) {
    out.push_back(absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", fire, absl::UTCTimeZone()));
  }
  return out;
}

DeploymentSpec WithSchedules(const std::string& schedules) {
  return ParseOk("name: d\nflow: f\nschedules:\n" + schedules);
}

TEST(DeploymentFiresTest, MadridNineOClockAcrossSpringForward) {
  // Summer time starts on Sunday 29 March 2026: 09:00 in Madrid is 08:00 UTC
  // before, 07:00 UTC after.
  DeploymentSpec spec = ParseOk(kDailyYaml);
  spec.schedules.pop_back();  // only the daily job
  EXPECT_THAT(Fires(spec, "2026-03-27T12:00:00Z", 3),
              ElementsAre("2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"));
}

TEST(DeploymentFiresTest, MadridNineOClockAcrossFallBack) {
  DeploymentSpec spec = WithSchedules("  - {cron: \"0 9 * * *\", timezone: Europe/Madrid}\n");
  EXPECT_THAT(Fires(spec, "2026-10-23T12:00:00Z", 3),
              ElementsAre("2026-10-24T07:00:00Z", "2026-10-25T08:00:00Z", "2026-10-26T08:00:00Z"));
  // Exactly at a fire: the next one.
  EXPECT_THAT(Fires(spec, "2026-10-24T07:00:00Z", 1), ElementsAre("2026-10-25T08:00:00Z"));
}

TEST(DeploymentFiresTest, IntervalWithAnchorInThePast) {
  DeploymentSpec spec = WithSchedules("  - {interval: 6h, anchor: 2026-01-01T03:00:00Z}\n");
  EXPECT_THAT(Fires(spec, "2026-03-01T10:00:00Z", 3),
              ElementsAre("2026-03-01T15:00:00Z", "2026-03-01T21:00:00Z", "2026-03-02T03:00:00Z"));
  EXPECT_THAT(Fires(spec, "2026-03-01T15:00:00Z", 1), ElementsAre("2026-03-01T21:00:00Z"));
  DeploymentSpec odd = WithSchedules("  - {interval: 7m, anchor: 2026-03-01T10:00:30Z}\n");
  EXPECT_THAT(Fires(odd, "2026-03-01T10:10:00Z", 2),
              ElementsAre("2026-03-01T10:14:30Z", "2026-03-01T10:21:30Z"));
}

TEST(DeploymentFiresTest, IntervalWithAnchorInTheFuture) {
  DeploymentSpec spec = WithSchedules("  - {interval: 7m, anchor: 2026-03-01T11:00:00Z}\n");
  EXPECT_THAT(Fires(spec, "2026-03-01T10:10:00Z", 3),
              ElementsAre("2026-03-01T10:11:00Z", "2026-03-01T10:18:00Z", "2026-03-01T10:25:00Z"));
  DeploymentSpec epoch = WithSchedules("  - interval: 1h\n");  // anchored at the epoch
  EXPECT_THAT(Fires(epoch, "1969-12-31T22:30:00Z", 2),
              ElementsAre("1969-12-31T23:00:00Z", "1970-01-01T00:00:00Z"));
}

TEST(DeploymentFiresTest, StartAndEndBoundFires) {
  DeploymentSpec on_start =
      WithSchedules("  - {interval: 1h, start: 2026-03-01T12:00:00Z, end: 2026-03-01T14:00:00Z}\n");
  EXPECT_THAT(Fires(on_start, "2026-03-01T10:10:00Z", 5),
              ElementsAre("2026-03-01T12:00:00Z", "2026-03-01T13:00:00Z", "2026-03-01T14:00:00Z"));
  EXPECT_THAT(Fires(on_start, "2026-03-01T14:00:00Z", 5), IsEmpty());
  DeploymentSpec mid = WithSchedules("  - {interval: 1h, start: 2026-03-01T12:30:00Z}\n");
  EXPECT_THAT(Fires(mid, "2026-03-01T10:10:00Z", 1), ElementsAre("2026-03-01T13:00:00Z"));
  DeploymentSpec cron = WithSchedules(
      "  - {cron: \"0 9 * * *\", timezone: Europe/Madrid, start: 2026-03-29T07:00:00Z,"
      " end: 2026-03-31T07:00:00Z}\n");
  EXPECT_THAT(Fires(cron, "2026-03-01T00:00:00Z", 5),
              ElementsAre("2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z", "2026-03-31T07:00:00Z"));
  EXPECT_THAT(Fires(cron, "2026-03-31T07:00:00Z", 5), IsEmpty());
}

TEST(DeploymentFiresTest, MergesSchedulesAscendingEachInstantOnce) {
  DeploymentSpec spec = WithSchedules(
      "  - cron: \"0 12 * * *\"\n"
      "  - interval: 6h\n");
  EXPECT_THAT(Fires(spec, "2026-03-01T00:00:00Z", 5),
              ElementsAre("2026-03-01T06:00:00Z", "2026-03-01T12:00:00Z", "2026-03-01T18:00:00Z",
                          "2026-03-02T00:00:00Z", "2026-03-02T06:00:00Z"));
  DeploymentSpec full = ParseOk(kDailyYaml);
  EXPECT_THAT(Fires(full, "2026-03-28T00:00:00Z", 6),
              ElementsAre("2026-03-28T03:00:00Z", "2026-03-28T08:00:00Z", "2026-03-28T09:00:00Z",
                          "2026-03-28T15:00:00Z", "2026-03-28T21:00:00Z", "2026-03-29T03:00:00Z"));
}

TEST(DeploymentFiresTest, CountIsBounded) {
  DeploymentSpec spec = WithSchedules("  - interval: 1s\n  - cron: \"* * * * *\"\n");
  EXPECT_THAT(NextDeploymentFires(spec, At("2026-03-01T00:00:00Z"), 5000), SizeIs(1000));
  EXPECT_THAT(NextDeploymentFires(spec, At("2026-03-01T00:00:00Z"), 0), IsEmpty());
  EXPECT_THAT(NextDeploymentFires(spec, At("2026-03-01T00:00:00Z"), -1), IsEmpty());
  EXPECT_THAT(NextDeploymentFires(ParseOk("name: d\nflow: f\n"), At("2026-03-01T00:00:00Z"), 3),
              IsEmpty());
}

}  // namespace
}  // namespace baton
