#include "tests/chaos/fault_checks.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace baton::chaos {
namespace {

constexpr char kGoneWorkerCheck[] =
    "attempt spent on a worker already gone (killed, frozen, cut off) when it was leased";
constexpr char kHealthyLossCheck[] =
    "lease lost by a worker no fault touched (database and replica faults must not cost leases)";
constexpr char kServingCheck[] =
    "CLI call failed while every replica said SERVING (1.5 s before to 1.5 s after)";
constexpr absl::Duration kHealthMargin = absl::Milliseconds(1500);
// Faults that ended this long before a lost lease or a failed call are named
// with it too: their effects (answers held by a blackhole, say) outlive them.
constexpr absl::Duration kAftermath = absl::Seconds(10);

// Attempts that ran out of lease, with their worker and times.
constexpr char kLostAttempts[] =
    "SELECT a.task_run_id || '/' || a.number || ' (run ' || t.run_id || ', task ' || t.name || ')',"
    " coalesce(w.name, ''), baton_us(a.leased_at), baton_us(coalesce(a.ended_at, now())),"
    " coalesce(a.error_type, ''), coalesce(left(a.error, 160), '')"
    " FROM attempts a JOIN task_runs t ON t.id = a.task_run_id"
    " LEFT JOIN workers w ON w.id = a.worker_id WHERE a.state = 'LEASE_EXPIRED'"
    " ORDER BY a.leased_at";

bool IsWorkerFault(FaultKind kind) {
  return kind == FaultKind::kWorkerKill || kind == FaultKind::kWorkerStop ||
         kind == FaultKind::kWorkerNetCut;
}

}  // namespace

std::string Since(absl::Time t, absl::Time epoch) {
  const int64_t tenths = absl::ToInt64Milliseconds(t - epoch) / 100;
  return absl::StrCat(tenths < 0 ? "-" : "+", std::abs(tenths) / 10, ".", std::abs(tenths) % 10,
                      "s");
}

std::string FaultsDuring(const std::vector<FaultRecord>& faults, absl::Time from, absl::Time to,
                         absl::Time epoch) {
  std::vector<std::string> out;
  for (const FaultRecord& f : faults) {
    const absl::Time began = epoch + f.began;
    if (began <= to && began + f.lasted >= from) {
      out.push_back(absl::StrCat("#", f.number, " ", Describe(f.fault),
                                 f.target != f.fault.target ? " (" + f.target + ")" : "", " at ",
                                 Since(began, epoch)));
    }
  }
  return out.empty() ? "none" : absl::StrJoin(out, "; ");
}

std::vector<testing::InvariantCheck> CheckLostLeases(pqxx::transaction_base& tx,
                                                     const std::vector<FaultRecord>& faults,
                                                     absl::Time epoch) {
  testing::InvariantCheck gone{kGoneWorkerCheck, {}};
  testing::InvariantCheck healthy{kHealthyLossCheck, {}};
  for (const auto& row : tx.exec(kLostAttempts)) {
    const std::string worker = row[1].as<std::string>();
    const absl::Time leased = absl::FromUnixMicros(row[2].as<int64_t>());
    const absl::Time ended = absl::FromUnixMicros(row[3].as<int64_t>());
    bool leased_while_gone = false;
    bool touched = false;
    for (const FaultRecord& f : faults) {
      if (!IsWorkerFault(f.fault.kind) || f.target != worker) continue;
      leased_while_gone = leased_while_gone || (f.from <= leased && leased < f.until);
      touched = touched || (f.from <= ended && f.until >= leased);
    }
    if (!leased_while_gone && touched) continue;
    const std::string line = absl::StrCat(
        "attempt ", row[0].c_str(), " on ", worker, " leased ", Since(leased, epoch), ", expired ",
        Since(ended, epoch), " ", row[4].c_str(), " '", row[5].c_str(),
        "'; faults from 10 s before: ", FaultsDuring(faults, leased - kAftermath, ended, epoch));
    (leased_while_gone ? gone : healthy).rows.push_back(line);
  }
  return {gone, healthy};
}

testing::InvariantCheck CheckClientCalls(const std::vector<CallRecord>& calls,
                                         const std::vector<HealthSample>& health,
                                         const std::vector<FaultRecord>& faults, absl::Time epoch) {
  testing::InvariantCheck check{kServingCheck, {}};
  for (const CallRecord& call : calls) {
    if (call.error.empty() || absl::StrContains(call.error, "FAILED_PRECONDITION")) continue;
    if (!ServingThroughout(health, call.start, call.end, kHealthMargin)) continue;
    check.rows.push_back(absl::StrCat(
        Since(call.start, epoch), "..", Since(call.end, epoch), " ", call.what, ": ", call.error,
        "; faults meanwhile: ", FaultsDuring(faults, call.start, call.end, epoch)));
  }
  return check;
}

}  // namespace baton::chaos
