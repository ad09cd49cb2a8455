#include "orchestrator/loops/background_loops.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "orchestrator/loops/scheduler.h"
#include "orchestrator/loops/timer_loop.h"
#include "orchestrator/store/leadership.h"
#include "orchestrator/store/lease_store.h"
#include "orchestrator/store/schedule_store.h"
#include "orchestrator/store/timer_store.h"
#include "spdlog/spdlog.h"

namespace baton {
namespace {

absl::StatusOr<std::unique_ptr<store::Leadership>> OpenLeadership(
    const BackgroundLoopOptions& options, const std::string& loop) {
  store::LeadershipOptions lead;
  lead.url = options.database_url;
  lead.loop = loop;
  lead.replica = options.replica;
  return store::Leadership::Open(std::move(lead));
}

}  // namespace

// Declaration order is teardown order reversed: the loops stop before the
// stores and leaderships they use go.
struct BackgroundLoops::Parts {
  std::unique_ptr<store::Leadership> timers_lead;
  std::unique_ptr<store::LeaseStore> leases;
  std::unique_ptr<store::TimerStore> timers;
  std::unique_ptr<TimerLoop> timer_loop;
  std::unique_ptr<store::Leadership> scheduler_lead;
  std::unique_ptr<store::ScheduleStore> schedules;
  std::unique_ptr<Scheduler> scheduler;

  absl::Status StartTimers(const BackgroundLoopOptions& options) {
    auto lead = OpenLeadership(options, store::kTimersLoop);
    if (!lead.ok()) return lead.status();
    timers_lead = *std::move(lead);
    leases = std::make_unique<store::LeaseStore>(timers_lead->pool(), options.execution_grace);
    timers = std::make_unique<store::TimerStore>(timers_lead->pool());
    store::Leadership* leadership = timers_lead.get();
    // The grant runs on the timers' own connection, fenced by their lock.
    store::LeaseStore* lease_store = leases.get();
    const absl::Duration lease = options.lease_duration;
    leadership->set_on_takeover([lease_store, lease]() -> absl::Status {
      absl::StatusOr<int> granted = lease_store->GrantLeases(lease);
      if (!granted.ok()) return granted.status();
      spdlog::info(
          "leadership: taking over the timers: granted {} running attempt(s) a fresh "
          "lease before expiring any",
          *granted);
      return absl::OkStatus();
    });
    timer_loop = std::make_unique<TimerLoop>(*leases, *timers, options.reaper_interval,
                                             [leadership] { return leadership->Lead(); });
    return absl::OkStatus();
  }

  absl::Status StartScheduler(const BackgroundLoopOptions& options) {
    auto lead = OpenLeadership(options, store::kSchedulerLoop);
    if (!lead.ok()) return lead.status();
    scheduler_lead = *std::move(lead);
    schedules = std::make_unique<store::ScheduleStore>(scheduler_lead->pool());
    store::Leadership* leadership = scheduler_lead.get();
    scheduler = std::make_unique<Scheduler>(*schedules, options.schedule_horizon,
                                            options.scheduler_interval,
                                            [leadership] { return leadership->Lead(); });
    return absl::OkStatus();
  }
};

absl::StatusOr<std::unique_ptr<BackgroundLoops>> BackgroundLoops::Start(
    const BackgroundLoopOptions& options) {
  auto parts = std::make_unique<Parts>();
  if (auto s = parts->StartTimers(options); !s.ok()) return s;
  if (auto s = parts->StartScheduler(options); !s.ok()) return s;
  parts->timer_loop->Start();
  parts->scheduler->Start();
  return std::unique_ptr<BackgroundLoops>(new BackgroundLoops(std::move(parts)));
}

BackgroundLoops::BackgroundLoops(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

BackgroundLoops::~BackgroundLoops() { Stop(); }

void BackgroundLoops::Stop() {
  parts_->timer_loop->Stop();
  parts_->scheduler->Stop();
}

bool BackgroundLoops::leads_timers() const { return parts_->timers_lead->leading(); }

bool BackgroundLoops::leads_scheduler() const { return parts_->scheduler_lead->leading(); }

std::string ReplicaName(const std::string& listen) {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "/", getpid(), " ", listen);
}

}  // namespace baton
