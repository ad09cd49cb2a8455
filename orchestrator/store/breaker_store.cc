#include "orchestrator/store/breaker_store.h"

#include "absl/strings/str_cat.h"
#include "orchestrator/store/breaker_ops.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/breaker.h"

namespace baton::store {
namespace {

namespace sql = queries::breaker;

// Reads the columns of queries/breaker/list_breakers.sql, by name.
BreakerRecord RecordFrom(const pqxx::row& row) {
  BreakerRecord r;
  r.key = row["key"].as<std::string>();
  r.breaker = BreakerFromRow(row);
  r.spec = CircuitBreakerFromJson(nlohmann::json::parse(row["spec"].as<std::string>())).value();
  r.updated_at = TimeFromMicros(row["updated_at_us"]);
  return r;
}

}  // namespace

absl::StatusOr<std::vector<BreakerRecord>> BreakerStore::ListBreakers() {
  using Records = std::vector<BreakerRecord>;
  return pool_.TransactFor<Records>([&](pqxx::work& tx) -> absl::StatusOr<Records> {
    Records out;
    for (const auto& row : tx.exec(sql::kListBreakers)) out.push_back(RecordFrom(row));
    return out;
  });
}

absl::StatusOr<BreakerRecord> BreakerStore::ResetBreaker(const std::string& key) {
  return pool_.TransactFor<BreakerRecord>([&](pqxx::work& tx) -> absl::StatusOr<BreakerRecord> {
    pqxx::result rows = tx.exec_params(sql::kResetBreaker, key);
    if (rows.empty()) {
      return absl::NotFoundError(absl::StrCat("circuit breaker \"", key, "\" does not exist"));
    }
    return RecordFrom(rows[0]);
  });
}

}  // namespace baton::store
