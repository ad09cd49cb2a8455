#include "orchestrator/engine/schedule_rules.h"

#include <deque>

#include "absl/strings/str_cat.h"

namespace baton::engine {
namespace {

// Collects skipped fires, listing the first kMaxListedSkips.
class Skips {
 public:
  explicit Skips(FirePlan& plan) : plan_(plan) {}
  void Add(absl::Time at, std::string reason) {
    if (plan_.skipped.size() < kMaxListedSkips) {
      plan_.skipped.push_back({at, std::move(reason)});
    } else {
      ++plan_.skipped_unlisted;
    }
  }

 private:
  FirePlan& plan_;
};

size_t KeepMissed(const CatchUpPolicy& p) {
  switch (p.kind) {
    case CatchUpPolicy::Kind::kSkip:
      return 0;
    case CatchUpPolicy::Kind::kLatest:
      return 1;
    case CatchUpPolicy::Kind::kAll:
      return static_cast<size_t>(p.max);
  }
  return 0;
}

std::string DroppedReason(const CatchUpPolicy& p) {
  switch (p.kind) {
    case CatchUpPolicy::Kind::kSkip:
      return "missed while no orchestrator was running; catch_up policy skip";
    case CatchUpPolicy::Kind::kLatest:
      return "missed while no orchestrator was running; catch_up policy latest runs only the "
             "latest missed fire";
    case CatchUpPolicy::Kind::kAll:
      return absl::StrCat(
          "missed while no orchestrator was running; catch_up policy all runs "
          "at most the ",
          p.max, " most recent missed fires");
  }
  return "missed";
}

}  // namespace

FirePlan PlanFires(const NextFireFn& next_fire, absl::Time cursor, absl::Time now,
                   absl::Duration horizon, absl::Duration late_after,
                   const CatchUpPolicy& catch_up) {
  FirePlan plan;
  plan.cursor = cursor;
  Skips skips(plan);
  const absl::Time missed_before = now - late_after;
  const size_t keep = KeepMissed(catch_up);
  std::deque<absl::Time> kept;      // the most recent missed fires, at most `keep`
  absl::Time before_kept = cursor;  // the last fire considered before kept.front()
  bool stopped_at_limit = true;
  for (int seen = 0; seen < kMaxFiresPerPlan; ++seen) {
    std::optional<absl::Time> fire = next_fire(plan.cursor);
    if (!fire || *fire > now + horizon) {
      stopped_at_limit = false;
      break;
    }
    if (kept.empty()) before_kept = plan.cursor;
    plan.cursor = *fire;
    if (*fire >= missed_before) {
      plan.create.push_back(*fire);
      continue;
    }
    if (catch_up.kind == CatchUpPolicy::Kind::kAll && *fire < now - catch_up.within) {
      skips.Add(*fire, absl::StrCat("missed while no orchestrator was running; older than "
                                    "catch_up within ",
                                    absl::FormatDuration(catch_up.within)));
      continue;
    }
    kept.push_back(*fire);
    if (kept.size() > keep) {
      skips.Add(kept.front(), DroppedReason(catch_up));
      before_kept = kept.front();
      kept.pop_front();
    }
  }
  // Stopped among missed fires: which are the most recent is not known yet,
  // so the kept ones are looked at again by the next step.
  if (stopped_at_limit && plan.cursor < missed_before && !kept.empty()) {
    plan.cursor = before_kept;
    return plan;
  }
  plan.create.insert(plan.create.begin(), kept.begin(), kept.end());
  return plan;
}

OverlapAction DecideOverlap(OverlapPolicy policy, int active_runs, bool earlier_waiting) {
  if (active_runs == 0 && !earlier_waiting) return OverlapAction::kStart;
  switch (policy) {
    case OverlapPolicy::kAllow:
      return OverlapAction::kStart;
    case OverlapPolicy::kSkip:
      return active_runs > 0 ? OverlapAction::kSkip : OverlapAction::kStart;
    case OverlapPolicy::kBufferOne:
      if (earlier_waiting) return OverlapAction::kSkip;
      return active_runs > 0 ? OverlapAction::kWait : OverlapAction::kStart;
    case OverlapPolicy::kCancelPrevious:
      return active_runs > 0 ? OverlapAction::kStartAndCancelPrevious : OverlapAction::kStart;
  }
  return OverlapAction::kStart;
}

bool IsLate(absl::Time scheduled, absl::Time started, absl::Duration late_after) {
  return started - scheduled > late_after;
}

}  // namespace baton::engine
