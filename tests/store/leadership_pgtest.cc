// Leadership of the background loops against a real PostgreSQL: two replicas
// (two Leadership objects on one database) never both act, even when run
// concurrently while the leader's session is killed again and again; a
// follower's writes through the fenced pool change nothing; the lead passes
// over when the leader goes, and when it stops making progress (a term that
// is not renewed runs out), and the stale leader's late writes are refused;
// and the outage rule: leases whose time passed are held until the timers
// end them, and a takeover grants fresh ones first.
#include <atomic>
#include <thread>

#include "orchestrator/store/leadership.h"
#include "tests/store/store_test_base.h"

namespace baton::store {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kOneTask[] = R"yaml(name: one
tasks:
  - {name: a, handler: noop}
)yaml";

class LeadershipTest : public StoreTest {
 protected:
  std::unique_ptr<Leadership> Open(const std::string& replica,
                                   const std::string& loop = kTimersLoop,
                                   absl::Duration term = absl::Seconds(10)) {
    LeadershipOptions options;
    options.url = url_;
    options.loop = loop;
    options.replica = replica;
    options.term_length = term;
    options.reconnect = {absl::Milliseconds(10), 1.0, absl::Milliseconds(10), 0};
    auto opened = Leadership::Open(options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? *std::move(opened) : nullptr;
  }

  // Kills the leader session of `replica` (found by its application_name), as
  // a database restart or a network cut would end it.
  int TerminateSessionOf(const std::string& replica) {
    pqxx::connection conn(url_);
    pqxx::work tx(conn);
    const auto row = tx.exec_params1(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE application_name = $1",
        "baton timers " + replica);
    tx.commit();
    return row[0].as<int>();
  }

  void Exec(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  }

  // The one task of a started run, leased to a fresh worker and
  // acknowledged, for `lease`.
  LeaseRecord LeaseOne(absl::Duration lease) {
    StartRun(kOneTask);
    const std::string worker = RegisterWorker();
    auto leased = leases_->LeaseTasks(worker, {"default"}, 1, absl::Seconds(30));
    EXPECT_TRUE(leased.ok()) << leased.status();
    EXPECT_EQ(leased.ok() ? leased->size() : 0u, 1u);
    if (!leased.ok() || leased->empty()) return LeaseRecord{};
    auto acked = leases_->Heartbeat(worker, {ClaimOf(leased->front())}, lease);
    EXPECT_TRUE(acked.ok() && (*acked)[0].status.ok());
    return leased->front();
  }

  // Polls Lead() until it holds; false after 5 s.
  static bool WaitUntilLeads(Leadership& replica) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (absl::Now() < deadline) {
      if (replica.Lead()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  static engine::AttemptClaim ClaimOf(const LeaseRecord& lease) {
    return {lease.task_run_id, lease.attempt, lease.lease_token};
  }
};

TEST_F(LeadershipTest, OneOfTwoReplicasLeadsAndTheFollowerCannotWrite) {
  auto a = Open("a");
  auto b = Open("b");
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->Lead());
  EXPECT_FALSE(b->Lead());
  EXPECT_TRUE(a->Lead());  // holding again does not take it twice
  EXPECT_TRUE(a->leading());
  EXPECT_FALSE(b->leading());
  // A different loop's lead is independent.
  auto scheduler_b = Open("b", kSchedulerLoop);
  EXPECT_TRUE(scheduler_b->Lead());

  LeaseOne(absl::Milliseconds(1));
  absl::SleepFor(absl::Milliseconds(20));
  LeaseStore follower_leases(b->pool());
  absl::StatusOr<int> refused = follower_leases.ExpireLeases(10);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("replica b does not hold the timers leadership"));
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE state = 'RUNNING'"), 1);

  LeaseStore leader_leases(a->pool());
  absl::StatusOr<int> expired = leader_leases.ExpireLeases(10);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(*expired, 1);
}

TEST_F(LeadershipTest, TheLeadPassesOverWhenTheLeaderGoes) {
  auto a = Open("a");
  auto b = Open("b");
  ASSERT_TRUE(a->Lead());
  ASSERT_FALSE(b->Lead());
  a.reset();  // a replica that stops gives the lead up
  EXPECT_TRUE(WaitUntilLeads(*b));
}

TEST_F(LeadershipTest, ALeaderThatStopsRenewingLosesTheLeadAndItsLateWritesAreRefused) {
  // a leads with a short term, then stops making progress (as if frozen or
  // hung: nothing of it fails, it just does not step). b takes over once
  // the term ran out, with the next term; a's late write is refused. b's own
  // term is long, so a cannot win the lead back however slow the machine is
  // between the takeover and the checks below.
  auto a = Open("a", kTimersLoop, absl::Milliseconds(300));
  auto b = Open("b", kTimersLoop, absl::Seconds(30));
  ASSERT_TRUE(a->Lead());
  ASSERT_FALSE(b->Lead());
  const absl::Time frozen = absl::Now();
  ASSERT_TRUE(WaitUntilLeads(*b));
  EXPECT_LT(absl::Now() - frozen, absl::Seconds(2));
  EXPECT_EQ(Count("SELECT term FROM leader_leases WHERE loop = 'timers' AND holder = 'b'"), 2);
  LeaseOne(absl::Seconds(30));
  LeaseStore stale(a->pool());
  absl::StatusOr<int> granted = stale.GrantLeases(absl::Seconds(60));
  EXPECT_EQ(granted.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Count("SELECT count(*) FROM task_runs WHERE lease_expires_at > now() + interval '40s'"),
            0);
  EXPECT_FALSE(a->Lead());
  EXPECT_FALSE(a->leading());
}

TEST_F(LeadershipTest, ATakeoverWaitsForTheLeadersTransactionInFlight) {
  // The leader's fenced transaction holds its lease row (FOR SHARE) until it
  // ends: even once the term ran out, no one takes over before it commits,
  // so two leaders never write at once.
  auto a = Open("a", kTimersLoop, absl::Milliseconds(200));
  auto b = Open("b", kTimersLoop, absl::Milliseconds(200));
  ASSERT_TRUE(a->Lead());
  std::atomic<bool> b_led{false};
  absl::Time b_answered;
  absl::Time a_done;
  std::thread follower;
  absl::Status in_flight = a->pool().Transact([&](pqxx::work& tx) {
    tx.exec("SELECT pg_sleep(0.3)");  // the term runs out meanwhile
    follower = std::thread([&] {
      b_led = b->Lead();
      b_answered = absl::Now();
    });
    tx.exec("SELECT pg_sleep(0.3)");  // b is waiting for the lease row now
    a_done = absl::Now();
    return absl::OkStatus();
  });
  follower.join();
  EXPECT_TRUE(in_flight.ok()) << in_flight;
  EXPECT_TRUE(b_led.load());
  EXPECT_GE(b_answered, a_done);  // b took over only once a's transaction ended
}

TEST_F(LeadershipTest, AReplicaWhoseSessionDiedTakesOverAgainBeforeActing) {
  auto a = Open("a");
  int takeovers = 0;
  a->set_on_takeover([&] {
    ++takeovers;
    return absl::OkStatus();
  });
  ASSERT_TRUE(a->Lead());
  ASSERT_EQ(takeovers, 1);
  ASSERT_TRUE(a->Lead());
  EXPECT_EQ(takeovers, 1);
  ASSERT_EQ(TerminateSessionOf("a"), 1);
  // Its next step fails (or succeeds on a fresh connection at once); either
  // way, a step it leads after a gap runs the takeover again.
  absl::SleepFor(absl::Seconds(3) + absl::Milliseconds(200));  // past max_gap
  EXPECT_TRUE(WaitUntilLeads(*a));
  EXPECT_EQ(takeovers, 2);
}

TEST_F(LeadershipTest, ConcurrentReplicasNeverActAtTheSameTime) {
  // Two replicas tick as fast as they can; each step, when it leads, writes
  // its name and the step's start and end (database clock) through the
  // fenced pool. Meanwhile the leader is made to stall past its term, or its
  // session is killed, again and again. No two committed steps of different
  // replicas may overlap.
  Exec("CREATE TABLE steps (replica text, started timestamptz, ended timestamptz)");
  std::vector<std::unique_ptr<Leadership>> replicas;
  replicas.push_back(Open("a", kTimersLoop, absl::Milliseconds(100)));
  replicas.push_back(Open("b", kTimersLoop, absl::Milliseconds(100)));
  std::atomic<bool> stop{false};
  std::atomic<int> steps{0};
  std::atomic<int> stall{-1};  // the replica told to stall once
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      const std::string name = i == 0 ? "a" : "b";
      while (!stop.load()) {
        if (!replicas[i]->Lead()) continue;
        int me = i;
        if (stall.compare_exchange_strong(me, -1)) absl::SleepFor(absl::Milliseconds(250));
        absl::Status s = replicas[i]->pool().Transact([&](pqxx::work& tx) {
          tx.exec_params(
              "INSERT INTO steps SELECT $1, clock_timestamp(), clock_timestamp() + interval '5ms'"
              " FROM pg_sleep(0.005)",
              name);
          return absl::OkStatus();
        });
        if (s.ok()) ++steps;
      }
    });
  }
  int kills = 0;
  for (int round = 0; round < 8; ++round) {
    absl::SleepFor(absl::Milliseconds(150));
    const int leader = replicas[0]->leading() ? 0 : 1;
    if (round % 2 == 0) {
      stall = leader;
    } else {
      kills += TerminateSessionOf(leader == 0 ? "a" : "b");
    }
  }
  absl::SleepFor(absl::Milliseconds(150));
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_GE(kills, 2);
  EXPECT_GE(steps.load(), 20);
  EXPECT_GE(Count("SELECT count(DISTINCT replica) FROM steps"), 2) << "the lead never passed";
  EXPECT_EQ(Count("SELECT count(*) FROM steps x JOIN steps y ON x.replica < y.replica"
                  " AND x.started < y.ended AND y.started < x.ended"),
            0);
}

