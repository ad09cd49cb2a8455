// The orchestrator's Prometheus endpoint: GET http://<address>/metrics.
// State gauges and attempt counters are read from the database at each scrape
// (store::MetricsStore); RPC counts come from a gRPC server interceptor.
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc::experimental {
class ServerInterceptorFactoryInterface;
}  // namespace grpc::experimental

namespace baton {
namespace store {
class MetricsStore;
}  // namespace store

struct OrchestratorMetricsOptions {
  std::string address;                                   // host:port; port 0: any free port
  absl::Duration worker_liveness = absl::Seconds(60);    // older: the worker is LOST
  absl::Duration lease_wait_window = absl::Minutes(10);  // leases the histogram covers
  // (loop, whether this replica leads it) for baton_leader; may be empty.
  std::function<std::vector<std::pair<std::string, bool>>()> leadership;
};

class OrchestratorMetrics {
 public:
  // Serves /metrics on options.address. UNAVAILABLE when it cannot listen.
  // `store` must outlive the returned object.
  static absl::StatusOr<std::unique_ptr<OrchestratorMetrics>> Start(
      const OrchestratorMetricsOptions& options, store::MetricsStore& store);
  ~OrchestratorMetrics();

  // "host:port" actually bound.
  const std::string& address() const;

  // Counts every RPC by method and status code into baton_rpc_total; for
  // grpc::ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RpcCounterFactory();

  struct Parts;

 private:
  explicit OrchestratorMetrics(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace baton
