// Deployments and schedules through the real binaries: the course's daily
// 09:00 Europe/Madrid job, environment reaching tasks with secrets hidden,
// two orchestrators on one database creating exactly one run per fire,
// catch-up after downtime, pause/resume/delete, bad input refused.
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/invariants.h"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string Example(const std::string& path) { return SourceDir() + "/examples/" + path; }

absl::Time ParseUtc(const std::string& text) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &error)) << text << ": " << error;
  return t;
}

void ApplyCourseDeployment(TestCluster& cluster) {
  CliResult flow = cluster.Cli({"flow", "apply", "-f", Example("04-scheduling/flow.yaml")});
  ASSERT_EQ(flow.exit_code, 0) << flow.err;
  CliResult deployment =
      cluster.Cli({"deployment", "apply", "-f", Example("04-scheduling/deployment.yaml")});
  ASSERT_EQ(deployment.exit_code, 0) << deployment.err;
}

TEST(Schedules, CourseDailyJobIsListedWithItsNextRunsInMadridAndUtc) {
  TestCluster cluster("daily");
  ApplyCourseDeployment(cluster);
  CliResult list = cluster.Cli({"deployment", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("daily-0900"));
  EXPECT_THAT(list.out, HasSubstr("0 9 * * * (Europe/Madrid)"));
  EXPECT_THAT(list.out, HasSubstr("week-10"));
  EXPECT_THAT(list.out, HasSubstr("09:00"));
  EXPECT_THAT(list.out, Not(HasSubstr("change-me")));

  const json d = json::parse(
      cluster.Cli({"-o", "json", "deployment", "get", "daily-0900", "--count", "10"}).out);
  ASSERT_EQ(d["next_fires"].size(), 10u);
  absl::TimeZone zone;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Madrid", &zone));
  absl::Time previous = absl::Now();
  for (const auto& fire : d["next_fires"]) {
    const absl::Time at = ParseUtc(fire["at"]);
    const absl::CivilSecond local = absl::ToCivilSecond(at, zone);
    EXPECT_EQ(local.hour(), 9);
    EXPECT_EQ(local.minute(), 0);
    const int utc_hour = absl::ToCivilSecond(at, absl::UTCTimeZone()).hour();
    EXPECT_TRUE(utc_hour == 7 || utc_hour == 8) << fire["at"];  // CEST or CET
    EXPECT_GT(at, previous);
    previous = at;
  }
  EXPECT_EQ(d["env"]["WAREHOUSE_PASSWORD"], "***");
  EXPECT_EQ(d["env"]["REGION"], "eu-south");
  EXPECT_EQ(d["tags"][0], "week-10");
}

TEST(Schedules, DeploymentRunGivesTasksItsEnvironmentAndHidesSecrets) {
  TestCluster cluster("deploy_run");
  cluster.StartWorker({}, ExampleWorkerBinary());
  ApplyCourseDeployment(cluster);
  CliResult started = cluster.Cli({"-o", "json", "deployment", "run", "daily-0900"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const std::string id = json::parse(started.out)["run"]["id"];
  auto run = cluster.WaitForRunEnd(id, absl::Seconds(60));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED);
  const v1::TaskRun* report = FindTask(*run, "report");
  ASSERT_NE(report, nullptr);
  EXPECT_EQ(json::parse(report->result_json()),
            json({{"environment", "production"}, {"region", "eu-south"}}));
  EXPECT_EQ(run->env().at("WAREHOUSE_PASSWORD"), "***");
  EXPECT_EQ(run->tags(0), "week-10");
  EXPECT_FALSE(run->deployment_id().empty());
  CliResult shown = cluster.Cli({"-o", "json", "run", "get", id});
  EXPECT_THAT(shown.out, Not(HasSubstr("change-me")));
  EXPECT_THAT(cluster.orchestrator().Log(), Not(HasSubstr("change-me")));
}

constexpr char kEveryMinuteFlow[] = "name: tick\ntasks:\n  - {name: t, handler: noop}\n";

TEST(Schedules, TwoOrchestratorsOnOneDatabaseCreateExactlyOneRunPerMinute) {
  ClusterOptions options;
  options.extra_orchestrator_args = {"--schedule-horizon", "6m"};
  TestCluster cluster("two_replicas", options);
  cluster.StartReplica();
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", cluster.WriteFile("tick.yaml", kEveryMinuteFlow)})
                .exit_code,
            0);
  const std::string deployment = cluster.WriteFile(
      "every-minute.yaml", "name: every-minute\nflow: tick\nschedules:\n  - cron: \"* * * * *\"\n");
  ASSERT_EQ(cluster.Cli({"deployment", "apply", "-f", deployment}).exit_code, 0);

  pqxx::connection conn(cluster.database_url());
  // Both replicas plan the next 6 minutes; wait until they have (bounded).
  ASSERT_TRUE(WaitUntil(absl::Seconds(20), [&] {
    pqxx::read_transaction tx(conn);
    return tx.exec1(
                 "SELECT count(DISTINCT scheduled_time) FROM flow_runs"
                 " WHERE scheduled_time > now() + interval '4 minutes'")[0]
               .as<int>() >= 1;
  }));
  absl::SleepFor(absl::Seconds(2));  // both replicas have stepped several times more
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM (SELECT scheduled_time FROM flow_runs"
                     " WHERE deployment_id IS NOT NULL GROUP BY scheduled_time"
                     " HAVING count(*) > 1) AS twice")[0]
                .as<int>(),
            0);
  // One run for each minute from now to the horizon, on the minute.
  pqxx::result minutes = tx.exec(
      "SELECT extract(epoch FROM scheduled_time)::bigint FROM flow_runs"
      " WHERE scheduled_time > now() ORDER BY scheduled_time");
  ASSERT_GE(minutes.size(), 5u);
  for (size_t i = 0; i < minutes.size(); ++i) {
    EXPECT_EQ(minutes[i][0].as<int64_t>() % 60, 0);
    if (i > 0) {
      EXPECT_EQ(minutes[i][0].as<int64_t>() - minutes[i - 1][0].as<int64_t>(), 60);
    }
  }
}

