// baton_health_probe ADDRESS: prints the orchestrator's overall gRPC health
// (SERVING, NOT_SERVING, ... or "call failed: CODE message") and exits 0.
// For tests that must ask from inside a network namespace.
#include <iostream>

#include "tests/support/grpc_health.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: baton_health_probe ADDRESS\n";
    return 2;
  }
  auto channel = grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials());
  const baton::testing::HealthAnswer answer = baton::testing::CheckHealth(channel, "");
  if (!answer.status.ok()) {
    std::cout << "call failed: " << answer.status.error_code() << " "
              << answer.status.error_message() << "\n";
    return 0;
  }
  std::cout << baton::testing::ToString(answer.health) << "\n";
  return 0;
}
