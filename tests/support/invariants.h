// Checks, straight in the database, the invariants every test run must keep:
// no run, task run or attempt has more than one terminal transition; a
// completed task run's result came from its current attempt, which succeeded;
// no superseded attempt succeeded; a finished run has no open task run.
//
// CheckInvariants adds stricter ones that hold whenever no transaction is in
// flight between two of its statements (the chaos soak runs them at the end):
// each terminal row has exactly one terminal transition, to the state it is
// in; attempts of a task run are numbered 1..n with n its current attempt,
// each ended before the next was leased, and only the current one may be
// open; every open row has the time that moves it on (lease expiry, retry
// time, scheduled time); at most one run per (deployment, scheduled time).
#pragma once

#include <string>
#include <vector>

namespace baton::testing {

struct InvariantCheck {
  std::string name;               // what must hold, as a violation reads
  std::vector<std::string> rows;  // one line per offending row; empty when it holds
};

// One line per violation of the basic invariants above; empty when all hold.
std::vector<std::string> InvariantViolations(const std::string& database_url);

// Every invariant, basic and strict, in a fixed order, each with its rows.
// Throws what libpqxx throws when the database cannot be read.
std::vector<InvariantCheck> CheckInvariants(const std::string& database_url);

}  // namespace baton::testing