TEST(Schedules, CatchUpAfterDowntimeRunsOnlyTheLatestAndRecordsTheSkips) {
  TestCluster cluster("catch_up");
  cluster.StartWorker();
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", cluster.WriteFile("tick.yaml", kEveryMinuteFlow)})
                .exit_code,
            0);
  ASSERT_EQ(cluster
                .Cli({"deployment", "apply", "-f",
                      cluster.WriteFile(
                          "catch.yaml",
                          "name: catch\nflow: tick\nschedules:\n  - {cron: \"*/10 * * * *\"}\n"
                          "catch_up: {policy: latest}\nlate_after: 1m\n")})
                .exit_code,
            0);
  // Keep clear of the one-minute edge around a 10-minute mark, where "missed"
  // and "on time" trade places while the test runs.
  const auto seconds_past_mark = [] { return absl::ToUnixSeconds(absl::Now()) % 600; };
  while (seconds_past_mark() >= 55 && seconds_past_mark() <= 65) absl::SleepFor(absl::Seconds(1));
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const int64_t latest_mark = now - now % 600;
  // Twelve 10-minute marks after the cursor; the latest is on time if it is
  // less than late_after (1 min) old, else missed too.
  const int missed = now - latest_mark < 60 ? 11 : 12;
  {
    // The orchestrator was "down" for 2 hours: its cursor is 2 hours old.
    pqxx::connection conn(cluster.database_url());
    pqxx::work tx(conn);
    tx.exec_params("UPDATE deployments SET cursor = to_timestamp($1)", latest_mark - 7200 + 1);
    tx.commit();
  }
  pqxx::connection conn(cluster.database_url());
  ASSERT_TRUE(WaitUntil(absl::Seconds(20), [&] {
    pqxx::read_transaction tx(conn);
    return tx.exec1("SELECT count(*) FROM skipped_fires")[0].as<int>() >= missed - 1;
  }));
  {
    pqxx::read_transaction tx(conn);
    // The latest missed fire runs; the others are skipped with the reason.
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM skipped_fires WHERE reason LIKE"
                       " '%catch_up policy latest%'")[0]
                  .as<int>(),
              missed - 1);
    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM flow_runs WHERE scheduled_time <"
                              " to_timestamp($1)",
                              now - 60)[0]
                  .as<int>(),
              1);
  }
  // It started more than late_after (1 min) after its scheduled time: late.
  EXPECT_TRUE(WaitUntil(absl::Seconds(10), [&] {
    pqxx::read_transaction tx(conn);
    return tx.exec1("SELECT count(*) FROM flow_runs WHERE late AND state <> 'SCHEDULED'")[0]
               .as<int>() == 1;
  }));
  const json d = json::parse(cluster.Cli({"-o", "json", "deployment", "get", "catch"}).out);
  EXPECT_EQ(d["recent_skips"].size(), static_cast<size_t>(missed - 1));
}

