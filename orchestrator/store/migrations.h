// Schema migrations: numbered SQL files under store/migrations/, compiled into
// the binary, applied in order, each in its own transaction, under an advisory
// lock so that replicas starting together apply each exactly once. Applying
// them again is harmless.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace baton::store {

class PgPool;

struct Migration {
  int version;
  std::string name;  // file name, e.g. "0001_core.sql"
  std::string sql;
};

// The migrations compiled into this binary, ordered by version.
const std::vector<Migration>& BuiltinMigrations();

// Applies the migrations not yet recorded in baton_schema_migrations and
// returns the versions it applied (empty when up to date). FAILED_PRECONDITION
// when the database holds a version this binary does not know (a newer Baton
// migrated it).
absl::StatusOr<std::vector<int>> ApplyMigrations(PgPool& pool);

}  // namespace baton::store
