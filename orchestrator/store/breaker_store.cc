#include "orchestrator/store/breaker_store.h"

#include "absl/strings/str_cat.h"
#include "orchestrator/store/breaker_ops.h"
#include "orchestrator/store/pg_pool.h"

namespace baton::store {
namespace {

const std::string kBreakerRecordColumns =
    absl::StrCat(kBreakerColumns, ", spec::text, baton_us(updated_at)");

const std::string kListBreakers = absl::StrCat("SELECT ", kBreakerRecordColumns,
                                               " FROM circuit_breakers ORDER BY key LIMIT 1000");

const std::string kResetBreaker = absl::StrCat(
    "UPDATE circuit_breakers SET state = 'CLOSED', failures = 0, window_start = NULL,"
    " open_until = NULL, probe_task_run_id = NULL, updated_at = now() WHERE key = $1"
    " RETURNING ",
    kBreakerRecordColumns);

BreakerRecord RecordFrom(const pqxx::row& row) {
  BreakerRecord r;
  r.key = row[0].as<std::string>();
  r.breaker = BreakerFromRow(row);
  r.spec = CircuitBreakerFromJson(nlohmann::json::parse(row[6].as<std::string>())).value();
  r.updated_at = TimeFromMicros(row[7]);
  return r;
}

}  // namespace

absl::StatusOr<std::vector<BreakerRecord>> BreakerStore::ListBreakers() {
  using Records = std::vector<BreakerRecord>;
  return pool_.TransactFor<Records>([&](pqxx::work& tx) -> absl::StatusOr<Records> {
    Records out;
    for (const auto& row : tx.exec(kListBreakers)) out.push_back(RecordFrom(row));
    return out;
  });
}

absl::StatusOr<BreakerRecord> BreakerStore::ResetBreaker(const std::string& key) {
  return pool_.TransactFor<BreakerRecord>([&](pqxx::work& tx) -> absl::StatusOr<BreakerRecord> {
    pqxx::result rows = tx.exec_params(kResetBreaker, key);
    if (rows.empty()) {
      return absl::NotFoundError(absl::StrCat("circuit breaker \"", key, "\" does not exist"));
    }
    return RecordFrom(rows[0]);
  });
}

}  // namespace baton::store
