#include "orchestrator/engine/leader_rules.h"

namespace baton::engine {

bool MustTakeOver(const std::optional<LeadTick>& last, const LeadTick& now,
                  absl::Duration max_gap) {
  if (!last) return true;
  return last->term != now.term || last->database_started_at != now.database_started_at ||
         now.at - last->at > max_gap;
}

}  // namespace baton::engine