TEST_F(LeadershipTest, ALeaseWhoseTimePassedIsHeldUntilTheTimersEndIt) {
  // Its time passed (the database may have been unreachable, a worker's
  // heartbeats lost): the heartbeat and the report are still accepted.
  const LeaseRecord lease = LeaseOne(absl::Seconds(30));
  Exec("UPDATE task_runs SET lease_expires_at = now() - interval '1s'");
  absl::StatusOr<std::vector<HeartbeatOutcome>> beat =
      leases_->Heartbeat("w", {ClaimOf(lease)}, absl::Seconds(3));
  ASSERT_TRUE(beat.ok()) << beat.status();
  EXPECT_TRUE((*beat)[0].status.ok()) << (*beat)[0].status;
  EXPECT_GT((*beat)[0].lease_expires_at, absl::Now());

  Exec("UPDATE task_runs SET lease_expires_at = now() - interval '1s'");
  engine::ReportedOutcome done;
  done.succeeded = true;
  done.result_json = "{}";
  EXPECT_TRUE(leases_->CompleteAttempt(ClaimOf(lease), done).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE state = 'SUCCEEDED'"), 1);
}

TEST_F(LeadershipTest, ALeaseTheTimersEndedIsLost) {
  const LeaseRecord lease = LeaseOne(absl::Seconds(30));
  Exec("UPDATE task_runs SET lease_expires_at = now() - interval '1s'");
  auto a = Open("a");
  ASSERT_TRUE(a->Lead());  // no takeover hook: nothing granted
  LeaseStore leader_leases(a->pool());
  ASSERT_EQ(leader_leases.ExpireLeases(10).value_or(-1), 1);
  absl::StatusOr<std::vector<HeartbeatOutcome>> beat =
      leases_->Heartbeat("w", {ClaimOf(lease)}, absl::Seconds(3));
  ASSERT_TRUE(beat.ok()) << beat.status();
  EXPECT_EQ((*beat)[0].status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT((*beat)[0].status.message(), HasSubstr("not RUNNING"));
}

TEST_F(LeadershipTest, TakeoverGrantsEveryRunningAttemptAFreshLeaseBeforeActing) {
  const LeaseRecord lease = LeaseOne(absl::Seconds(30));
  Exec("UPDATE task_runs SET lease_expires_at = now() - interval '10s'");
  auto a = Open("a");
  LeaseStore leader_leases(a->pool());
  int granted = -1;
  a->set_on_takeover([&] {
    absl::StatusOr<int> n = leader_leases.GrantLeases(absl::Seconds(20));
    if (n.ok()) granted = *n;
    return n.status();
  });
  ASSERT_TRUE(a->Lead());
  EXPECT_EQ(granted, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM task_runs WHERE lease_expires_at"
                  " > now() + interval '19s'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE lease_expires_at"
                  " > now() + interval '19s'"),
            1);
  absl::StatusOr<int> expired = leader_leases.ExpireLeases(10);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(*expired, 0);
  // The takeover runs once per lead, not at every step.
  granted = -1;
  ASSERT_TRUE(a->Lead());
  EXPECT_EQ(granted, -1);
  EXPECT_TRUE(leases_->Heartbeat("w", {ClaimOf(lease)}, absl::Seconds(3)).ok());
}

TEST_F(LeadershipTest, ATakeoverThatFailsIsNotALead) {
  auto a = Open("a");
  int tries = 0;
  a->set_on_takeover([&] {
    ++tries;
    return tries == 1 ? absl::UnavailableError("database connection: gone") : absl::OkStatus();
  });
  EXPECT_FALSE(a->Lead());
  EXPECT_FALSE(a->leading());
  EXPECT_TRUE(a->Lead());
  EXPECT_EQ(tries, 2);
}

}  // namespace
}  // namespace baton::store
