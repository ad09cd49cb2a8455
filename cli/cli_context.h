// What every `baton` command shares: where the orchestrator is, how to print,
// and the RPC deadline. Commands return an exit code.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "baton/v1/breaker_service.grpc.pb.h"
#include "baton/v1/cluster_service.grpc.pb.h"
#include "baton/v1/deployment_service.grpc.pb.h"
#include "baton/v1/flow_service.grpc.pb.h"
#include "baton/v1/run_service.grpc.pb.h"
#include "common/rpc/client_channel.h"

namespace grpc {
class ClientContext;
}

namespace baton::cli {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;      // the request failed (message on stderr)
inline constexpr int kExitRunFailed = 3;  // --wait: the run ended other than COMPLETED

// How commands print. kCsv and kMarkdown are what `run list` and `run get`
// offer (cli/report.h); the other commands print a table for them.
enum class Output { kTable, kJson, kCsv, kMarkdown };

// The names --output accepts.
struct OutputName {
  const char* name;
  Output output;
};
inline constexpr OutputName kOutputNames[] = {{"table", Output::kTable},
                                              {"json", Output::kJson},
                                              {"csv", Output::kCsv},
                                              {"markdown", Output::kMarkdown}};
std::vector<std::string> OutputNames();

struct Globals {
  // --address (one or several), TLS and the token; `channel` is built from it
  // by OpenGlobalChannel() once the flags are parsed, before any command runs.
  rpc::ChannelOptions connection{"127.0.0.1:7233"};
  std::shared_ptr<grpc::Channel> channel;
  std::string output = "table";
  absl::Duration timeout = absl::Seconds(10);
};

// Opens `globals->channel` from `globals->connection`.
absl::Status OpenGlobalChannel(Globals* globals);

class CliContext {
 public:
  explicit CliContext(const Globals& globals);

  Output output() const { return output_; }
  v1::FlowService::Stub& flows() { return *flows_; }
  v1::RunService::Stub& runs() { return *runs_; }
  v1::ClusterService::Stub& cluster() { return *cluster_; }
  v1::BreakerService::Stub& breakers() { return *breakers_; }
  v1::DeploymentService::Stub& deployments() { return *deployments_; }

  // A client context whose deadline is the --timeout from now.
  std::unique_ptr<grpc::ClientContext> Call() const;

  // Prints "baton: <what>: <status>" to stderr and returns kExitError. An
  // UNAVAILABLE over TLS first gets the handshake's problem, if there is one
  // (rpc::ExplainTlsFailure: a few seconds at most).
  int Fail(const std::string& what, const absl::Status& status) const;

 private:
  rpc::ChannelOptions connection_;
  Output output_;
  absl::Duration timeout_;
  std::unique_ptr<v1::FlowService::Stub> flows_;
  std::unique_ptr<v1::RunService::Stub> runs_;
  std::unique_ptr<v1::ClusterService::Stub> cluster_;
  std::unique_ptr<v1::BreakerService::Stub> breakers_;
  std::unique_ptr<v1::DeploymentService::Stub> deployments_;
};

}  // namespace baton::cli
