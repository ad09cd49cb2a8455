#include "orchestrator/metrics.h"

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/request_deadline.h"
#include "orchestrator/store/metrics_store.h"
#include "spdlog/spdlog.h"

namespace baton {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

const std::vector<double> kLeaseWaitBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                              1,     2.5,  5,     10,   30,  60,   300};

MetricFamily Family(const std::string& name, const std::string& help, MetricType type) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

// One sample per row; counters and gauges share the value.
MetricFamily FromCounts(const std::string& name, const std::string& help, MetricType type,
                        const std::vector<std::string>& label_names,
                        const std::vector<store::LabeledCount>& counts) {
  MetricFamily f = Family(name, help, type);
  for (const store::LabeledCount& c : counts) {
    ClientMetric m;
    for (size_t i = 0; i < label_names.size(); ++i)
      m.label.push_back({label_names[i], c.labels[i]});
    m.gauge.value = c.value;
    m.counter.value = c.value;
    f.metric.push_back(std::move(m));
  }
  return f;
}

MetricFamily Single(const std::string& name, const std::string& help, MetricType type,
                    double value) {
  return FromCounts(name, help, type, {}, {store::LabeledCount{{}, value}});
}

double AttemptsIn(const store::MetricsSnapshot& s, const std::string& state) {
  for (const auto& c : s.attempts) {
    if (c.labels[0] == state) return c.value;
  }
  return 0;
}

MetricFamily LeaseWaitHistogram(const std::vector<double>& waits) {
  MetricFamily f = Family("baton_lease_wait_seconds",
                          "READY to leased, for the latest attempt of each task run leased in "
                          "the last 10 minutes (recomputed at each scrape: a sliding window, "
                          "not a monotonic histogram)",
                          MetricType::Histogram);
  ClientMetric m;
  std::vector<double> bounds = kLeaseWaitBounds;
  bounds.push_back(std::numeric_limits<double>::infinity());
  for (double bound : bounds) {
    ClientMetric::Bucket b;
    b.upper_bound = bound;
    for (double w : waits) b.cumulative_count += w <= bound ? 1 : 0;
    m.histogram.bucket.push_back(b);
  }
  m.histogram.sample_count = waits.size();
  for (double w : waits) m.histogram.sample_sum += w;
  f.metric.push_back(std::move(m));
  return f;
}

std::vector<MetricFamily> FamiliesOf(const store::MetricsSnapshot& s) {
  constexpr auto kGauge = MetricType::Gauge;
  constexpr auto kCounter = MetricType::Counter;
  return {
      FromCounts("baton_flow_runs", "Flow runs by state", kGauge, {"state"}, s.flow_runs),
      FromCounts("baton_task_runs", "Task runs by state", kGauge, {"state"}, s.task_runs),
      FromCounts("baton_ready_tasks", "Tasks READY and not leased, by queue", kGauge, {"queue"},
                 s.ready_tasks),
      FromCounts("baton_circuit_breakers", "1 for each circuit breaker's current state", kGauge,
                 {"key", "state"}, s.breakers),
      FromCounts("baton_workers", "Registered workers by state (ONLINE, LOST, STOPPED)", kGauge,
                 {"state"}, s.workers),
      FromCounts("baton_attempts_total", "Ended attempts by final state", kCounter, {"state"},
                 s.attempts),
      Single("baton_retries_total", "Ended attempts whose decision was a retry", kCounter,
             s.retries),
      Single("baton_attempt_timeouts_total", "Attempts that ended TIMED_OUT", kCounter,
             AttemptsIn(s, "TIMED_OUT")),
      Single("baton_lease_expiries_total", "Attempts that ended LEASE_EXPIRED", kCounter,
             AttemptsIn(s, "LEASE_EXPIRED")),
      Single("baton_undelivered_leases_total",
             "Leases that never reached a worker that took them (UNDELIVERED, not counted as "
             "attempts spent)",
             kCounter, AttemptsIn(s, "UNDELIVERED")),
      LeaseWaitHistogram(s.lease_waits),
  };
}

// What a scrape gives the database at most (the pool stops half a second
// before it, the socket watchdog within 0.2 s of that), so that /metrics
// answers within the README's 5 s; Prometheus' default scrape timeout is 10 s.
constexpr absl::Duration kScrapeBound = absl::Seconds(4);

