#include "tests/support/invariants.h"

#include <pqxx/pqxx>

namespace baton::testing {
namespace {

struct Check {
  const char* what;
  const char* sql;  // returns one text column per violation
};

constexpr Check kBasicChecks[] = {
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

// Runs, task runs and attempts with their state and whether it is terminal,
// keyed as state_transitions keys them.
#define BATON_ALL_ROWS                                                                       \
  "WITH all_rows AS ("                                                                       \
  "  SELECT 'run' AS entity, id AS run_id, 0::bigint AS task_run_id, 0 AS attempt, state,"   \
  "    state IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT') AS terminal"               \
  "  FROM flow_runs"                                                                         \
  "  UNION ALL SELECT 'task', run_id, id, 0, state,"                                         \
  "    state IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'SKIPPED') FROM task_runs" \
  "  UNION ALL SELECT 'attempt', t.run_id, a.task_run_id, a.number, a.state,"                \
  "    a.state IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'LEASE_EXPIRED', 'CANCELLED',"        \
  "      'UNDELIVERED')"                                                                     \
  "  FROM attempts a JOIN task_runs t ON t.id = a.task_run_id) "

#define BATON_OPEN_TASK "('PENDING', 'READY', 'RUNNING', 'AWAITING_RETRY')"

constexpr Check kStrictChecks[] = {
    {"row and its terminal transitions disagree (a terminal row needs exactly one, to its"
     " state; an open row none)",
     BATON_ALL_ROWS
     "SELECT r.entity || ' ' || r.run_id || '/' || r.task_run_id || '/' || r.attempt || ' is '"
     " || r.state || coalesce(', terminal transitions to ' || string_agg(s.to_state, ', '),"
     " ', no terminal transition')"
     " FROM all_rows r LEFT JOIN state_transitions s ON s.terminal AND s.entity = r.entity"
     "  AND s.run_id = r.run_id AND s.task_run_id = r.task_run_id AND s.attempt = r.attempt"
     " GROUP BY r.entity, r.run_id, r.task_run_id, r.attempt, r.state, r.terminal"
     " HAVING (r.terminal AND (count(s.id) <> 1 OR bool_or(s.to_state <> r.state)))"
     "  OR (NOT r.terminal AND count(s.id) > 0)"},
    {"attempts of a task run not numbered 1..n with n its current attempt",
     "SELECT 'task run ' || t.id || ' (run ' || t.run_id || '): current attempt ' || t.attempt"
     " || ', attempts ' || coalesce(string_agg(a.number::text, ',' ORDER BY a.number), 'none')"
     " FROM task_runs t LEFT JOIN attempts a ON a.task_run_id = t.id GROUP BY t.id"
     " HAVING count(a.number) <> t.attempt OR coalesce(max(a.number), 0) <> t.attempt"},
    {"attempt ended after the next attempt was leased (a superseded attempt's outcome taken)",
     "SELECT 'attempt ' || e.task_run_id || '/' || e.attempt || ' ended ' || e.to_state || ' at '"
     " || e.at || ' (transition ' || e.id || ') after attempt ' || s.attempt || ' was leased at '"
     " || s.at || ' (transition ' || s.id || ')'"
     " FROM state_transitions s JOIN state_transitions e ON e.entity = 'attempt' AND e.terminal"
     "  AND e.run_id = s.run_id AND e.task_run_id = s.task_run_id AND e.attempt = s.attempt - 1"
     " WHERE s.entity = 'attempt' AND NOT s.terminal AND s.to_state = 'RUNNING' AND e.id > s.id"},
    {"open attempt that is not its running task run's current one",
     "SELECT 'attempt ' || a.task_run_id || '/' || a.number || ' RUNNING while its task run is '"
     " || t.state || ' at attempt ' || t.attempt FROM attempts a JOIN task_runs t"
     " ON t.id = a.task_run_id WHERE a.state = 'RUNNING'"
     " AND (t.state <> 'RUNNING' OR t.attempt <> a.number)"
     " UNION ALL SELECT 'task run ' || t.id || ' RUNNING without its attempt ' || t.attempt"
     " running FROM task_runs t LEFT JOIN attempts a"
     " ON a.task_run_id = t.id AND a.number = t.attempt"
     " WHERE t.state = 'RUNNING' AND a.state IS DISTINCT FROM 'RUNNING'"},
    {"open row without the time that moves it on",
     "SELECT 'task run ' || id || ' ' || state || ' without '"
     " || CASE state WHEN 'RUNNING' THEN 'a lease' ELSE 'a retry time' END FROM task_runs"
     " WHERE (state = 'RUNNING' AND (lease_expires_at IS NULL OR lease_token IS NULL))"
     "  OR (state = 'AWAITING_RETRY' AND not_before IS NULL)"
     " UNION ALL SELECT 'run ' || id || ' SCHEDULED without a scheduled time' FROM flow_runs"
     " WHERE state = 'SCHEDULED' AND scheduled_time IS NULL"
     " UNION ALL SELECT 'run ' || r.id || ' ' || r.state || ' with no open task run'"
     " FROM flow_runs r WHERE r.state IN ('PENDING', 'RUNNING', 'CANCELLING') AND NOT EXISTS"
     " (SELECT 1 FROM task_runs t WHERE t.run_id = r.id AND t.state IN " BATON_OPEN_TASK ")"},
    {"run's count of open task runs disagrees with its task runs",
     "SELECT 'run ' || r.id || ' ' || r.state || ': open_tasks ' || r.open_tasks"
     " || ', open task runs ' || count(t.id) FILTER (WHERE t.state IN " BATON_OPEN_TASK ")"
     " FROM flow_runs r LEFT JOIN task_runs t ON t.run_id = r.id WHERE r.state <> 'SCHEDULED'"
     " GROUP BY r.id HAVING r.open_tasks <>"
     "  count(t.id) FILTER (WHERE t.state IN " BATON_OPEN_TASK ")"},
    {"more than one run per (deployment, scheduled time)",
     "SELECT deployment_id || ' at ' || scheduled_time || ': ' || string_agg(id::text, ', ')"
     " FROM flow_runs WHERE deployment_id IS NOT NULL AND scheduled_time IS NOT NULL"
     " GROUP BY deployment_id, scheduled_time HAVING count(*) > 1"},
};

#undef BATON_ALL_ROWS
#undef BATON_OPEN_TASK

template <typename Transaction, size_t N>
void RunChecks(Transaction& tx, const Check (&checks)[N], std::vector<InvariantCheck>& out) {
  for (const Check& check : checks) {
    InvariantCheck result{check.what, {}};
    for (const auto& row : tx.exec(check.sql))
      result.rows.push_back(row[0].template as<std::string>());
    out.push_back(std::move(result));
  }
}

}  // namespace

std::vector<std::string> InvariantViolations(const std::string& database_url) {
  pqxx::connection conn(database_url);
  pqxx::read_transaction tx(conn);
  std::vector<InvariantCheck> checks;
  RunChecks(tx, kBasicChecks, checks);
  std::vector<std::string> out;
  for (const InvariantCheck& check : checks) {
    for (const std::string& row : check.rows) out.push_back(check.name + ": " + row);
  }
  return out;
}

std::vector<InvariantCheck> CheckInvariants(const std::string& database_url) {
  pqxx::connection conn(database_url);
  // One snapshot for every check: each holds between any two transactions.
  pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(
      conn);
  std::vector<InvariantCheck> out;
  RunChecks(tx, kBasicChecks, out);
  RunChecks(tx, kStrictChecks, out);
  return out;
}

}  // namespace baton::testing
