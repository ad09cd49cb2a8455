#include "tests/chaos/fault_injector.h"

#include <iostream>
#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/support/child_process.h"

namespace baton::chaos {
namespace {

using testing::WaitUntil;

// How long a killed worker's exec processes may take to go.
constexpr absl::Duration kOrphanGrace = absl::Seconds(2);
// How long a worker-kill waits for its target to run an exec process.
constexpr absl::Duration kExecWait = absl::Seconds(8);

std::string Seconds(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Milliseconds(d) / 100 / 10.0, "s");
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// Baton's sessions: every client session but the harness's own.
constexpr char kBatonSessions[] =
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
    " AND application_name NOT LIKE 'baton-chaos%'";
constexpr char kLockSessions[] =
    " AND (application_name LIKE 'baton timers%' OR application_name LIKE 'baton scheduler%')";
constexpr char kPooledSessions[] =
    " AND application_name NOT LIKE 'baton timers%' AND application_name NOT LIKE 'baton "
    "scheduler%'";

// A session opened before a read-only spell, as a pooled connection is.
class Witness {
 public:
  explicit Witness(const std::string& url) {
    try {
      conn_ = std::make_unique<pqxx::connection>(url);
    } catch (const std::exception&) {
    }
  }
  // SHOW default_transaction_read_only, or "" when the session is unusable.
  std::string ReadOnly() {
    if (!conn_) return "";
    try {
      pqxx::nontransaction tx(*conn_);
      return tx.exec1("SHOW default_transaction_read_only")[0].as<std::string>();
    } catch (const std::exception&) {
      return "";
    }
  }

 private:
  std::unique_ptr<pqxx::connection> conn_;
};

int CountRefusedStatements(const std::string& log) {
  int count = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "read-only transaction") && absl::StrContains(line, "ERROR") &&
        !absl::StrContains(line, "] baton-chaos")) {
      ++count;
    }
  }
  return count;
}

}  // namespace

FaultInjector::FaultInjector(SoakCluster& cluster, absl::Time epoch)
    : cluster_(cluster), epoch_(epoch) {}

std::string FaultInjector::Since() const { return "+" + Seconds(absl::Now() - epoch_); }

void FaultInjector::AddFinding(const std::string& check, const std::string& row) {
  std::cout << "[" << Since() << "] FINDING " << check << ": " << row << std::endl;
  findings_.push_back({check, row});
}

void FaultInjector::Check(const absl::Status& status, const std::string& what) {
  if (!status.ok()) AddFinding(kFaultFailedCheck, what + ": " + status.ToString());
}

const FaultRecord& FaultInjector::Inject(const Fault& fault) {
  FaultRecord r;
  r.number = static_cast<int>(records_.size()) + 1;
  r.fault = fault;
  r.target = fault.target == "leader" ? Leader()
             : fault.target == "busy" ? BusyWorker()
                                      : fault.target;
  r.began = absl::Now() - epoch_;
  r.from = r.until = absl::Now();
  std::cout << "[" << Since() << "] fault " << r.number << ": " << Describe(fault)
            << (r.target != fault.target ? " (" + r.target + ")" : "") << std::endl;
  switch (fault.kind) {
    case FaultKind::kWorkerKill:
      KillWorker(r);
      break;
    case FaultKind::kWorkerStop:
    case FaultKind::kReplicaStop:
      StopProcess(r);
      break;
    case FaultKind::kWorkerNetCut:
      CutWorker(r);
      break;
    case FaultKind::kReplicaKill:
      KillReplica(r);
      break;
    case FaultKind::kPgRestartFast:
      RestartPostgres(r, "fast");
      break;
    case FaultKind::kPgRestartImmediate:
      RestartPostgres(r, "immediate");
      break;
    case FaultKind::kPgTerminate:
      TerminateSessions(r);
      break;
    case FaultKind::kReadOnly:
      ReadOnlySpell(r);
      break;
    case FaultKind::kBlackhole:
      Blackhole(r);
      break;
  }
  r.lasted = absl::Now() - epoch_ - r.began;
  std::cout << "[" << Since() << "] fault " << r.number << " over after " << Seconds(r.lasted)
            << ": " << r.seen << std::endl;
  records_.push_back(r);
  return records_.back();
}

std::string FaultInjector::HoldAndSample(absl::Duration hold) {
  const absl::Time start = absl::Now();
  absl::SleepFor(hold / 2);
  const std::string sample = absl::StrCat("half-way: health ", cluster_.HealthOfAll(), "; leads ",
                                          FirstLine(cluster_.Leaders()));
  const absl::Duration left = hold - (absl::Now() - start);
  if (left > absl::ZeroDuration()) absl::SleepFor(left);
  return sample;
}

std::string FaultInjector::Leader() const {
  const std::string timers = cluster_.LeaderOf("timers");
  return timers.empty() ? cluster_.replicas().front() : timers;
}

std::string FaultInjector::BusyWorker() const {
  std::string busy = cluster_.workers().front();
  WaitUntil(kExecWait, [&] {
    for (const std::string& worker : cluster_.workers()) {
      if (!testing::Descendants(cluster_.Pid(worker)).empty()) {
        busy = worker;
        return true;
      }
    }
    return false;
  });
  return busy;
}

void FaultInjector::CheckLeadLost(const FaultRecord& r, const std::string& replica) {
  if (r.fault.hold < kLeaderBound) return;
  if (cluster_.LeaderOf("timers") != replica && cluster_.LeaderOf("scheduler") != replica) return;
  AddFinding(kFrozenLeaderCheck,
             absl::StrCat("fault ", r.number, " (", Describe(r.fault), "): ", replica, " after ",
                          Seconds(absl::Now() - r.from), " still holds: ", cluster_.Leaders()));
}