TEST(Schedules, PauseResumeDeleteAndBadInput) {
  TestCluster cluster("lifecycle");
  ApplyCourseDeployment(cluster);
  EXPECT_THAT(cluster.Cli({"deployment", "pause", "daily-0900"}).out, HasSubstr("paused"));
  json d = json::parse(cluster.Cli({"-o", "json", "deployment", "get", "daily-0900"}).out);
  EXPECT_TRUE(d.value("paused", false));
  EXPECT_FALSE(d.contains("next_fires"));
  EXPECT_THAT(cluster.Cli({"deployment", "resume", "daily-0900"}).out, HasSubstr("resumed"));
  d = json::parse(cluster.Cli({"-o", "json", "deployment", "get", "daily-0900"}).out);
  EXPECT_EQ(d["next_fires"].size(), 5u);

  CliResult bad = cluster.Cli(
      {"deployment", "apply", "-f",
       cluster.WriteFile("bad.yaml",
                         "name: bad\nflow: daily-job\nschedules:\n  - cron: \"*/0 * * * *\"\n")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(bad.err, HasSubstr("schedules[0].cron"));
  EXPECT_THAT(bad.err, HasSubstr("minute field at position 1"));
  CliResult zone =
      cluster.Cli({"deployment", "apply", "-f",
                   cluster.WriteFile("zone.yaml",
                                     "name: zoned\nflow: daily-job\nschedules:\n  - {cron: \"0 9 * "
                                     "* *\", timezone: Mars/Olympus}\n")});
  EXPECT_EQ(zone.exit_code, 1);
  EXPECT_THAT(zone.err, HasSubstr("Mars/Olympus"));
  CliResult no_flow =
      cluster.Cli({"deployment", "apply", "-f",
                   cluster.WriteFile("noflow.yaml", "name: orphan\nflow: no-such-flow\n")});
  EXPECT_EQ(no_flow.exit_code, 1);
  EXPECT_THAT(no_flow.err, HasSubstr("no-such-flow"));
  {
    pqxx::connection conn(cluster.database_url());
    pqxx::read_transaction tx(conn);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM deployments")[0].as<int>(), 1);
  }
  EXPECT_EQ(cluster.Cli({"deployment", "delete", "daily-0900"}).exit_code, 0);
  EXPECT_EQ(cluster.Cli({"deployment", "get", "daily-0900"}).exit_code, 1);
}

TEST(Schedules, PreviewMarksDaylightSavingChanges) {
  CliResult preview = TestCluster::CliAt(
      "127.0.0.1:1", {"schedule", "preview", "0 9 * * *", "--timezone", "Europe/Madrid", "--count",
                      "3", "--after", "2026-03-27T12:00:00Z"});
  ASSERT_EQ(preview.exit_code, 0) << preview.err;
  EXPECT_THAT(preview.out, HasSubstr("2026-03-28 09:00 Sat +01:00"));
  EXPECT_THAT(preview.out, HasSubstr("2026-03-28T08:00:00Z"));
  EXPECT_THAT(preview.out, HasSubstr("2026-03-29 09:00 Sun +02:00"));
  EXPECT_THAT(preview.out, HasSubstr("2026-03-29T07:00:00Z"));
  EXPECT_THAT(preview.out, HasSubstr("daylight-saving change"));
  CliResult invalid = TestCluster::CliAt("127.0.0.1:1", {"schedule", "preview", "60 * * * *"});
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_THAT(invalid.err, HasSubstr("out of range"));
}

}  // namespace
}  // namespace baton::testing
