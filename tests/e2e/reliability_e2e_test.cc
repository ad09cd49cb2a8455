// The reliability rules for database faults and leadership (README,
// "Reliability: delivery, database faults, leadership"), one fault at a time,
// on the chaos soak's cluster of separate hosts (tests/chaos/soak_cluster.h):
// PostgreSQL on its own host, two orchestrator replicas that each reach it
// through a blackholing proxy, four workers given both replicas, and the CLI
// on a host of its own.
//
//   - PostgreSQL restarted (fast): once health says SERVING, every call of a
//     long series succeeds (no stale pooled connection answers "not connected").
//   - The path to PostgreSQL half-open for 15 s (the proxies forward nothing
//     and close nothing): health goes NOT_SERVING and back, /metrics answers
//     in time, a run start answered with an error is never committed later,
//     and a task running all along keeps its one attempt.
//   - PostgreSQL read-only: health NOT_SERVING, run start UNAVAILABLE naming
//     the cause, a running task kept, and everything back within seconds once
//     it is writable.
//   - The replica that leads the timers frozen (SIGSTOP: the kernel still
//     answers for its connections, so its database session stays open):
//     within the term plus a tick the other replica leads with a higher term
//     and the timers act again (a retry delay runs out); workers keep getting
//     work within the clients' bound; once thawed, the old leader says it
//     stopped leading and its term fence leaves the lease and the history as
//     they were.
//
// Needs root, iproute2 and nftables; fails (does not skip) without them.
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/chaos/soak_cluster.h"
#include "tests/support/invariants.h"
#include "tests/support/test_postgres.h"

namespace baton::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// The README: health probes every health interval (the soak cluster's is
// 500 ms), each probe bounded by it; so two intervals, and a second more for
// the probe process.
constexpr absl::Duration kHealthBound = absl::Seconds(2);
// The README: /metrics answers within 5 s when the database does not (curl
// started inside the cli host's namespace included).
constexpr absl::Duration kMetricsBound = absl::Seconds(5);
constexpr int kMetricsPort = 9464;

// A task that outlasts the fault, with a heartbeat timeout well under it.
constexpr char kHold[] =
    "name: hold\n"
    "tasks:\n"
    "  - {name: hold, handler: sleep, config: {seconds: 20}, heartbeat_timeout: 4s}\n";
constexpr char kQuick[] =
    "name: quick\n"
    "tasks:\n"
    "  - {name: t, handler: noop}\n";

// README: a term lasts 10 s; another replica takes the lead within it plus
// one tick of its loop (the soak's --reaper-interval); a second more to see
// it in the log.
constexpr absl::Duration kLeadershipBound = absl::Milliseconds(11500);  // 10 s + 500 ms + 1 s
// README: clients leave an unresponsive replica within about 8 s; two more
// for the worker to take and run a noop task and for the CLI to see it.
constexpr absl::Duration kClientBound = absl::Seconds(10);  // 8 s + 2 s
constexpr char kLeadsTimers[] = "now leads the timers";

// Fails its first attempt (no marker file yet), then succeeds: the retry
// delay is a timer that only the timers' leader ends.
std::string RetryOnceFlow(const std::string& marker) {
  return absl::StrCat(
      "name: retry-once\n"
      "tasks:\n"
      "  - name: flaky\n"
      "    handler: exec\n"
      "    config: {command: sh, args: ['-c', 'if [ -e ",
      marker, " ]; then echo \"{}\"; else touch ", marker,
      "; exit 3; fi']}\n"
      "    retry: {retries: 2, delay: 1s}\n");
}

struct Lease {
  std::string holder;
  int64_t term = 0;
};

