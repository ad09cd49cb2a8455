#include "tests/chaos/soak_checks.h"

#include <iostream>
#include <pqxx/pqxx>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/chaos/fault_checks.h"
#include "tests/chaos/soak_flows.h"

namespace baton::chaos {
namespace {

constexpr char kMissingCheck[] = "acknowledged submit missing, or not the run of that submit";
constexpr char kOpenCheck[] = "acknowledged submit not terminal";
constexpr char kIdempotencyCheck[] =
    "one submit answered with different runs, or made more than one run";
constexpr char kDesignCheck[] = "run ended other than designed (unexplained by the faults)";
constexpr char kOverdueCheck[] = "open row overdue (its time passed 30 s ago; READY: 60 s)";
constexpr char kFireCheck[] = "deployment fire neither run nor recorded as skipped";

constexpr char kRunsQuery[] =
    "SELECT id::text, flow_name, state, coalesce(error, ''), coalesce(result::text, ''),"
    " parameters::text, correlation_id, deployment_id IS NOT NULL,"
    " baton_us(created_at), baton_us(coalesce(ended_at, now())) FROM flow_runs";

constexpr char kTasksQuery[] = "SELECT run_id::text, name, state FROM task_runs";

constexpr char kAttemptsOfRun[] =
    "SELECT t.name, t.state, coalesce(a.number, 0), coalesce(a.state, ''), coalesce(w.name, ''),"
    " coalesce(baton_us(a.leased_at), 0), coalesce(baton_us(a.ended_at), 0),"
    " coalesce(a.error_type, ''),"
    " coalesce(left(a.error, 160), ''), coalesce(a.decision, '')"
    " FROM task_runs t LEFT JOIN attempts a ON a.task_run_id = t.id"
    " LEFT JOIN workers w ON w.id = a.worker_id WHERE t.run_id = $1::uuid"
    " ORDER BY t.position, a.number";

constexpr char kOverdueQuery[] =
    "SELECT 'task run ' || id || ' (run ' || run_id || ') RUNNING, lease ran out at '"
    " || lease_expires_at FROM task_runs"
    " WHERE state = 'RUNNING' AND lease_expires_at < now() - interval '30 seconds'"
    " UNION ALL SELECT 'task run ' || id || ' (run ' || run_id || ') AWAITING_RETRY since '"
    " || not_before FROM task_runs"
    " WHERE state = 'AWAITING_RETRY' AND not_before < now() - interval '30 seconds'"
    " UNION ALL SELECT 'task run ' || id || ' (run ' || run_id || ') READY since ' || ready_at"
    " FROM task_runs WHERE state = 'READY' AND ready_at < now() - interval '60 seconds'"
    " UNION ALL SELECT 'run ' || id || ' SCHEDULED for ' || scheduled_time FROM flow_runs"
    " WHERE state = 'SCHEDULED' AND scheduled_time < now() - interval '30 seconds'";

// Fires after the deployment's first full minute, up to its cursor.
constexpr char kFiresQuery[] =
    "SELECT d.name || ' at ' || f FROM deployments d, generate_series("
    " date_trunc('minute', d.created_at) + interval '1 minute', d.cursor, interval '1 minute') f"
    " WHERE NOT EXISTS (SELECT 1 FROM flow_runs r WHERE r.deployment_id = d.id"
    "  AND r.scheduled_time = f)"
    " AND NOT EXISTS (SELECT 1 FROM skipped_fires s WHERE s.deployment_id = d.id"
    "  AND s.scheduled_time = f)";

constexpr char kAttemptStates[] =
    "SELECT state || coalesce(' ' || nullif(error_type, ''), ''), count(*)::int FROM attempts"
    " GROUP BY 1 ORDER BY 1";

struct RunRow {
  std::string id, flow, state, error, result, params, correlation_id;
  bool scheduled = false;
  absl::Time created, ended;  // ended: now while open
};

bool Terminal(const std::string& state) {
  return state == "COMPLETED" || state == "FAILED" || state == "CANCELLED" || state == "TIMED_OUT";
}

using TaskStates =
    std::map<std::string, std::map<std::string, std::string>>;  // run -> task -> state

// Empty when `run` ended as its flow is designed to; else the designed end.
std::string Judge(const RunRow& run, const Submit* submit, const TaskStates& tasks) {
  const SoakFlow* flow = FindSoakFlow(run.flow);
  if (flow == nullptr) return "a flow the soak does not submit";
  switch (flow->design) {
    case Design::kComplete:
      if (run.scheduled && run.state == "CANCELLED" &&
          absl::StartsWith(run.error, "skipped: overlap policy")) {
        return "";
      }
      if (run.state != "COMPLETED") return "COMPLETED";
      if (std::string bad = CheckResult(run.flow, run.params, run.result); !bad.empty()) {
        return "COMPLETED with the designed result: " + bad;
      }
      return "";
    case Design::kFailOnTimeout: {
      auto run_tasks = tasks.find(run.id);
      const bool timed_out = run_tasks != tasks.end() && run_tasks->second.count("hang") &&
                             run_tasks->second.at("hang") == "TIMED_OUT";
      return run.state == "FAILED" && timed_out ? "" : "FAILED with task hang TIMED_OUT";
    }
    case Design::kFlowTimeout:
      return run.state == "TIMED_OUT" ? "" : "TIMED_OUT";
    case Design::kCancelWhenAsked:
      if (submit != nullptr && submit->cancel_acked) {
        return run.state == "CANCELLED" ? "" : "CANCELLED (its cancel was acknowledged)";
      }
      return run.state == "CANCELLED" || run.state == "COMPLETED" ? "" : "CANCELLED or COMPLETED";
  }
  return "";
}

// The run's tasks and attempts, and the faults that overlapped it.
std::string Explain(pqxx::transaction_base& tx, const RunRow& run,
                    const std::vector<FaultRecord>& faults, absl::Time epoch) {
  std::string out =
      absl::StrCat("\n      lived ", Since(run.created, epoch), " .. ", Since(run.ended, epoch));
  for (const auto& row : tx.exec_params(kAttemptsOfRun, run.id)) {
    absl::StrAppend(&out, "\n      task ", row[0].c_str(), " ", row[1].c_str());
    if (row[2].as<int>() == 0) continue;
    const int64_t ended = row[6].as<int64_t>();
    absl::StrAppend(&out, ": attempt ", row[2].as<int>(), " ", row[3].c_str(), " on ",
                    row[4].c_str(), " ", Since(absl::FromUnixMicros(row[5].as<int64_t>()), epoch),
                    "..", ended > 0 ? Since(absl::FromUnixMicros(ended), epoch) : "", " ",
                    row[7].c_str(), " '", row[8].c_str(), "' decision '", row[9].c_str(), "'");
  }
  absl::StrAppend(
      &out, "\n      faults meanwhile: ", FaultsDuring(faults, run.created, run.ended, epoch));
  return out;
}

std::vector<std::string> Column(pqxx::transaction_base& tx, const char* query) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec(query)) out.push_back(row[0].as<std::string>());
  return out;
}

