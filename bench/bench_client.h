// The calls baton-bench makes to an orchestrator, over the generated gRPC
// stubs: one method per RPC, each with a deadline, errors as absl::Status.
// Keeps grpc:: types out of the benchmark's logic. Thread-compatible.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "baton/v1/flow_service.pb.h"
#include "baton/v1/run_service.pb.h"

namespace baton::bench {

class BenchClient {
 public:
  BenchClient(const std::string& address, absl::Duration rpc_timeout);
  ~BenchClient();

  // Waits until at least `count` workers are ONLINE or `deadline` passes
  // (DEADLINE_EXCEEDED, saying how many were seen). Errors of the calls
  // themselves are retried until the deadline.
  absl::Status WaitForWorkers(int count, absl::Time deadline);

  absl::StatusOr<v1::Flow> ApplyFlow(const std::string& source_name, const std::string& content);
  // Starts a run of the latest version of `flow`; returns its id.
  absl::StatusOr<std::string> StartRun(const std::string& flow);
  // Runs of `flow`, newest first, without their tasks.
  absl::StatusOr<std::vector<v1::Run>> ListRuns(const std::string& flow, int limit);
  // One run with its tasks and attempts.
  absl::StatusOr<v1::Run> GetRun(const std::string& run_id);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace baton::bench
