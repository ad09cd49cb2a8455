#include "orchestrator/engine/routing_rules.h"

#include "absl/strings/str_cat.h"

namespace baton::engine {

std::string MissingRoute(bool ready, const std::string& queue, const std::string& handler,
                         const ServedRoutes& served) {
  if (!ready || served.count({queue, handler}) > 0) return "";
  return absl::StrCat("no online worker serves handler \"", handler, "\" on queue \"", queue, "\"");
}

}  // namespace baton::engine
