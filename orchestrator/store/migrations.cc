#include "orchestrator/store/migrations.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/queries/migration.h"
#include "spdlog/spdlog.h"

namespace baton::store {
namespace {

// Any constant works; it only has to be the same in every Baton process.
constexpr int64_t kMigrationLockKey = 0x6261746f6e;  // "baton"

constexpr const char* kLockMigrations = "SELECT pg_advisory_xact_lock($1)";
constexpr const char* kSelectApplied = "SELECT version FROM baton_schema_migrations";
constexpr const char* kRecordApplied =
    "INSERT INTO baton_schema_migrations (version, name) VALUES ($1, $2)";

absl::StatusOr<std::set<int>> LockAndReadApplied(pqxx::work& tx) {
  tx.exec_params(kLockMigrations, kMigrationLockKey);
  tx.exec(queries::migration::kCreateMigrationsTable);
  std::set<int> applied;
  for (const auto& row : tx.exec(kSelectApplied)) applied.insert(row["version"].as<int>());
  return applied;
}

absl::Status CheckKnown(const std::set<int>& applied) {
  const int newest = BuiltinMigrations().empty() ? 0 : BuiltinMigrations().back().version;
  if (!applied.empty() && *applied.rbegin() > newest) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database schema is at migration ", *applied.rbegin(), " but this binary knows only up to ",
        newest, ": run a newer baton-orchestrator"));
  }
  return absl::OkStatus();
}

// Applies `m` unless present; returns whether it did.
absl::StatusOr<bool> ApplyOne(PgPool& pool, const Migration& m) {
  return pool.TransactFor<bool>([&](pqxx::work& tx) -> absl::StatusOr<bool> {
    auto applied = LockAndReadApplied(tx);
    if (!applied.ok()) return applied.status();
    if (auto s = CheckKnown(*applied); !s.ok()) return s;
    if (applied->count(m.version)) return false;
    tx.exec(m.sql);
    tx.exec_params(kRecordApplied, m.version, m.name);
    return true;
  });
}

}  // namespace

absl::StatusOr<std::vector<int>> ApplyMigrations(PgPool& pool) {
  std::vector<int> done;
  for (const Migration& m : BuiltinMigrations()) {
    absl::StatusOr<bool> applied = ApplyOne(pool, m);
    if (!applied.ok()) {
      return absl::Status(applied.status().code(),
                          absl::StrCat("migration ", m.name, ": ", applied.status().message()));
    }
    if (*applied) {
      spdlog::info("applied migration {}", m.name);
      done.push_back(m.version);
    }
  }
  return done;
}

}  // namespace baton::store
