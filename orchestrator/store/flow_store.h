// Flow definitions and their versions. Thread-safe.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "orchestrator/store/records.h"

namespace baton::store {

class PgPool;

class FlowStore {
 public:
  explicit FlowStore(PgPool& pool) : pool_(pool) {}

  struct Applied {
    FlowRecord flow;
    bool created = false;  // false: identical to the latest version
  };

  // Stores `spec` (canonical JSON of a valid flow) as the next version of its
  // flow, unless it equals the latest version. Versions of one flow are
  // serialized by an advisory lock, so concurrent applies never collide.
  absl::StatusOr<Applied> ApplyFlow(const std::string& name, const std::string& description,
                                    const nlohmann::json& spec);

  // version 0: the latest. NOT_FOUND names the flow (and version).
  absl::StatusOr<FlowRecord> GetFlow(const std::string& name, int32_t version);

  // The latest version of every flow, by name.
  absl::StatusOr<std::vector<FlowRecord>> ListFlows(int limit);

 private:
  PgPool& pool_;
};

}  // namespace baton::store
