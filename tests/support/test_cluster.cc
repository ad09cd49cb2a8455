#include "tests/support/test_cluster.h"

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/process/subprocess.h"
#include "common/rpc/grpc_status.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_postgres.h"

namespace baton::testing {
namespace {

std::string Millis(absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d), "ms"); }

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool IsTerminal(v1::FlowRunState s) {
  return s == v1::FLOW_RUN_STATE_COMPLETED || s == v1::FLOW_RUN_STATE_FAILED ||
         s == v1::FLOW_RUN_STATE_CANCELLED || s == v1::FLOW_RUN_STATE_TIMED_OUT;
}

}  // namespace

std::string OrchestratorBinary() { return BATON_ORCHESTRATOR_BIN; }
std::string WorkerBinary() { return BATON_WORKER_BIN; }
std::string CliBinary() { return BATON_CLI_BIN; }
std::string ExampleWorkerBinary() { return BATON_EXAMPLE_WORKER_BIN; }
std::string SourceDir() { return BATON_SOURCE_DIR; }

TestCluster::TestCluster(const std::string& name, ClusterOptions options)
    : options_(std::move(options)) {
  static int counter = 0;
  dir_ = absl::StrCat(TestTempDir(), "/", name, "_", counter++);
  std::filesystem::create_directories(dir_);
  database_url_ = FreshDatabaseUrl(name);
  StartOrchestrator("127.0.0.1:0");
  auto channel = grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
  worker_api_ = v1::WorkerService::NewStub(channel);
  run_api_ = v1::RunService::NewStub(channel);
}

std::unique_ptr<ChildProcess> TestCluster::LaunchOrchestrator(
    const std::string& listen, const std::string& name, const std::vector<std::string>& extra_args,
    std::string* address) {
  const std::string ready_file = absl::StrCat(dir_, "/", name, ".addr");
  std::filesystem::remove(ready_file);
  std::vector<std::string> argv = {OrchestratorBinary(),
                                   "--database-url",
                                   database_url_,
                                   "--listen",
                                   listen,
                                   "--ready-file",
                                   ready_file,
                                   "--lease-duration",
                                   Millis(options_.lease_duration),
                                   "--heartbeat-interval",
                                   Millis(options_.heartbeat_interval),
                                   "--reaper-interval",
                                   Millis(options_.reaper_interval),
                                   "--max-poll-wait",
                                   "5s",
                                   "--db-pool-size",
                                   "8",
                                   "--scheduler-interval",
                                   "200ms"};
  argv.insert(argv.end(), options_.extra_orchestrator_args.begin(),
              options_.extra_orchestrator_args.end());
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  auto process = std::make_unique<ChildProcess>(argv, absl::StrCat(dir_, "/", name, ".log"));
  if (!WaitUntil(absl::Seconds(30),
                 [&] { return std::filesystem::exists(ready_file) || !process->running(); }) ||
      !std::filesystem::exists(ready_file)) {
    std::cerr << name << " did not start:\n" << process->Log() << "\n";
    std::abort();
  }
  *address = ReadFirstLine(ready_file);
  return process;
}

void TestCluster::StartOrchestrator(const std::string& listen) {
  orchestrator_ = LaunchOrchestrator(listen, "orchestrator", {}, &address_);
}

std::string TestCluster::StartReplica(std::vector<std::string> extra_args) {
  std::string address;
  replicas_.push_back(LaunchOrchestrator("127.0.0.1:0", absl::StrCat("replica", replicas_.size()),
                                         extra_args, &address));
  return address;
}

void TestCluster::RestartOrchestrator() {
  orchestrator_->Signal(SIGKILL);
  orchestrator_->WaitExit(absl::Seconds(10));
  // The port may linger briefly after a kill; retrying keeps the address.
  StartOrchestrator(address_);
}

TestCluster::~TestCluster() {
  for (auto& w : workers_) w->Signal(SIGKILL);
  for (auto& r : replicas_) r->Signal(SIGTERM);
  orchestrator_->Signal(SIGTERM);
  if (!orchestrator_->WaitExit(absl::Seconds(10))) orchestrator_->Signal(SIGKILL);
}

