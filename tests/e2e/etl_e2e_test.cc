// The course's first exercise for real: orchestrator, worker and CLI as
// processes, state in PostgreSQL.
#include <map>
#include <pqxx/pqxx>

#include "baton/v1/run_service.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/invariants.h"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Example(const std::string& path) { return SourceDir() + "/examples/" + path; }

json StartAndWait(TestCluster& cluster, std::vector<std::string> args) {
  std::vector<std::string> cli = {"-o", "json", "run", "start"};
  cli.insert(cli.end(), args.begin(), args.end());
  cli.insert(cli.end(), {"--wait", "--wait-timeout", "60s"});
  CliResult result = cluster.Cli(cli);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return json::parse(result.out, nullptr, false);
}

std::vector<std::string> TaskNames(const json& run) {
  std::vector<std::string> names;
  for (const auto& t : run["tasks"]) names.push_back(t["name"]);
  return names;
}

TEST(EtlEndToEnd, BasicEtlCompletesWithCountFive) {
  TestCluster cluster("etl");
  cluster.StartWorker({"--slots", "2"}, ExampleWorkerBinary());
  CliResult applied = cluster.Cli({"flow", "apply", "-f", Example("01-basic-flow/flow.yaml")});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_THAT(applied.out, HasSubstr("flow basic-etl version 1 applied (3 tasks)"));

  json run = StartAndWait(cluster, {"basic-etl"});
  ASSERT_FALSE(run.is_discarded());
  EXPECT_EQ(run["state"], "FLOW_RUN_STATE_COMPLETED");
  EXPECT_EQ(json::parse(run["result_json"].get<std::string>()), json({{"count", 5}}));
  EXPECT_THAT(TaskNames(run), ElementsAre("extract", "transform", "load"));
  for (const auto& task : run["tasks"]) {
    EXPECT_EQ(task["state"], "TASK_RUN_STATE_COMPLETED") << task["name"];
    EXPECT_EQ(task["attempt_count"], 1) << task["name"];
  }
  EXPECT_EQ(json::parse(run["tasks"][1]["result_json"].get<std::string>()), json({2, 4, 6, 8, 10}));
  // extract simulates 0.3 s of I/O: its duration says so.
  EXPECT_THAT(run["tasks"][0]["duration"].get<std::string>(), ::testing::EndsWith("s"));
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

TEST(EtlEndToEnd, ParametersChangeTheResultAndTheTableShowsTheRun) {
  TestCluster cluster("etl_params");
  cluster.StartWorker({}, ExampleWorkerBinary());
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", Example("01-basic-flow/flow.yaml")}).exit_code, 0);
  json run = StartAndWait(cluster, {"basic-etl", "--param", "items=[7,8,9]", "-p", "factor=10"});
  EXPECT_EQ(json::parse(run["result_json"].get<std::string>()), json({{"count", 3}}));
  EXPECT_EQ(json::parse(run["tasks"][1]["result_json"].get<std::string>()), json({70, 80, 90}));

  CliResult table = cluster.Cli({"run", "get", run["id"]});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("COMPLETED"));
  EXPECT_THAT(table.out, HasSubstr("result {\"count\":3}"));
  EXPECT_THAT(table.out, HasSubstr("transform  COMPLETED"));
}

TEST(EtlEndToEnd, ExecVariantRunsEachStepAsACommand) {
  TestCluster cluster("etl_exec");
  cluster.StartWorker({"--slots", "3"});
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", Example("01-basic-flow/flow-exec.yaml")}).exit_code,
            0);
  json run = StartAndWait(cluster, {"basic-etl-exec"});
  EXPECT_EQ(run["state"], "FLOW_RUN_STATE_COMPLETED") << run.dump();
  EXPECT_EQ(json::parse(run["result_json"].get<std::string>()), json({{"count", 5}}));
}