void FaultInjector::KillWorker(FaultRecord& r) {
  // Mid-exec if it can be: that is when a child could outlive the worker.
  std::vector<testing::ProcessRef> children;
  WaitUntil(kExecWait, [&] {
    children = testing::Descendants(cluster_.Pid(r.target));
    return !children.empty();
  });
  cluster_.Kill(r.target);
  r.from = absl::Now();
  absl::SleepFor(kOrphanGrace);
  int outlived = 0;
  for (const testing::ProcessRef& child : children) {
    if (!testing::StillRuns(child)) continue;
    ++outlived;
    AddFinding(kOrphanCheck,
               absl::StrCat("worker ", r.target, " killed at ", Seconds(r.from - epoch_), ": pid ",
                            child.pid, " `", child.command, "` still running ",
                            Seconds(kOrphanGrace), " later"));
  }
  const absl::Duration left = r.fault.hold - (absl::Now() - r.from);
  if (left > absl::ZeroDuration()) absl::SleepFor(left);
  Check(cluster_.StartProcess(r.target), "restart " + r.target);
  r.until = absl::Now();
  r.seen = absl::StrCat("killed with ", children.size(), " exec process(es) under it, ", outlived,
                        " outlived it; restarted");
}

void FaultInjector::StopProcess(FaultRecord& r) {
  cluster_.Pause(r.target);
  r.from = absl::Now();
  r.seen = HoldAndSample(r.fault.hold);
  if (r.fault.kind == FaultKind::kReplicaStop) CheckLeadLost(r, r.target);
  cluster_.Resume(r.target);
  r.until = absl::Now();
}

void FaultInjector::CutWorker(FaultRecord& r) {
  Check(cluster_.CutLink(r.target), "cut link of " + r.target);
  r.from = absl::Now();
  absl::SleepFor(r.fault.hold);
  Check(cluster_.RestoreLink(r.target), "restore link of " + r.target);
  r.until = absl::Now();
  r.seen = "link restored";
}

void FaultInjector::KillReplica(FaultRecord& r) {
  cluster_.Kill(r.target);
  r.from = absl::Now();
  const std::string sample = HoldAndSample(r.fault.hold);
  absl::Status started = cluster_.StartProcess(r.target);
  if (!started.ok()) AddFinding(kNoReplicaCheck, started.ToString());
  r.until = absl::Now();
  r.seen = absl::StrCat(sample, "; restarted");
}

void FaultInjector::RestartPostgres(FaultRecord& r, const std::string& mode) {
  r.from = absl::Now();
  Check(cluster_.StopPostgres(mode), "pg_ctl stop -m " + mode);
  r.seen = HoldAndSample(r.fault.hold);
  Check(cluster_.StartPostgres(), "pg_ctl start");
  r.until = absl::Now();
}

void FaultInjector::TerminateSessions(FaultRecord& r) {
  std::string query = kBatonSessions;
  if (r.target == "lock") query += kLockSessions;
  if (r.target == "pooled") query += kPooledSessions;
  auto ended = cluster_.Sql(query);
  Check(ended.status(), "pg_terminate_backend");
  r.seen =
      ended.ok() ? absl::StrCat("ended ", (*ended)[0][0].as<int>(), " session(s)") : "not done";
}

void FaultInjector::ReadOnlySpell(FaultRecord& r) {
  Witness witness(cluster_.SessionUrl("baton-chaos-witness", false));
  const bool was_writable = witness.ReadOnly() == "off";
  const size_t log_before = cluster_.PostgresLog().size();
  r.from = absl::Now();
  Check(cluster_.SetReadOnly(true), "read-only on");
  const bool took = WaitUntil(absl::Seconds(5), [&] { return witness.ReadOnly() == "on"; });
  if (!was_writable || !took) {
    AddFinding(kFaultFailedCheck,
               "a session opened before the read-only spell did not turn"
               " read-only (so Baton's pooled sessions may not have either)");
  }
  const std::string sample = HoldAndSample(r.fault.hold);
  Check(cluster_.SetReadOnly(false), "read-only off");
  if (!WaitUntil(absl::Seconds(5), [&] { return witness.ReadOnly() == "off"; })) {
    AddFinding(kFaultFailedCheck, "a session opened before the read-only spell stayed read-only");
  }
  r.until = absl::Now();
  const int refused = CountRefusedStatements(cluster_.PostgresLog().substr(log_before));
  r.seen = absl::StrCat("an older session turned read-only: ", took ? "yes" : "NO", "; ", refused,
                        " statement(s) of Baton's sessions refused as read-only; ", sample);
}

void FaultInjector::Blackhole(FaultRecord& r) {
  std::vector<std::string> targets = {r.target};
  if (r.target == "both") targets = cluster_.replicas();
  std::vector<std::string> said;
  r.from = absl::Now();
  for (const std::string& replica : targets) {
    auto on = cluster_.SetBlackhole(replica, true);
    Check(on.status(), "blackhole the proxy of " + replica);
    if (on.ok()) said.push_back(absl::StrCat("proxy of ", replica, " ", *on));
  }
  const std::string sample = HoldAndSample(r.fault.hold);
  if (targets.size() == 1) CheckLeadLost(r, r.target);
  for (const std::string& replica : targets) {
    Check(cluster_.SetBlackhole(replica, false).status(), "resume the proxy of " + replica);
  }
  r.until = absl::Now();
  r.seen = absl::StrCat(absl::StrJoin(said, ", "), "; ", sample);
}

}  // namespace baton::chaos