ChildProcess& TestCluster::StartWorker(std::vector<std::string> args, const std::string& binary) {
  std::vector<std::string> argv = {binary.empty() ? WorkerBinary() : binary, "--orchestrator",
                                   address_, "--poll-wait", "5s"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = absl::StrCat(dir_, "/worker", workers_.size(), ".log");
  // The source tree, so that exec flows find the example scripts.
  workers_.push_back(std::make_unique<ChildProcess>(argv, log, SourceDir()));
  return *workers_.back();
}

CliResult TestCluster::CliAt(const std::string& address, std::vector<std::string> args) {
  SubprocessOptions run;
  run.argv = {CliBinary(), "--address", address};
  run.argv.insert(run.argv.end(), args.begin(), args.end());
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  auto result = RunSubprocess(run, [deadline] { return absl::Now() > deadline; });
  if (!result.ok()) return {-1, "", result.status().ToString()};
  return {result->exit_code, result->stdout_tail, result->stderr_tail};
}

std::string TestCluster::WriteFile(const std::string& name, const std::string& text) {
  const std::string path = dir_ + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string TestCluster::ApplyAndStart(const std::string& flow_yaml, const std::string& flow,
                                       std::vector<std::string> args) {
  CliResult applied = Cli({"flow", "apply", "-f", WriteFile(flow + ".yaml", flow_yaml)});
  EXPECT_EQ(applied.exit_code, 0) << applied.err;
  std::vector<std::string> start = {"-o", "json", "run", "start", flow};
  start.insert(start.end(), args.begin(), args.end());
  CliResult started = Cli(start);
  EXPECT_EQ(started.exit_code, 0) << started.err;
  nlohmann::json out = nlohmann::json::parse(started.out, nullptr, false);
  if (out.is_discarded() || !out.contains("run")) return "";
  return out["run"]["id"];
}

std::string TestCluster::ApplyAndRunDeployment(const std::string& flow_yaml,
                                               const std::string& deployment_yaml,
                                               const std::string& deployment) {
  CliResult flow = Cli({"flow", "apply", "-f", WriteFile(deployment + "-flow.yaml", flow_yaml)});
  EXPECT_EQ(flow.exit_code, 0) << flow.err;
  CliResult applied =
      Cli({"deployment", "apply", "-f", WriteFile(deployment + ".yaml", deployment_yaml)});
  EXPECT_EQ(applied.exit_code, 0) << applied.err;
  CliResult started = Cli({"-o", "json", "deployment", "run", deployment});
  EXPECT_EQ(started.exit_code, 0) << started.err;
  nlohmann::json out = nlohmann::json::parse(started.out, nullptr, false);
  if (out.is_discarded() || !out.contains("run")) return "";
  return out["run"]["id"];
}

bool TestCluster::WaitForTaskState(const std::string& run_id, const std::string& task,
                                   v1::TaskRunState state, absl::Duration timeout) {
  return WaitUntil(timeout, [&] {
    auto run = GetRun(run_id);
    const v1::TaskRun* t = run.ok() ? FindTask(*run, task) : nullptr;
    return t != nullptr && t->state() == state;
  });
}

const v1::TaskRun* FindTask(const v1::Run& run, const std::string& name) {
  for (const auto& t : run.tasks()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

absl::StatusOr<v1::Run> TestCluster::GetRun(const std::string& run_id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetRunRequest request;
  request.set_run_id(run_id);
  v1::Run run;
  grpc::Status s = run_api_->GetRun(&ctx, request, &run);
  if (!s.ok()) return rpc::FromGrpcStatus(s);
  return run;
}

absl::StatusOr<v1::Run> TestCluster::WaitForRunEnd(const std::string& run_id,
                                                   absl::Duration timeout) {
  absl::StatusOr<v1::Run> run = absl::DeadlineExceededError("not polled");
  const bool ended = WaitUntil(timeout, [&] {
    run = GetRun(run_id);
    return !run.ok() || IsTerminal(run->state());
  });
  if (!run.ok()) return run.status();
  if (!ended) {
    return absl::DeadlineExceededError(
        absl::StrCat("run ", run_id, " still ", v1::FlowRunState_Name(run->state())));
  }
  return run;
}

}  // namespace baton::testing