class Reliability : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = absl::StrCat(TestTempDir(), "/reliability_", counter++);
    std::filesystem::create_directories(dir_);
    cluster_ = std::make_unique<chaos::SoakCluster>(
        dir_,
        std::vector<std::string>{"--metrics-address", absl::StrCat("0.0.0.0:", kMetricsPort)});
    const absl::Status started = cluster_->Start();
    ASSERT_TRUE(started.ok()) << started;
    for (const auto& [name, yaml] : std::vector<std::pair<std::string, std::string>>{
             {"hold", kHold},
             {"quick", kQuick},
             {"retry-once", RetryOnceFlow(dir_ + "/flaky-failed-once")}}) {
      const absl::Status applied = cluster_->Apply("flow", name, yaml);
      ASSERT_TRUE(applied.ok()) << applied;
    }
  }

  void TearDown() override {
    if (HasFailure() && cluster_ != nullptr) {
      for (const char* host : {"o1", "o2", "w1", "w2", "w3", "w4"}) {
        std::cerr << "---- " << host << " ----\n" << cluster_->Log(host) << "\n";
      }
    }
    cluster_.reset();
  }

  chaos::SoakCluster& cluster() { return *cluster_; }
  const std::vector<std::string>& both() const { return cluster_->replicas(); }

  // Every replica reports `health` within `bound` (a test failure if not);
  // prints how long that took after `event`.
  bool ExpectHealthWithin(const std::string& health, absl::Duration bound,
                          const std::string& event) {
    const absl::Time start = absl::Now();
    const bool reached = WaitUntil(bound, [&] {
      for (const std::string& replica : both()) {
        if (cluster_->Health(replica) != health) return false;
      }
      return true;
    });
    EXPECT_TRUE(reached) << "health " << cluster_->HealthOfAll() << ", not " << health << ", "
                         << absl::FormatDuration(bound) << " after " << event;
    if (reached) {
      std::cout << "both replicas " << health << " " << absl::FormatDuration(absl::Now() - start)
                << " after " << event << "\n";
    }
    return reached;
  }

  // Starts a run of `flow` and waits (bounded) until its one task runs;
  // returns the run id and the worker that runs it.
  std::pair<std::string, std::string> StartRunning(const std::string& flow) {
    auto id = cluster_->StartRun(both(), flow);
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) return {};
    std::string worker;
    EXPECT_TRUE(WaitUntil(absl::Seconds(20),
                          [&] {
                            auto run = cluster_->GetRun(both(), *id);
                            if (!run.ok() || run->tasks(0).state() != v1::TASK_RUN_STATE_RUNNING)
                              return false;
                            worker = run->tasks(0).attempts(0).worker_name();
                            return true;
                          }))
        << "run " << *id << " did not start running";
    return {*id, worker};
  }

  // The run ended COMPLETED on its first and only attempt, on `worker`.
  void ExpectOneAttempt(const std::string& run_id, const std::string& worker) {
    absl::StatusOr<v1::Run> run = absl::DeadlineExceededError("not read");
    ASSERT_TRUE(WaitUntil(absl::Seconds(40),
                          [&] {
                            run = cluster_->GetRun(both(), run_id);
                            return run.ok() && run->state() != v1::FLOW_RUN_STATE_RUNNING &&
                                   run->state() != v1::FLOW_RUN_STATE_PENDING;
                          }))
        << run.status() << (run.ok() ? run->DebugString() : "");
    EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED) << run->DebugString();
    const v1::TaskRun& task = run->tasks(0);
    ASSERT_EQ(task.attempts_size(), 1) << "the fault cost the task its attempt:\n"
                                       << run->DebugString();
    EXPECT_EQ(task.attempts(0).state(), v1::ATTEMPT_STATE_SUCCEEDED) << run->DebugString();
    EXPECT_EQ(task.attempts(0).worker_name(), worker);
  }

  // /metrics of `replica`, fetched from the cli host; the time it took.
  std::pair<std::string, absl::Duration> Metrics(const std::string& replica) {
    const absl::Time start = absl::Now();
    auto body = cluster_->RunOn(
        "cli",
        {"curl", "-sS", "-m", "15",
         absl::StrCat("http://", cluster_->Address(replica), ":", kMetricsPort, "/metrics")},
        absl::Seconds(20));
    return {body.ok() ? *body : body.status().ToString(), absl::Now() - start};
  }

  int64_t CountRuns(const std::string& flow) {
    auto rows = cluster_->Sql(
        absl::StrCat("SELECT count(*) FROM flow_runs WHERE flow_name = '", flow, "'"));
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? (*rows)[0][0].as<int64_t>() : -1;
  }

  void ExpectInvariantsHold() {
    EXPECT_THAT(InvariantViolations(cluster_->HarnessUrl()), IsEmpty());
  }

  // The one replica whose log says it leads the timers; "" while none or both do.
  std::string TimersLeaderByLog() {
    std::vector<std::string> leading;
    for (const std::string& replica : cluster_->replicas()) {
      if (absl::StrContains(cluster_->Log(replica), kLeadsTimers)) leading.push_back(replica);
    }
    return leading.size() == 1 ? leading[0] : "";
  }

  // The timers' row of leader_leases, its holder named by replica.
  absl::StatusOr<Lease> TimersLease() {
    auto rows = cluster_->Sql("SELECT holder, term FROM leader_leases WHERE loop = 'timers'");
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return absl::NotFoundError("no timers lease");
    Lease lease{(*rows)[0][0].as<std::string>(), (*rows)[0][1].as<int64_t>()};
    for (const std::string& replica : cluster_->replicas()) {
      if (absl::StrContains(lease.holder, cluster_->Address(replica) + ":")) {
        lease.holder = replica;
      }
    }
    return lease;
  }

  // Polls the runs through `via` until each has completed or `since` +
  // `bound` passed; for each, how long after `since` it was seen COMPLETED
  // (nullopt: not within the bound).
  std::map<std::string, std::optional<absl::Duration>> WaitCompleted(
      const std::vector<std::string>& run_ids, const std::vector<std::string>& via,
      absl::Time since, absl::Duration bound) {
    std::map<std::string, std::optional<absl::Duration>> completed;
    for (const std::string& id : run_ids) completed[id] = std::nullopt;
    WaitUntil(since + bound - absl::Now(), [&] {
      bool all = true;
      for (auto& [id, when] : completed) {
        if (when.has_value()) continue;
        auto run = cluster_->GetRun(via, id);
        if (run.ok() && run->state() == v1::FLOW_RUN_STATE_COMPLETED) {
          when = absl::Now() - since;
        } else {
          all = false;
        }
      }
      return all;
    });
    return completed;
  }

  std::string dir_;
  std::unique_ptr<chaos::SoakCluster> cluster_;
};

