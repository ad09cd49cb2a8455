#include "tests/support/invariants.h"

#include <pqxx/pqxx>

namespace baton::testing {
namespace {

struct Check {
  const char* what;
  const char* sql;  // returns one text column per violation
};

constexpr Check kChecks[] = {
    {"more than one terminal transition",
     "SELECT entity || ' ' || run_id || '/' || task_run_id || '/' || attempt"
     " FROM state_transitions WHERE terminal"
     " GROUP BY entity, run_id, task_run_id, attempt HAVING count(*) > 1"},
    {"completed task run whose current attempt did not succeed",
     "SELECT t.id::text FROM task_runs t LEFT JOIN attempts a"
     " ON a.task_run_id = t.id AND a.number = t.attempt"
     " WHERE t.state = 'COMPLETED' AND (a.state IS DISTINCT FROM 'SUCCEEDED')"},
    {"superseded attempt succeeded",
     "SELECT a.task_run_id || '/' || a.number FROM attempts a JOIN task_runs t"
     " ON t.id = a.task_run_id WHERE a.state = 'SUCCEEDED' AND a.number <> t.attempt"},
    {"finished run with an open task run",
     "SELECT r.id::text FROM flow_runs r JOIN task_runs t ON t.run_id = r.id"
     " WHERE r.state IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT')"
     " AND t.state IN ('PENDING', 'READY', 'RUNNING', 'AWAITING_RETRY')"},
    {"terminal state without its terminal transition",
     "SELECT 'task ' || t.id FROM task_runs t WHERE t.state IN"
     " ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'SKIPPED') AND NOT EXISTS"
     " (SELECT 1 FROM state_transitions s WHERE s.entity = 'task' AND s.task_run_id = t.id"
     "  AND s.terminal AND s.to_state = t.state)"},
};

}  // namespace

std::vector<std::string> InvariantViolations(const std::string& database_url) {
  std::vector<std::string> out;
  pqxx::connection conn(database_url);
  pqxx::read_transaction tx(conn);
  for (const Check& check : kChecks) {
    for (const auto& row : tx.exec(check.sql)) {
      out.push_back(std::string(check.what) + ": " + row[0].as<std::string>());
    }
  }
  return out;
}

}  // namespace baton::testing
