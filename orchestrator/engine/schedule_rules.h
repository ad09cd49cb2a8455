// Scheduling decisions: which fire times of a deployment get a run, which are
// skipped (and why) after downtime, and what happens when a scheduled run's
// time comes while earlier runs are still active. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/spec/deployment.h"

namespace baton::engine {

// At most this many fire times are looked at in one planning step; the
// cursor makes the next step continue where this one stopped.
inline constexpr int kMaxFiresPerPlan = 10000;
// At most this many skipped fires are listed one by one per step; the rest
// are counted in one summary.
inline constexpr int kMaxListedSkips = 1000;

struct SkippedFire {
  absl::Time at;
  std::string reason;
};

struct FirePlan {
  std::vector<absl::Time> create;    // scheduled runs to create, ascending
  std::vector<SkippedFire> skipped;  // missed fires not run
  int64_t skipped_unlisted = 0;      // more skipped fires beyond kMaxListedSkips
  absl::Time cursor;                 // every fire <= cursor has been handled
};

using NextFireFn = std::function<std::optional<absl::Time>(absl::Time after)>;

// Plans the fires after `cursor` up to `now + horizon`. A fire earlier than
// `now - late_after` was missed (no orchestrator ran to create it in time);
// the catch-up policy decides: kSkip skips every missed fire; kLatest runs
// only the latest missed one; kAll runs up to `max` of the most recent missed
// fires that are within `within` of now. Fires from `now - late_after` on
// are created ahead of time as scheduled runs.
FirePlan PlanFires(const NextFireFn& next_fire, absl::Time cursor, absl::Time now,
                   absl::Duration horizon, absl::Duration late_after,
                   const CatchUpPolicy& catch_up);

enum class OverlapAction {
  kStart,                   // start the run now
  kWait,                    // keep it scheduled until the active run ends
  kSkip,                    // do not run it; record why
  kStartAndCancelPrevious,  // cancel the active runs, then start it
};

// What to do with a scheduled run whose time has come, given how many runs
// of its deployment are active and whether an earlier due run already waits.
OverlapAction DecideOverlap(OverlapPolicy policy, int active_runs, bool earlier_waiting);

// A run that starts more than `late_after` after its scheduled time is late.
bool IsLate(absl::Time scheduled, absl::Time started, absl::Duration late_after);

}  // namespace baton::engine
