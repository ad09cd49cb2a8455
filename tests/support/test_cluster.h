// A real Baton cluster for end-to-end tests: a fresh database on the test
// PostgreSQL, a baton-orchestrator process on 127.0.0.1:<free port> with
// short timings, worker processes on demand, the baton CLI as a process, and
// gRPC stubs for what the CLI does not expose (e.g. a stale completion).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "baton/v1/run_service.grpc.pb.h"
#include "baton/v1/worker_service.grpc.pb.h"
#include "tests/support/child_process.h"

namespace baton::testing {

struct ClusterOptions {
  absl::Duration lease_duration = absl::Seconds(2);
  absl::Duration heartbeat_interval = absl::Milliseconds(400);
  absl::Duration reaper_interval = absl::Milliseconds(200);
  std::vector<std::string> extra_orchestrator_args;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class TestCluster {
 public:
  // Starts the orchestrator and waits (bounded) until it serves; aborts the
  // test with the orchestrator's log if it does not.
  explicit TestCluster(const std::string& name, ClusterOptions options = {});
  ~TestCluster();

  const std::string& address() const { return address_; }
  const std::string& database_url() const { return database_url_; }
  const std::string& dir() const { return dir_; }  // a folder of this cluster's own
  ChildProcess& orchestrator() { return *orchestrator_; }

  // SIGKILLs the orchestrator and starts a new one on the same database and
  // address (what a crash and a supervisor restart look like).
  void RestartOrchestrator();

  // Starts one more orchestrator on the same database (a replica) with the
  // same options plus `extra_args`; returns its address.
  std::string StartReplica(std::vector<std::string> extra_args = {});

  // Starts `binary` (default baton-worker) with --orchestrator and `args`.
  ChildProcess& StartWorker(std::vector<std::string> args = {}, const std::string& binary = "");

  // Runs the baton CLI with --address and `args`; bounded by 60 s.
  CliResult Cli(std::vector<std::string> args) { return CliAt(address_, std::move(args)); }
  static CliResult CliAt(const std::string& address, std::vector<std::string> args);

  // Writes `text` to a file in dir() and returns its path.
  std::string WriteFile(const std::string& name, const std::string& text);

  absl::StatusOr<v1::Run> GetRun(const std::string& run_id);
  // Polls until the run is terminal; error after `timeout`.
  absl::StatusOr<v1::Run> WaitForRunEnd(const std::string& run_id, absl::Duration timeout);

  v1::WorkerService::Stub& worker_api() { return *worker_api_; }

  // Applies `flow_yaml` (written to dir()/<flow>.yaml) and starts a run of
  // `flow` with `args` (e.g. {"-p", "k=v"}); returns the run id. Fails the
  // calling test (and returns "") when either step fails.
  std::string ApplyAndStart(const std::string& flow_yaml, const std::string& flow,
                            std::vector<std::string> args = {});

  // Applies `flow_yaml` and `deployment_yaml` (written to dir()), starts a
  // run of deployment `deployment` now and returns its id. Fails the calling
  // test (and returns "") when a step fails.
  std::string ApplyAndRunDeployment(const std::string& flow_yaml,
                                    const std::string& deployment_yaml,
                                    const std::string& deployment);

  // Polls until task `task` of the run is in `state`; false after `timeout`.
  bool WaitForTaskState(const std::string& run_id, const std::string& task, v1::TaskRunState state,
                        absl::Duration timeout);

 private:
  // Starts an orchestrator process; returns it and its bound address.
  std::unique_ptr<ChildProcess> LaunchOrchestrator(const std::string& listen,
                                                   const std::string& name,
                                                   const std::vector<std::string>& extra_args,
                                                   std::string* address);
  void StartOrchestrator(const std::string& listen);

  ClusterOptions options_;
  std::string dir_;
  std::string database_url_;
  std::string address_;
  std::unique_ptr<ChildProcess> orchestrator_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
  std::vector<std::unique_ptr<ChildProcess>> replicas_;
  std::unique_ptr<v1::WorkerService::Stub> worker_api_;
  std::unique_ptr<v1::RunService::Stub> run_api_;
};

// The task run named `name`, or null.
const v1::TaskRun* FindTask(const v1::Run& run, const std::string& name);

// Paths of the binaries under test and of the source tree.
std::string OrchestratorBinary();
std::string WorkerBinary();
std::string CliBinary();
std::string ExampleWorkerBinary();
std::string SourceDir();

}  // namespace baton::testing
