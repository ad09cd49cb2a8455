// One private PostgreSQL per test binary, started on first use in a temporary
// folder (fsync off) and stopped at exit; each caller gets a fresh database,
// so tests (and test binaries run in parallel by ctest) never share state.
#pragma once

#include <string>

namespace baton::testing {

// libpq connection string of a new, empty database whose name starts with
// `prefix`. Aborts the test binary (with the reason) if PostgreSQL cannot start.
std::string FreshDatabaseUrl(const std::string& prefix);

// The temporary folder of this test binary (created on first use, removed at
// exit; reachable by the postgres user when running as root).
const std::string& TestTempDir();

}  // namespace baton::testing