TEST_F(Reliability, EveryCallSucceedsOnceServingAfterARestart) {
  constexpr absl::Duration kDown = absl::Seconds(5);  // several health probes and polls fail
  ASSERT_TRUE(cluster().StopPostgres("fast").ok());
  ASSERT_TRUE(ExpectHealthWithin("NOT_SERVING", kHealthBound, "PostgreSQL stopped"));
  absl::SleepFor(kDown);
  const absl::Status restarted = cluster().StartPostgres();
  ASSERT_TRUE(restarted.ok()) << restarted;
  ASSERT_TRUE(ExpectHealthWithin("SERVING", kHealthBound, "PostgreSQL came back"));

  // Rounds of calls made at once, so that the replicas reach deep into their
  // pools (6 connections each), not only the connections they used last.
  const std::vector<std::vector<std::string>> calls = {
      {"run", "list"}, {"run", "start", "quick"}, {"worker", "list"}};
  constexpr int kRounds = 10;
  constexpr int kAtOnce = 6;
  constexpr int kCalls = kRounds * kAtOnce;
  std::vector<std::string> failed;
  std::mutex mu;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::thread> threads;
    for (int i = 0; i < kAtOnce; ++i) {
      threads.emplace_back([&, i] {
        const std::vector<std::string>& call = calls[i % calls.size()];
        const CliResult result = cluster().Cli(call);
        if (result.exit_code == 0) return;
        std::lock_guard<std::mutex> lock(mu);
        failed.push_back(absl::StrCat("round ", round + 1, ": ", absl::StrJoin(call, " "),
                                      ": exit ", result.exit_code, ": ", result.err));
      });
    }
    for (std::thread& t : threads) t.join();
  }
  EXPECT_THAT(failed, IsEmpty()) << failed.size() << " of " << kCalls << " calls failed";
  EXPECT_EQ(CountRuns("quick"), kCalls / static_cast<int>(calls.size()));
  ExpectInvariantsHold();
}