// Reads the database at every scrape; an unreachable database yields only
// baton_database_up 0.
class DatabaseCollector : public prometheus::Collectable {
 public:
  DatabaseCollector(store::MetricsStore& store, OrchestratorMetricsOptions options)
      : store_(store), options_(std::move(options)) {}

  std::vector<MetricFamily> Collect() const override {
    // A scrape answers within its bound even when the database does not.
    ScopedRequestDeadline bound(absl::Now() + kScrapeBound);
    auto snapshot = store_.Read(options_.worker_liveness, options_.lease_wait_window);
    if (!snapshot.ok()) {
      spdlog::warn("metrics: {}", snapshot.status().ToString());
      return {
          Single("baton_database_up", "1 when the metrics query succeeded", MetricType::Gauge, 0),
          Leadership()};
    }
    std::vector<MetricFamily> families = FamiliesOf(*snapshot);
    families.push_back(Leadership());
    families.push_back(
        Single("baton_database_up", "1 when the metrics query succeeded", MetricType::Gauge, 1));
    return families;
  }

 private:
  // Known without the database: this replica's own view of its leads.
  MetricFamily Leadership() const {
    std::vector<store::LabeledCount> leads;
    if (options_.leadership) {
      for (const auto& [loop, leading] : options_.leadership()) {
        leads.push_back({{loop}, leading ? 1.0 : 0.0});
      }
    }
    return FromCounts("baton_leader", "1 for each background loop this replica leads",
                      MetricType::Gauge, {"loop"}, leads);
  }

  store::MetricsStore& store_;
  const OrchestratorMetricsOptions options_;
};

class RpcCounter : public grpc::experimental::Interceptor {
 public:
  RpcCounter(prometheus::Family<prometheus::Counter>& family, const char* method)
      : family_(family), method_(method ? method : "unknown") {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const auto code = static_cast<absl::StatusCode>(methods->GetSendStatus().error_code());
      family_.Add({{"method", method_}, {"code", absl::StatusCodeToString(code)}}).Increment();
    }
    methods->Proceed();
  }

 private:
  prometheus::Family<prometheus::Counter>& family_;
  const std::string method_;
};

class RpcCountingFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcCountingFactory(prometheus::Family<prometheus::Counter>& family) : family_(family) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcCounter(family_, info->method());
  }

 private:
  prometheus::Family<prometheus::Counter>& family_;
};

}  // namespace

struct OrchestratorMetrics::Parts {
  std::shared_ptr<DatabaseCollector> database;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>* rpcs = nullptr;
  std::string address;
  std::unique_ptr<prometheus::Exposer> exposer;  // last: stops serving first
};

OrchestratorMetrics::OrchestratorMetrics(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

OrchestratorMetrics::~OrchestratorMetrics() = default;

const std::string& OrchestratorMetrics::address() const { return parts_->address; }

absl::StatusOr<std::unique_ptr<OrchestratorMetrics>> OrchestratorMetrics::Start(
    const OrchestratorMetricsOptions& options, store::MetricsStore& store) {
  auto parts = std::make_unique<Parts>();
  parts->database = std::make_shared<DatabaseCollector>(store, options);
  parts->rpcs = &prometheus::BuildCounter()
                     .Name("baton_rpc_total")
                     .Help("gRPC calls served, by method and status code")
                     .Register(*parts->registry);
  try {
    parts->exposer = std::make_unique<prometheus::Exposer>(options.address, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", options.address, ": ", e.what()));
  }
  const std::vector<int> ports = parts->exposer->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", options.address));
  }
  parts->exposer->RegisterCollectable(parts->database);
  parts->exposer->RegisterCollectable(parts->registry);
  parts->address =
      absl::StrCat(options.address.substr(0, options.address.rfind(':')), ":", ports[0]);
  return std::unique_ptr<OrchestratorMetrics>(new OrchestratorMetrics(std::move(parts)));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
OrchestratorMetrics::RpcCounterFactory() {
  return std::make_unique<RpcCountingFactory>(*parts_->rpcs);
}

}  // namespace baton
