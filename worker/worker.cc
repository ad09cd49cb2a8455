#include "worker/worker.h"

#include <unistd.h>

#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
#include "worker/attempt_registry.h"
#include "worker/heartbeater.h"
#include "worker/lease_poller.h"
#include "worker/log_shipper.h"
#include "worker/orchestrator_client.h"
#include "worker/registration.h"
#include "worker/slot_runner.h"

namespace baton::worker {
namespace {

// HTTP/2 pings, so a replica that stopped answering (frozen, its host gone)
// is left within twice this, even mid-poll.
constexpr absl::Duration kKeepalive = absl::Seconds(4);
// After cancelling handlers at the end of a drain, how long to wait for them.
constexpr absl::Duration kCancelGrace = absl::Seconds(10);

std::string DefaultName() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, ":", getpid());
}

WorkerOptions WithName(WorkerOptions options) {
  if (options.name.empty()) options.name = DefaultName();
  return options;
}

}  // namespace

// The parts, wired: the poller admits leases to the registry, slots run them
// and report, the heartbeater keeps their leases, the log shipper sends their
// lines. Run() starts and stops them.
struct Worker::Impl {
  explicit Impl(WorkerOptions worker_options)
      : options(WithName(std::move(worker_options))),
        client(rpc::ChannelOptions{options.orchestrator, options.security, kKeepalive},
               options.rpc_timeout),
        registry(options.slots),
        shipper(client, registration, registry, options.log_flush_interval),
        slots(handlers, options.hooks, client, registration, registry, shipper),
        heartbeater(client, registration, registry, options.rpc_timeout,
                    options.hooks.heartbeat_failed),
        poller(options, handlers, client, registration, registry) {}

  absl::Status Run();
  void Drain();
  void Deregister();

  const WorkerOptions options;
  std::map<std::string, Handler> handlers;
  OrchestratorClient client;
  Registration registration;
  AttemptRegistry registry;
  LogShipper shipper;
  SlotRunner slots;
  Heartbeater heartbeater;
  LeasePoller poller;
};

absl::Status Worker::Impl::Run() {
  std::vector<std::thread> slot_threads;
  for (int i = 0; i < options.slots; ++i) slot_threads.emplace_back([this] { slots.Run(); });
  std::thread heartbeats([this] { heartbeater.Run(); });
  std::thread log_shipper([this] { shipper.Run(); });
  const absl::Status refused = poller.Run();  // returns once stopping
  registry.EndPolling();
  Drain();
  const bool abandoned = registry.Finish();
  heartbeats.join();
  log_shipper.join();
  for (auto& t : slot_threads) {
    // A handler that ignored cancellation cannot be joined within a bound.
    if (abandoned)
      t.detach();
    else
      t.join();
  }
  if (abandoned) spdlog::error("drain: abandoned handlers that ignored cancellation");
  Deregister();
  spdlog::info("worker stopped");
  return refused;
}

void Worker::Impl::Drain() {
  const int still_running = registry.AwaitEmpty(options.drain_timeout);
  if (still_running == 0) return;
  spdlog::warn("drain: {} attempt(s) still running after {}; cancelling them", still_running,
               absl::FormatDuration(options.drain_timeout));
  registry.ForEach([](HeldAttempt& a) { a.Stop(StopReason::kShutdown, "worker shutting down"); });
  registry.AwaitEmpty(kCancelGrace);
}

void Worker::Impl::Deregister() {
  const std::string id = registration.worker_id();
  if (id.empty()) return;
  absl::Status s = client.Deregister(id);
  if (!s.ok()) spdlog::warn("deregister: {}", s.ToString());
}

Worker::Worker(WorkerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Worker::~Worker() = default;

void Worker::Register(const std::string& name, Handler handler) {
  impl_->handlers[name] = std::move(handler);
}

absl::Status Worker::Run() {
  if (!impl_->client.status().ok()) return impl_->client.status();
  const int slots = impl_->options.slots;
  if (slots < 1 || slots > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("slots: ", slots, " is out of range; expected 1..1024"));
  }
  return impl_->Run();
}

int Worker::BusySlots() const { return impl_->registry.BusySlots(); }

void Worker::Stop() {
  impl_->registry.RequestStop();
  impl_->client.CancelPolls();
}

}  // namespace baton::worker