TEST_F(Reliability, HalfOpenDatabaseIsDetectedAndOutlasted) {
  constexpr absl::Duration kBlackhole = absl::Seconds(15);
  const auto [hold_id, holder] = StartRunning("hold");
  ASSERT_FALSE(hold_id.empty());

  for (const std::string& replica : both()) {
    ASSERT_TRUE(cluster().SetBlackhole(replica, true).ok());
  }
  const absl::Time blackholed = absl::Now();
  ExpectHealthWithin("NOT_SERVING", kHealthBound, "the path to PostgreSQL went half-open");

  const auto [metrics, metrics_took] = Metrics("o1");
  std::cout << "/metrics answered in " << absl::FormatDuration(metrics_took) << "\n";
  EXPECT_LE(metrics_took, kMetricsBound);
  EXPECT_THAT(metrics, HasSubstr("baton_database_up 0"));

  // No idempotency key, a short deadline: an error must mean "not started".
  const CliResult start = cluster().CliVia(both(), absl::Seconds(2), {"run", "start", "quick"});
  std::cout << "run start during the outage: exit " << start.exit_code << ": " << start.err;
  EXPECT_NE(start.exit_code, 0) << start.out;

  absl::SleepFor(blackholed + kBlackhole - absl::Now());  // the outage lasts its length
  for (const std::string& replica : both()) {
    ASSERT_TRUE(cluster().SetBlackhole(replica, false).ok());
  }
  ExpectHealthWithin("SERVING", kHealthBound, "the path to PostgreSQL forwarded again");

  // The task ran through it on its one attempt; by the time it ends, what the
  // proxies held has long reached PostgreSQL.
  ExpectOneAttempt(hold_id, holder);
  EXPECT_EQ(CountRuns("quick"), start.exit_code == 0 ? 1 : 0)
      << "a run start answered with an error was committed after all";
  ExpectInvariantsHold();
}

TEST_F(Reliability, ReadOnlyDatabaseIsUnavailableAndRecoveredFromInSeconds) {
  constexpr absl::Duration kReadOnly = absl::Seconds(8);  // twice the task's heartbeat timeout
  const auto [hold_id, holder] = StartRunning("hold");
  ASSERT_FALSE(hold_id.empty());

  ASSERT_TRUE(cluster().SetReadOnly(true).ok());
  const absl::Time read_only = absl::Now();
  ExpectHealthWithin("NOT_SERVING", kHealthBound, "the database became read-only");

  const CliResult refused = cluster().Cli({"run", "start", "quick"});
  std::cout << "run start while read-only: exit " << refused.exit_code << ": " << refused.err;
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(refused.err, HasSubstr("read-only"));
  EXPECT_THAT(refused.err, Not(HasSubstr("INTERNAL")));
  EXPECT_THAT(refused.err, Not(HasSubstr("INSERT")));

  absl::SleepFor(read_only + kReadOnly - absl::Now());  // the spell lasts its length
  ASSERT_TRUE(cluster().SetReadOnly(false).ok());
  const absl::Time writable = absl::Now();
  ExpectHealthWithin("SERVING", kHealthBound, "the database became writable");
  // SERVING means calls succeed: the first run start after it does.
  auto started = cluster().StartRun(both(), "quick");
  EXPECT_TRUE(started.ok()) << started.status();
  std::cout << "writable again: SERVING and a run started "
            << absl::FormatDuration(absl::Now() - writable) << " later\n";

  ExpectOneAttempt(hold_id, holder);
  EXPECT_EQ(CountRuns("quick"), started.ok() ? 1 : 0);
  ExpectInvariantsHold();
}

