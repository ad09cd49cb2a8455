#include "worker/heartbeater.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"
#include "worker/lease_presumption.h"

namespace baton::worker {

Heartbeater::Heartbeater(OrchestratorClient& client, const Registration& registration,
                         AttemptRegistry& registry, absl::Duration rpc_timeout,
                         std::function<void()> heartbeat_failed)
    : client_(client),
      registration_(registration),
      registry_(registry),
      rpc_timeout_(rpc_timeout),
      heartbeat_failed_(std::move(heartbeat_failed)) {}

void Heartbeater::Run() {
  // Ticks often enough to stop handlers at their deadline and to honour the
  // shortest heartbeat timeout among running attempts.
  constexpr absl::Duration kTick = absl::Milliseconds(100);
  absl::Time last = absl::Now();
  while (!registry_.AwaitWorkEnded(kTick)) {
    EnforceDeadlines();
    if (absl::Now() - last < Every()) continue;
    BeatOnce();
    last = absl::Now();
  }
}

absl::Duration Heartbeater::Every() {
  absl::Duration every = registration_.heartbeat_interval();
  registry_.ForEach([&](HeldAttempt& a) { every = std::min(every, a.heartbeat_timeout / 3); });
  return every;
}

void Heartbeater::EnforceDeadlines() {
  const absl::Time now = absl::Now();
  registry_.ForEach([&](HeldAttempt& a) {
    if (a.stop == StopReason::kNone && now >= a.ctx->deadline()) {
      a.Stop(StopReason::kExecutionTimeout, "execution timeout exceeded");
    }
  });
}

void Heartbeater::BeatOnce() {
  std::vector<v1::AttemptRef> refs;
  absl::Duration shortest_lease = absl::InfiniteDuration();
  const absl::Duration lease_duration = registration_.lease_duration();
  registry_.ForEach([&](HeldAttempt& a) {
    refs.push_back(a.ref);
    shortest_lease = std::min({shortest_lease, lease_duration, a.heartbeat_timeout});
  });
  const std::string id = registration_.worker_id();
  if (refs.empty() || id.empty()) return;
  auto directives =
      client_.Heartbeat(id, refs, HeartbeatCallDeadline(shortest_lease, rpc_timeout_));
  const absl::Time now = absl::Now();
  if (!directives.ok()) {
    OnFailed(directives.status(), now);
    return;
  }
  Apply(*directives, now);
}

// The outage rule: an attempt goes on running while its lease may still be
// held (lease_presumption.h).
void Heartbeater::OnFailed(const absl::Status& error, absl::Time now) {
  if (heartbeat_failed_) heartbeat_failed_();
  spdlog::warn("heartbeat: {}", error.ToString());
  if (OrchestratorLostItsDatabase(error)) database_answer_at_ = now;
  const absl::Duration lease_duration = registration_.lease_duration();
  registry_.ForEach([&](HeldAttempt& a) {
    const absl::Duration lease = std::min(lease_duration, a.heartbeat_timeout);
    if (PresumeLeaseLost(now - a.lease_confirmed_at, now - database_answer_at_, lease)) {
      a.Stop(StopReason::kLeaseLost,
             absl::StrCat("lease presumed lost: no heartbeat accepted for ",
                          absl::FormatDuration(now - a.lease_confirmed_at)));
    }
  });
}

void Heartbeater::Apply(const std::vector<v1::AttemptDirective>& directives, absl::Time now) {
  for (const auto& d : directives) {
    registry_.Visit(d.attempt(), [&](HeldAttempt& a) {
      if (d.action() == v1::AttemptDirective::CONTINUE) {
        a.lease_confirmed_at = now;
        return;
      }
      spdlog::warn("task run {} attempt {}: {}", d.attempt().task_run_id(), d.attempt().attempt(),
                   d.reason());
      if (d.action() == v1::AttemptDirective::CANCEL) {
        a.Stop(StopReason::kCancelled, absl::StrCat("cancelled: ", d.reason()));
      } else {
        a.Stop(StopReason::kLeaseLost, absl::StrCat("lease lost: ", d.reason()));
      }
    });
  }
}

}  // namespace baton::worker