void CheckSubmits(const std::map<std::string, RunRow>& runs, const std::vector<Submit>& submits,
                  SoakReport& report) {
  std::map<std::string, std::vector<std::string>> by_correlation;
  for (const auto& [id, run] : runs) by_correlation[run.correlation_id].push_back(id);
  testing::InvariantCheck missing{kMissingCheck, {}};
  testing::InvariantCheck open{kOpenCheck, {}};
  testing::InvariantCheck twice{kIdempotencyCheck, {}};
  std::vector<std::string> unacked_committed;
  for (const Submit& s : submits) {
    const std::string who = absl::StrCat("submit ", s.seq, " (", s.flow,
                                         s.idempotency_key.empty() ? ", no key" : ", keyed", ")");
    const std::set<std::string> ids(s.acked_run_ids.begin(), s.acked_run_ids.end());
    const auto& made = by_correlation[s.correlation_id];
    if (ids.size() > 1 || made.size() > 1) {
      twice.rows.push_back(absl::StrCat(who, ": answered ", absl::StrJoin(ids, ", "),
                                        "; runs in the database ", absl::StrJoin(made, ", ")));
    }
    if (ids.empty() && !made.empty()) {
      unacked_committed.push_back(absl::StrCat(who, " -> ", made[0], " (", s.last_error, ")"));
    }
    for (const std::string& id : ids) {
      auto it = runs.find(id);
      if (it == runs.end() || it->second.flow != s.flow ||
          it->second.correlation_id != s.correlation_id) {
        missing.rows.push_back(
            absl::StrCat(who, ": acknowledged run ", id,
                         it == runs.end() ? " does not exist" : " is another's"));
      } else if (!Terminal(it->second.state)) {
        open.rows.push_back(absl::StrCat(who, ": run ", id, " still ", it->second.state));
      }
    }
  }
  report.checks.insert(report.checks.end(), {missing, open, twice});
  report.notes.push_back(absl::StrCat(submits.size(), " submits, ", unacked_committed.size(),
                                      " never acknowledged yet committed (a retry without a key"
                                      " would have made a second run)"));
  for (const std::string& line : unacked_committed) report.notes.push_back("  " + line);
}