TEST_F(Reliability, FrozenLeaderLosesTheLeadAndItsLateWritesAreFenced) {
  std::string leader;
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] { return !(leader = TimersLeaderByLog()).empty(); }))
      << "no replica says it leads the timers";
  const std::string follower = leader == "o1" ? "o2" : "o1";
  const absl::StatusOr<Lease> before = TimersLease();
  const size_t follower_log_before = cluster_->Log(follower).size();

  cluster_->Pause(leader);
  const absl::Time frozen = absl::Now();
  std::cout << leader << " (leads the timers) frozen\n";

  // Work submitted through the live replica: workers that were polling the
  // frozen one must leave it within the clients' bound.
  std::vector<std::string> quick;
  for (int i = 0; i < 3; ++i) {
    auto id = cluster_->StartRun({follower}, "quick");
    ASSERT_TRUE(id.ok()) << id.status();
    quick.push_back(*id);
  }
  auto retried = cluster_->StartRun({follower}, "retry-once");
  ASSERT_TRUE(retried.ok()) << retried.status();

  for (const auto& [id, took] : WaitCompleted(quick, {follower}, frozen, kClientBound)) {
    EXPECT_TRUE(took.has_value()) << "run " << id << " not completed "
                                  << absl::FormatDuration(kClientBound) << " after the freeze";
    if (took) std::cout << "quick run completed " << absl::FormatDuration(*took) << " after\n";
  }

  // The follower takes the lead within the bound.
  const bool took_over = WaitUntil(frozen + kLeadershipBound - absl::Now(), [&] {
    return cluster_->Log(follower).find(kLeadsTimers, follower_log_before) != std::string::npos;
  });
  const absl::Duration takeover = absl::Now() - frozen;
  EXPECT_TRUE(took_over) << follower << " did not take the lead of the timers within "
                         << absl::FormatDuration(kLeadershipBound) << " of " << leader
                         << " freezing";
  if (took_over) std::cout << follower << " leads " << absl::FormatDuration(takeover) << " after\n";
  const absl::StatusOr<Lease> after = TimersLease();
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(before->holder, leader);
  EXPECT_EQ(after->holder, follower);
  EXPECT_GT(after->term, before->term);

  // The timers act again: the retry delay ends and the second attempt succeeds.
  const auto retry =
      WaitCompleted({*retried}, {follower}, frozen, kLeadershipBound + absl::Seconds(5))[*retried];
  EXPECT_TRUE(retry.has_value()) << "the retry of run " << *retried << " never ran";
  if (retry) std::cout << "retried run completed " << absl::FormatDuration(*retry) << " after\n";
  auto run = cluster_->GetRun({follower}, *retried);
  ASSERT_TRUE(run.ok()) << run.status();
  const v1::TaskRun& flaky = run->tasks(0);
  ASSERT_GE(flaky.attempts_size(), 2) << run->DebugString();
  EXPECT_EQ(flaky.attempts(0).state(), v1::ATTEMPT_STATE_FAILED) << run->DebugString();

  // Thawed, the old leader learns it lost the lead and writes nothing as leader.
  const size_t old_log_before = cluster_->Log(leader).size();
  cluster_->Resume(leader);
  EXPECT_TRUE(WaitUntil(absl::Seconds(10),
                        [&] {
                          return cluster_->Log(leader).find("stops leading the timers",
                                                            old_log_before) != std::string::npos;
                        }))
      << leader << " never said it stopped leading:\n"
      << cluster_->Log(leader).substr(old_log_before);
  // It serves again; by the time a run started through it has completed, it
  // has had several ticks, and the lease and its term are still the follower's.
  auto quick_after = cluster_->StartRun({leader}, "quick");
  ASSERT_TRUE(quick_after.ok()) << quick_after.status();
  EXPECT_TRUE(WaitCompleted({*quick_after}, {leader}, absl::Now(), absl::Seconds(10))[*quick_after]
                  .has_value());
  EXPECT_EQ(cluster_->Log(leader).find(kLeadsTimers, old_log_before), std::string::npos);
  const absl::StatusOr<Lease> last = TimersLease();
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->holder, follower);
  EXPECT_EQ(last->term, after->term);
  EXPECT_THAT(InvariantViolations(cluster_->HarnessUrl()), IsEmpty());
}

}  // namespace
}  // namespace baton::testing
