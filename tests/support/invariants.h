// Checks, straight in the database, the invariants every test run must keep:
// no run, task run or attempt has more than one terminal transition; a
// completed task run's result came from its current attempt, which succeeded;
// no superseded attempt succeeded; a finished run has no open task run.
#pragma once

#include <string>
#include <vector>

namespace baton::testing {

// One line per violation; empty when all hold.
std::vector<std::string> InvariantViolations(const std::string& database_url);

}  // namespace baton::testing