void CheckDesigns(pqxx::transaction_base& tx, const std::map<std::string, RunRow>& runs,
                  const std::vector<Submit>& submits, const std::vector<FaultRecord>& faults,
                  absl::Time epoch, SoakReport& report) {
  std::map<std::string, const Submit*> submit_of;
  for (const Submit& s : submits) submit_of[s.correlation_id] = &s;
  TaskStates tasks;
  for (const auto& row : tx.exec(kTasksQuery)) {
    tasks[row[0].as<std::string>()][row[1].as<std::string>()] = row[2].as<std::string>();
  }
  testing::InvariantCheck design{kDesignCheck, {}};
  for (const auto& [id, run] : runs) {
    report.runs[absl::StrCat(run.flow, run.scheduled ? " (scheduled) " : " ", run.state)]++;
    if (!Terminal(run.state)) continue;
    auto submit = submit_of.find(run.correlation_id);
    const std::string designed =
        Judge(run, submit == submit_of.end() ? nullptr : submit->second, tasks);
    if (designed.empty()) continue;
    design.rows.push_back(absl::StrCat("run ", id, " ", run.flow, " ended ", run.state,
                                       ", designed ", designed, "; error '", run.error, "'",
                                       Explain(tx, run, faults, epoch)));
  }
  report.checks.push_back(std::move(design));
}

}  // namespace

bool SoakReport::ok() const {
  for (const auto& check : checks) {
    if (!check.rows.empty()) return false;
  }
  return true;
}

SoakReport CheckSoak(const SoakCluster& cluster, const SoakRecord& record) {
  SoakReport report;
  report.checks = testing::CheckInvariants(cluster.HarnessUrl());
  pqxx::connection conn(cluster.HarnessUrl());
  pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(
      conn);
  std::map<std::string, RunRow> runs;
  for (const auto& r : tx.exec(kRunsQuery)) {
    runs[r[0].as<std::string>()] = {r[0].as<std::string>(),
                                    r[1].as<std::string>(),
                                    r[2].as<std::string>(),
                                    r[3].as<std::string>(),
                                    r[4].as<std::string>(),
                                    r[5].as<std::string>(),
                                    r[6].as<std::string>(),
                                    r[7].as<bool>(),
                                    absl::FromUnixMicros(r[8].as<int64_t>()),
                                    absl::FromUnixMicros(r[9].as<int64_t>())};
  }
  CheckSubmits(runs, record.submits, report);
  CheckDesigns(tx, runs, record.submits, record.faults, record.epoch, report);
  report.checks.push_back({kOverdueCheck, Column(tx, kOverdueQuery)});
  report.checks.push_back({kFireCheck, Column(tx, kFiresQuery)});
  for (auto& check : CheckLostLeases(tx, record.faults, record.epoch)) {
    report.checks.push_back(std::move(check));
  }
  report.checks.push_back(
      CheckClientCalls(record.calls, record.health, record.faults, record.epoch));
  for (const auto& row : tx.exec(kAttemptStates)) {
    report.attempts[row[0].as<std::string>()] = row[1].as<int>();
  }
  for (const char* name :
       {kOrphanCheck, kFrozenLeaderCheck, kNoReplicaCheck, kNotServingCheck, kFaultFailedCheck}) {
    testing::InvariantCheck check{name, {}};
    for (const Finding& f : record.findings) {
      if (f.check == name) check.rows.push_back(f.row);
    }
    report.checks.push_back(std::move(check));
  }
  int failed = 0;
  for (const CallRecord& call : record.calls) failed += call.error.empty() ? 0 : 1;
  report.notes.push_back(absl::StrCat(record.calls.size(), " CLI calls, ", failed, " failed"));
  return report;
}

void PrintReport(const SoakReport& report, size_t max_rows) {
  std::cout << "==== runs by flow and final state\n";
  for (const auto& [what, count] : report.runs) std::cout << "  " << what << ": " << count << "\n";
  std::cout << "==== attempts by state (and error type)\n";
  for (const auto& [what, count] : report.attempts) {
    std::cout << "  " << what << ": " << count << "\n";
  }
  std::cout << "==== invariants (violations)\n";
  for (const auto& check : report.checks) {
    std::cout << "  " << (check.rows.empty() ? "ok   " : "FAIL ") << check.name << ": "
              << check.rows.size() << "\n";
    for (size_t i = 0; i < check.rows.size() && i < max_rows; ++i) {
      std::cout << "      " << check.rows[i] << "\n";
    }
    if (check.rows.size() > max_rows) {
      std::cout << "      ... and " << check.rows.size() - max_rows << " more\n";
    }
  }
  std::cout << "==== notes\n";
  for (const std::string& note : report.notes) std::cout << "  " << note << "\n";
  std::cout << std::flush;
}

}  // namespace baton::chaos
