#include "orchestrator/engine/breaker_rules.h"

#include "absl/strings/str_cat.h"

namespace baton::engine {
namespace {

BreakerChange Open(const Breaker& b, absl::Duration cooldown, absl::Time now, std::string why) {
  Breaker next = b;
  next.state = BreakerState::kOpen;
  next.open_until = now + cooldown;
  next.probe_task_run_id = 0;
  return {next, b.state != BreakerState::kOpen, std::move(why)};
}

BreakerChange Unchanged(const Breaker& b) { return {b, false, ""}; }

}  // namespace

absl::string_view Name(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed:
      return "CLOSED";
    case BreakerState::kOpen:
      return "OPEN";
    case BreakerState::kHalfOpen:
      return "HALF_OPEN";
  }
  return "UNKNOWN";
}

std::optional<BreakerState> ParseBreakerState(absl::string_view name) {
  for (BreakerState s : {BreakerState::kClosed, BreakerState::kOpen, BreakerState::kHalfOpen}) {
    if (Name(s) == name) return s;
  }
  return std::nullopt;
}

BreakerChange OnAttemptSucceeded(const Breaker& b, int64_t task_run_id, absl::Time) {
  if (b.state == BreakerState::kClosed) {
    Breaker next = b;
    next.failures = 0;
    next.window_start = absl::InfinitePast();
    return {next, false, ""};
  }
  if (b.state == BreakerState::kHalfOpen && b.probe_task_run_id == task_run_id) {
    return {Breaker{}, true, absl::StrCat("probe (task run ", task_run_id, ") succeeded")};
  }
  return Unchanged(b);
}

BreakerChange OnAttemptFailed(const Breaker& b, const CircuitBreakerSpec& spec, int64_t task_run_id,
                              absl::Time now) {
  if (b.state == BreakerState::kHalfOpen && b.probe_task_run_id == task_run_id) {
    return Open(b, spec.cooldown, now, absl::StrCat("probe (task run ", task_run_id, ") failed"));
  }
  if (b.state != BreakerState::kClosed) return Unchanged(b);
  Breaker next = b;
  if (next.failures == 0 || now - next.window_start > spec.window) {
    next.failures = 0;
    next.window_start = now;
  }
  ++next.failures;
  if (next.failures < spec.failure_threshold) return {next, false, ""};
  return Open(
      next, spec.cooldown, now,
      absl::StrCat(next.failures, " failure(s) within ", absl::FormatDuration(spec.window)));
}

BreakerChange Tick(const Breaker& b, absl::Time now) {
  if (b.state != BreakerState::kOpen || now < b.open_until) return Unchanged(b);
  Breaker next = b;
  next.state = BreakerState::kHalfOpen;
  next.probe_task_run_id = 0;
  return {next, true, "cooldown over"};
}

Admission Admit(const Breaker& b, absl::Time now) {
  switch (b.state) {
    case BreakerState::kClosed:
      return Admission::kAllow;
    case BreakerState::kOpen:
      return now >= b.open_until ? Admission::kProbe : Admission::kBlocked;
    case BreakerState::kHalfOpen:
      return b.probe_task_run_id == 0 ? Admission::kProbe : Admission::kBlocked;
  }
  return Admission::kBlocked;
}

}  // namespace baton::engine