TEST(EtlEndToEnd, BadFlowFileIsRefusedWithItsFieldPathAndNothingIsStored) {
  TestCluster cluster("bad_flow");
  const std::string path = cluster.WriteFile("etl.yaml",
                                             "name: etl\n"
                                             "tasks:\n"
                                             "  - name: extract\n"
                                             "    handler: etl.extract\n"
                                             "  - name: transform\n"
                                             "    handler: etl.transform\n"
                                             "    depends_on: [extract]\n"
                                             "  - name: load\n"
                                             "    handler: etl.load\n"
                                             "    depends_on: [transfrom]\n");
  CliResult refused = cluster.Cli({"flow", "apply", "-f", path});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(refused.err, HasSubstr("etl.yaml: tasks[2].depends_on[0] (line 10"));
  EXPECT_THAT(refused.err, HasSubstr("\"transfrom\""));
  EXPECT_THAT(refused.err, HasSubstr("expected one of: extract, transform"));

  CliResult cycle = cluster.Cli(
      {"flow", "apply", "-f",
       cluster.WriteFile("cycle.yaml",
                         "name: cyc\ntasks:\n  - {name: a, handler: noop, depends_on: [b]}\n"
                         "  - {name: b, handler: noop, depends_on: [a]}\n")});
  EXPECT_EQ(cycle.exit_code, 1);
  EXPECT_THAT(cycle.err, HasSubstr("cycle: a -> b -> a"));

  pqxx::connection conn(cluster.database_url());
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM flows")[0].as<int>(), 0);
  CliResult list = cluster.Cli({"flow", "list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.out, ::testing::Not(HasSubstr("etl")));
}

TEST(EtlEndToEnd, SameIdempotencyKeyReturnsTheSameRun) {
  TestCluster cluster("idempotency");
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", Example("01-basic-flow/flow.yaml")}).exit_code, 0);
  CliResult first = cluster.Cli(
      {"-o", "json", "run", "start", "basic-etl", "--idempotency-key", "daily-2026-11-29"});
  CliResult second = cluster.Cli(
      {"-o", "json", "run", "start", "basic-etl", "--idempotency-key", "daily-2026-11-29"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const json a = json::parse(first.out), b = json::parse(second.out);
  EXPECT_EQ(a["run"]["id"], b["run"]["id"]);
  EXPECT_EQ(a["created"], true);
  EXPECT_FALSE(b.value("created", false));
}

TEST(EtlEndToEnd, UnknownFlowAndBadParametersAreClearErrors) {
  TestCluster cluster("bad_start");
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", Example("01-basic-flow/flow.yaml")}).exit_code, 0);
  CliResult unknown = cluster.Cli({"run", "start", "no-such-flow"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("NOT_FOUND: flow \"no-such-flow\" does not exist"));
  CliResult bad_param = cluster.Cli({"run", "start", "basic-etl", "-p", "itemz=[1]"});
  EXPECT_EQ(bad_param.exit_code, 1);
  EXPECT_THAT(bad_param.err, HasSubstr("unknown parameter \"itemz\""));
  CliResult unreachable = TestCluster::CliAt("127.0.0.1:1", {"--timeout", "2s", "flow", "list"});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_THAT(unreachable.err, HasSubstr("UNAVAILABLE"));
}

TEST(EtlEndToEnd, AFailedTaskFailsTheRunAndSkipsItsDownstreamOnly) {
  TestCluster cluster("failure");
  cluster.StartWorker({"--slots", "3"});
  const std::string flow = cluster.WriteFile("fails.yaml", R"(
name: fails
tasks:
  - {name: root, handler: noop}
  - name: broken
    handler: exec
    depends_on: [root]
    config: {command: sh, args: ["-c", "echo 'upstream said no' >&2; exit 3"]}
  - {name: after-broken, handler: noop, depends_on: [broken]}
  - {name: independent, handler: sleep, depends_on: [root], config: {seconds: 0.3}}
)");
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", flow}).exit_code, 0);
  CliResult waited = cluster.Cli({"-o", "json", "run", "start", "fails", "--wait"});
  EXPECT_EQ(waited.exit_code, 3) << "run start --wait exits 3 when the run fails";
  const json run = json::parse(waited.out);
  EXPECT_EQ(run["state"], "FLOW_RUN_STATE_FAILED");
  EXPECT_THAT(run["error"].get<std::string>(), HasSubstr("task \"broken\" FAILED"));
  EXPECT_THAT(run["error"].get<std::string>(), HasSubstr("exited with code 3"));
  EXPECT_THAT(run["error"].get<std::string>(), HasSubstr("upstream said no"));
  std::map<std::string, std::string> states;
  for (const auto& t : run["tasks"]) states[t["name"]] = t["state"];
  EXPECT_EQ(states["root"], "TASK_RUN_STATE_COMPLETED");
  EXPECT_EQ(states["broken"], "TASK_RUN_STATE_FAILED");
  EXPECT_EQ(states["after-broken"], "TASK_RUN_STATE_SKIPPED");
  EXPECT_EQ(states["independent"], "TASK_RUN_STATE_COMPLETED");
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

TEST(EtlEndToEnd, ChangedFlowGetsANewVersionAndRunsRecordTheirVersion) {
  TestCluster cluster("versions");
  cluster.StartWorker();
  const std::string v1 = "name: ver\ntasks:\n  - {name: a, handler: noop}\n";
  const std::string v2 = v1 + "  - {name: b, handler: noop, depends_on: [a]}\n";
  EXPECT_THAT(cluster.Cli({"flow", "apply", "-f", cluster.WriteFile("v1.yaml", v1)}).out,
              HasSubstr("version 1 applied"));
  const json first = StartAndWait(cluster, {"ver"});
  EXPECT_THAT(cluster.Cli({"flow", "apply", "-f", cluster.WriteFile("v1-again.yaml", v1)}).out,
              HasSubstr("version 1 unchanged"));
  EXPECT_THAT(cluster.Cli({"flow", "apply", "-f", cluster.WriteFile("v2.yaml", v2)}).out,
              HasSubstr("version 2 applied"));
  const json second = StartAndWait(cluster, {"ver"});
  const json pinned = StartAndWait(cluster, {"ver", "--version", "1"});
  EXPECT_EQ(first["flow_version"], 1);
  EXPECT_EQ(second["flow_version"], 2);
  EXPECT_EQ(second["tasks"].size(), 2u);
  EXPECT_EQ(pinned["flow_version"], 1);
  EXPECT_EQ(pinned["tasks"].size(), 1u);
}

TEST(EtlEndToEnd, OrchestratorRestartLosesNothingAndWorkersReconnect) {
  TestCluster cluster("restart");
  cluster.StartWorker({"--slots", "2"}, ExampleWorkerBinary());
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", Example("01-basic-flow/flow.yaml")}).exit_code, 0);
  CliResult started = cluster.Cli({"-o", "json", "run", "start", "basic-etl"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const std::string run_id = json::parse(started.out)["run"]["id"];

  cluster.RestartOrchestrator();  // SIGKILL mid-run, then start again on the same database

  auto run = cluster.WaitForRunEnd(run_id, absl::Seconds(60));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED);
  EXPECT_EQ(json::parse(run->result_json()), json({{"count", 5}}));
  // The worker keeps serving the restarted orchestrator.
  json again = StartAndWait(cluster, {"basic-etl"});
  EXPECT_EQ(again["state"], "FLOW_RUN_STATE_COMPLETED");
  EXPECT_THAT(InvariantViolations(cluster.database_url()), IsEmpty());
}

}  // namespace
}  // namespace baton::testing
