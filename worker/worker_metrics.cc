#include "worker/worker_metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace baton::worker {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

// Busy and free slots, asked of the worker at each scrape.
class SlotsCollector : public prometheus::Collectable {
 public:
  void Watch(std::function<int()> busy, int slots) {
    std::lock_guard<std::mutex> lock(mu_);
    busy_ = std::move(busy);
    slots_ = slots;
  }

  std::vector<MetricFamily> Collect() const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!busy_) return {};
    const int busy = busy_();
    MetricFamily f;
    f.name = "baton_worker_slots";
    f.help = "Slots holding an attempt (busy) and free";
    f.type = prometheus::MetricType::Gauge;
    f.metric.push_back(Sample("busy", busy));
    f.metric.push_back(Sample("free", slots_ - busy));
    return {f};
  }

 private:
  static ClientMetric Sample(const std::string& state, int value) {
    ClientMetric m;
    m.label.push_back({"state", state});
    m.gauge.value = value;
    return m;
  }

  mutable std::mutex mu_;
  std::function<int()> busy_;
  int slots_ = 0;
};

}  // namespace

struct WorkerMetrics::Parts {
  std::shared_ptr<SlotsCollector> slots = std::make_shared<SlotsCollector>();
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>* attempts = nullptr;
  prometheus::Counter* heartbeat_failures = nullptr;
  std::string address;
  std::unique_ptr<prometheus::Exposer> exposer;  // last: stops serving first
};

WorkerMetrics::WorkerMetrics(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

WorkerMetrics::~WorkerMetrics() = default;

const std::string& WorkerMetrics::address() const { return parts_->address; }

absl::StatusOr<std::unique_ptr<WorkerMetrics>> WorkerMetrics::Start(const std::string& address) {
  auto parts = std::make_unique<Parts>();
  parts->attempts = &prometheus::BuildCounter()
                         .Name("baton_worker_attempts_total")
                         .Help("Attempts this worker ran, by outcome")
                         .Register(*parts->registry);
  parts->heartbeat_failures = &prometheus::BuildCounter()
                                   .Name("baton_worker_heartbeat_failures_total")
                                   .Help("Heartbeat RPCs that failed")
                                   .Register(*parts->registry)
                                   .Add({});
  try {
    parts->exposer = std::make_unique<prometheus::Exposer>(address, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot listen on ", address, ": ", e.what()));
  }
  const std::vector<int> ports = parts->exposer->GetListeningPorts();
  if (ports.empty())
    return absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", address));
  parts->exposer->RegisterCollectable(parts->registry);
  parts->exposer->RegisterCollectable(parts->slots);
  parts->address = absl::StrCat(address.substr(0, address.rfind(':')), ":", ports[0]);
  return std::unique_ptr<WorkerMetrics>(new WorkerMetrics(std::move(parts)));
}

WorkerHooks WorkerMetrics::Hooks() {
  WorkerHooks hooks;
  prometheus::Family<prometheus::Counter>* attempts = parts_->attempts;
  hooks.attempt_finished = [attempts](const std::string& outcome) {
    attempts->Add({{"outcome", outcome}}).Increment();
  };
  prometheus::Counter* failures = parts_->heartbeat_failures;
  hooks.heartbeat_failed = [failures] { failures->Increment(); };
  return hooks;
}

void WorkerMetrics::WatchSlots(std::function<int()> busy, int slots) {
  parts_->slots->Watch(std::move(busy), slots);
}

}  // namespace baton::worker
