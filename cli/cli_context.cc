#include "cli/cli_context.h"

#include <grpcpp/grpcpp.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/rpc/tls_diagnosis.h"

namespace baton::cli {
namespace {

// main.cc admits only the names in kOutputNames.
Output ParseOutput(const std::string& name) {
  for (const OutputName& o : kOutputNames) {
    if (name == o.name) return o.output;
  }
  return Output::kTable;
}

}  // namespace

std::vector<std::string> OutputNames() {
  std::vector<std::string> names;
  for (const OutputName& o : kOutputNames) names.push_back(o.name);
  return names;
}

CliContext::CliContext(const Globals& globals)
    : connection_(globals.connection),
      output_(ParseOutput(globals.output)),
      timeout_(globals.timeout) {
  const std::shared_ptr<grpc::Channel>& channel = globals.channel;
  flows_ = v1::FlowService::NewStub(channel);
  runs_ = v1::RunService::NewStub(channel);
  cluster_ = v1::ClusterService::NewStub(channel);
  breakers_ = v1::BreakerService::NewStub(channel);
  deployments_ = v1::DeploymentService::NewStub(channel);
}

absl::Status OpenGlobalChannel(Globals* globals) {
  auto channel = rpc::OpenChannel(globals->connection);
  if (!channel.ok()) return channel.status();
  globals->channel = *std::move(channel);
  return absl::OkStatus();
}

std::unique_ptr<grpc::ClientContext> CliContext::Call() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout_));
  return ctx;
}

int CliContext::Fail(const std::string& what, const absl::Status& status) const {
  const absl::Status explained = rpc::ExplainTlsFailure(status, connection_);
  std::cerr << "baton: " << what << ": " << absl::StatusCodeToString(explained.code()) << ": "
            << explained.message() << "\n";
  return kExitError;
}

}  // namespace baton::cli
