#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "common/rpc/health_check.h"

namespace baton::cli {
namespace {

int Check(const Globals& g, const std::string& service) {
  CliContext cli(g);
  absl::StatusOr<rpc::ServingStatus> serving = rpc::CheckHealth(g.channel, service, g.timeout);
  if (!serving.ok()) return cli.Fail("health", serving.status());
  std::cout << rpc::ServingStatusName(*serving) << "\n";
  return *serving == rpc::ServingStatus::kServing ? kExitOk : kExitError;
}

}  // namespace

void AddHealthCommand(CLI::App& app, const Globals& globals, int* exit_code) {
  auto service = std::make_shared<std::string>();
  CLI::App* health = app.add_subcommand(
      "health",
      "the orchestrator's gRPC health (grpc.health.v1): prints SERVING and exits 0, or exits 1; "
      "needs no token, so it suits container and load-balancer probes");
  health->add_option("--service", *service,
                     "one service, e.g. baton.v1.WorkerService (default: the whole server)");
  health->callback([&globals, service, exit_code] { *exit_code = Check(globals, *service); });
}

}  // namespace baton::cli
