// LeaseStore against a real PostgreSQL: leasing ready tasks (never twice,
// also under concurrency), completions that move runs forward, fencing of
// stale attempts, heartbeats, and the reaper's expiry of lost leases, also
// racing completions.
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/base/uuid.h"
#include "orchestrator/store/lease_store.h"
#include "tests/store/leasing_test_base.h"

namespace baton::store {
namespace {

using engine::AttemptClaim;
using model::AttemptState;
using model::FlowRunState;
using model::TaskRunState;
using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kOtherToken[] = "0b9c6f1e-2d3a-4c5b-8e7f-112233445566";

constexpr char kChain[] = R"yaml(name: chain
parameters:
  n: {default: 5}
tasks:
  - {name: a, handler: step.a, config: {k: 1}}
  - {name: b, handler: step.b, depends_on: [a]}
  - {name: c, handler: step.c, depends_on: [b]}
)yaml";

constexpr char kDiamond[] = R"yaml(name: diamond
tasks:
  - {name: a, handler: noop}
  - {name: b, handler: noop, depends_on: [a]}
  - {name: c, handler: noop, depends_on: [a]}
  - {name: d, handler: noop, depends_on: [b, c]}
)yaml";

// Two independent branches: a -> b -> c and x -> y.
constexpr char kBranches[] = R"yaml(name: branches
tasks:
  - {name: a, handler: noop}
  - {name: b, handler: noop, depends_on: [a]}
  - {name: c, handler: noop, depends_on: [b]}
  - {name: x, handler: noop}
  - {name: y, handler: noop, depends_on: [x]}
)yaml";

// A flow of `n` independent tasks t0..t{n-1}.
std::string WideFlow(int n) {
  std::string yaml = "name: wide\ntasks:\n";
  for (int i = 0; i < n; ++i) absl::StrAppend(&yaml, "  - {name: t", i, ", handler: noop}\n");
  return yaml;
}

// Sleeps until the local clock is past `t` (the database runs on this host).
void SleepUntilPast(absl::Time t) {
  const absl::Duration left = t - absl::Now() + absl::Milliseconds(5);
  if (left > absl::ZeroDuration()) absl::SleepFor(left);
}

class LeaseStoreTest : public LeasingStoreTest {
 protected:
  LeaseStoreTest() { worker_queues_ = {"default", "io"}; }

  // Leases and expects exactly the task named `name`.
  LeaseRecord LeaseOne(const std::string& name, absl::Duration lease = absl::Seconds(30)) {
    std::vector<LeaseRecord> leases = Lease(10, lease);
    EXPECT_THAT(leases, SizeIs(1));
    if (leases.size() != 1) return {};
    EXPECT_EQ(leases[0].task_name, name);
    return leases[0];
  }

  // Leases every ready task; returns them by task name.
  std::map<std::string, LeaseRecord> LeaseAll(absl::Duration lease = absl::Seconds(30)) {
    std::map<std::string, LeaseRecord> out;
    for (LeaseRecord& l : Lease(100, lease)) out[l.task_name] = std::move(l);
    return out;
  }

  absl::Status Complete(const LeaseRecord& lease, const json& result) {
    return leases_->CompleteAttempt(ClaimOf(lease), Succeeded(result));
  }

  std::vector<HeartbeatOutcome> Heartbeat(const std::vector<AttemptClaim>& claims,
                                          absl::Duration lease) {
    auto outcomes = leases_->Heartbeat(worker_, claims, lease);
    EXPECT_TRUE(outcomes.ok()) << outcomes.status();
    return outcomes.ok() ? *std::move(outcomes) : std::vector<HeartbeatOutcome>{};
  }

  // Runs the reaper until it has expired `want` leases; bounded.
  int ExpireUntil(int want) {
    return SweepUntil([this] { return leases_->ExpireLeases(100); }, want);
  }

  // Everything a refused call must leave unchanged, as text.
  std::string Snapshot(const std::string& run_id) {
    RunRecord run = GetRun(run_id);
    std::string out =
        absl::StrCat("run ", model::Name(run.state), " result ", run.result.dump(),
                     "; transitions ", Count("SELECT count(*) FROM state_transitions"));
    for (const TaskRunRecord& t : run.tasks) {
      absl::StrAppend(&out, "; ", t.name, " ", model::Name(t.state), " #", t.attempt_count);
      for (const AttemptRecord& a : t.attempts) {
        absl::StrAppend(&out, " [", a.number, " ", model::Name(a.state), " ",
                        absl::FormatTime(a.lease_expires_at), " ", a.error, "]");
      }
    }
    return out;
  }

  int64_t TerminalTransitions(const std::string& entity, int64_t task_run_id, int attempt) {
    return Count(
        absl::StrCat("SELECT count(*) FROM state_transitions WHERE terminal AND entity = '", entity,
                     "' AND task_run_id = ", task_run_id, " AND attempt = ", attempt));
  }
};

// --- Leasing ---

TEST_F(LeaseStoreTest, LeasesOnlyReadyTasksOfTheGivenQueues) {
  const std::string run_id = StartRun(
      "name: mixed\nparameters:\n  n: {default: 5}\ntasks:\n"
      "  - {name: a, handler: h.a, config: {k: 1}}\n"
      "  - {name: b, handler: h.b, queue: io}\n"
      "  - {name: c, handler: h.c, depends_on: [a]}\n",
      {{"n", 7}});
  EXPECT_THAT(Lease(10, absl::Seconds(30), {"gpu"}), IsEmpty());

  const absl::Time before = absl::Now();
  std::vector<LeaseRecord> leases = Lease(10, absl::Seconds(30), {"default"});
  ASSERT_THAT(leases, SizeIs(1));  // b is in another queue, c waits for a
  const LeaseRecord& a = leases[0];
  EXPECT_EQ(a.task_name, "a");
  EXPECT_EQ(a.attempt, 1);
  EXPECT_TRUE(IsUuid(a.lease_token)) << a.lease_token;
  EXPECT_EQ(a.run_id, run_id);
  EXPECT_EQ(a.flow_name, "mixed");
  EXPECT_EQ(a.flow_version, 1);
  EXPECT_EQ(a.handler, "h.a");
  EXPECT_EQ(a.config, json({{"k", 1}}));
  EXPECT_EQ(a.input, json({{"params", {{"n", 7}}}, {"upstream", json::object()}}));
  EXPECT_GT(a.lease_expires_at, before + absl::Seconds(25));
  EXPECT_LT(a.lease_expires_at, before + absl::Seconds(35));

  std::vector<LeaseRecord> io = Lease(10, absl::Seconds(30), {"io"});
  ASSERT_THAT(io, SizeIs(1));
  EXPECT_EQ(io[0].task_name, "b");
  EXPECT_NE(io[0].lease_token, a.lease_token);

  EXPECT_THAT(Lease(10, absl::Seconds(30), {"default", "io"}), IsEmpty());

  RunRecord run = GetRun(run_id);
  EXPECT_EQ(run.state, FlowRunState::kRunning);
  EXPECT_NE(run.started_at, absl::InfinitePast());
  const TaskRunRecord task_a = Task(run_id, "a");
  EXPECT_EQ(task_a.state, TaskRunState::kRunning);
  EXPECT_EQ(task_a.attempt_count, 1);
  ASSERT_THAT(task_a.attempts, SizeIs(1));
  EXPECT_EQ(task_a.attempts[0].state, AttemptState::kRunning);
  EXPECT_EQ(task_a.attempts[0].worker_id, worker_);
  EXPECT_EQ(task_a.attempts[0].worker_name, "w");
  EXPECT_EQ(Task(run_id, "c").state, TaskRunState::kPending);
}

TEST_F(LeaseStoreTest, LeasesOnlyTasksWhoseHandlerTheWorkerRegistered) {
  const std::string run_id = StartRun(
      "name: routed\ntasks:\n"
      "  - {name: a, handler: h.a}\n"
      "  - {name: b, handler: h.b}\n");
  const std::string only_b = RegisterWorker({"default"}, "only-b", {"h.b"});
  const std::string neither = RegisterWorker({"default"}, "neither", {"h.c"});

  auto none = leases_->LeaseTasks(neither, {"default"}, 10, absl::Seconds(30));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_THAT(*none, IsEmpty());
  auto b = leases_->LeaseTasks(only_b, {"default"}, 10, absl::Seconds(30));
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_THAT(*b, SizeIs(1));
  EXPECT_EQ((*b)[0].task_name, "b");
  EXPECT_EQ(Task(run_id, "a").state, TaskRunState::kReady);

  auto served = workers_->ServedRoutes(absl::Minutes(1));
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->count({"default", "h.b"}), 1u);
  EXPECT_EQ(served->count({"default", "h.c"}), 1u);
  EXPECT_EQ(served->count({"io", "h.a"}), 1u);  // worker_ serves every test handler
  ASSERT_TRUE(workers_->DeregisterWorker(worker_).ok());
  served = workers_->ServedRoutes(absl::Minutes(1));
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_EQ(served->count({"default", "h.a"}), 0u);  // nobody online serves a any more
}

TEST_F(LeaseStoreTest, LeasesAtMostMaxAndNeverTheSameTaskTwice) {
  StartRun(WideFlow(5));
  std::set<int64_t> seen;
  for (size_t expected : {2u, 2u, 1u, 0u}) {
    std::vector<LeaseRecord> leases = Lease(2);
    EXPECT_THAT(leases, SizeIs(expected));
    for (const LeaseRecord& l : leases) EXPECT_TRUE(seen.insert(l.task_run_id).second);
  }
  EXPECT_THAT(seen, SizeIs(5));
}

TEST_F(LeaseStoreTest, ConcurrentLeasingLeasesEveryTaskExactlyOnce) {
  constexpr int kTasks = 50;
  const std::string run_id = StartRun(WideFlow(kTasks));
  std::mutex mu;
  std::map<int64_t, int> times_leased;
  std::atomic<int> total{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      const absl::Time deadline = absl::Now() + absl::Seconds(10);
      while (total.load() < kTasks && absl::Now() < deadline) {
        auto leases = leases_->LeaseTasks(worker_, {"default"}, 3, absl::Seconds(30));
        ASSERT_TRUE(leases.ok()) << leases.status();
        std::lock_guard<std::mutex> lock(mu);
        for (const LeaseRecord& l : *leases) {
          ++times_leased[l.task_run_id];
          EXPECT_EQ(l.attempt, 1);
        }
        total += static_cast<int>(leases->size());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(total.load(), kTasks);
  EXPECT_THAT(times_leased, SizeIs(kTasks));
  for (const auto& [id, times] : times_leased) EXPECT_EQ(times, 1) << "task run " << id;
  EXPECT_THAT(Lease(), IsEmpty());
  EXPECT_EQ(Count("SELECT count(*) FROM attempts"), kTasks);
  EXPECT_EQ(Count("SELECT count(*) FROM state_transitions WHERE entity = 'run'"
                  " AND to_state = 'RUNNING'"),
            1);
  for (const TaskRunRecord& t : GetRun(run_id).tasks) {
    EXPECT_EQ(t.state, TaskRunState::kRunning) << t.name;
  }
}

// --- Completion moves the run forward ---

TEST_F(LeaseStoreTest, ChainPassesResultsDownstreamAndCompletesTheRun) {
  const std::string run_id = StartRun(kChain);
  const LeaseRecord a = LeaseOne("a");
  ASSERT_TRUE(Complete(a, {{"rows", 3}}).ok());
  EXPECT_EQ(Task(run_id, "b").state, TaskRunState::kReady);
  EXPECT_EQ(Task(run_id, "c").state, TaskRunState::kPending);
  EXPECT_EQ(GetRun(run_id).state, FlowRunState::kRunning);

  const LeaseRecord b = LeaseOne("b");
  EXPECT_EQ(b.input, json({{"params", {{"n", 5}}}, {"upstream", {{"a", {{"rows", 3}}}}}}));
  ASSERT_TRUE(Complete(b, {{"sum", 6}}).ok());

  const LeaseRecord c = LeaseOne("c");
  // Only direct upstream results are inputs.
  EXPECT_EQ(c.input["upstream"], json({{"b", {{"sum", 6}}}}));
  ASSERT_TRUE(Complete(c, "loaded").ok());

  RunRecord run = GetRun(run_id);
  EXPECT_EQ(run.state, FlowRunState::kCompleted);
  EXPECT_EQ(run.result, json("loaded"));
  EXPECT_EQ(run.error, "");
  EXPECT_NE(run.ended_at, absl::InfinitePast());
  for (const TaskRunRecord& t : run.tasks) {
    EXPECT_EQ(t.state, TaskRunState::kCompleted) << t.name;
    ASSERT_THAT(t.attempts, SizeIs(1)) << t.name;
    EXPECT_EQ(t.attempts[0].state, AttemptState::kSucceeded) << t.name;
    EXPECT_NE(t.ended_at, absl::InfinitePast()) << t.name;
  }
  EXPECT_EQ(Task(run_id, "a").result, json({{"rows", 3}}));
  EXPECT_EQ(TerminalTransitions("run", 0, 0), 1);
}

TEST_F(LeaseStoreTest, DiamondReleasesTheJoinOnlyWhenAllUpstreamCompleted) {
  const std::string run_id = StartRun(kDiamond);
  ASSERT_TRUE(Complete(LeaseOne("a"), 1).ok());

  std::map<std::string, LeaseRecord> middle = LeaseAll();
  ASSERT_THAT(middle, SizeIs(2));
  ASSERT_TRUE(middle.count("b") && middle.count("c"));
  ASSERT_TRUE(Complete(middle["b"], "from b").ok());
  EXPECT_EQ(Task(run_id, "d").state, TaskRunState::kPending) << "c has not completed";
  EXPECT_THAT(Lease(), IsEmpty());

  ASSERT_TRUE(Complete(middle["c"], "from c").ok());
  EXPECT_EQ(Task(run_id, "d").state, TaskRunState::kReady);
  const LeaseRecord d = LeaseOne("d");
  EXPECT_EQ(d.input["upstream"], json({{"b", "from b"}, {"c", "from c"}}));
  EXPECT_EQ(GetRun(run_id).state, FlowRunState::kRunning);

  ASSERT_TRUE(Complete(d, {{"done", true}}).ok());
  RunRecord run = GetRun(run_id);
  EXPECT_EQ(run.state, FlowRunState::kCompleted);
  EXPECT_EQ(run.result, json({{"done", true}}));
}

TEST_F(LeaseStoreTest, RunWithSeveralResultTasksGetsAnObjectByName) {
  const std::string run_id =
      StartRun("name: two\ntasks:\n  - {name: p, handler: noop}\n  - {name: q, handler: noop}\n");
  std::map<std::string, LeaseRecord> leases = LeaseAll();
  ASSERT_THAT(leases, SizeIs(2));
  ASSERT_TRUE(Complete(leases["p"], 1).ok());
  EXPECT_EQ(GetRun(run_id).state, FlowRunState::kRunning);
  ASSERT_TRUE(Complete(leases["q"], 2).ok());
  EXPECT_EQ(GetRun(run_id).result, json({{"p", 1}, {"q", 2}}));
}

TEST_F(LeaseStoreTest, FailureSkipsDescendantsKeepsOtherBranchesAndFailsTheRun) {
  const std::string run_id = StartRun(kBranches);
  std::map<std::string, LeaseRecord> roots = LeaseAll();
  ASSERT_THAT(roots, SizeIs(2));
  ASSERT_TRUE(leases_->CompleteAttempt(ClaimOf(roots["a"]), Failed("boom")).ok());

  RunRecord run = GetRun(run_id);
  EXPECT_EQ(run.state, FlowRunState::kRunning) << "x and y are still open";
  EXPECT_EQ(Task(run_id, "a").state, TaskRunState::kFailed);
  EXPECT_EQ(Task(run_id, "a").error, "boom");
  EXPECT_EQ(Task(run_id, "a").attempts[0].state, AttemptState::kFailed);
  EXPECT_EQ(Task(run_id, "a").attempts[0].error, "boom");
  for (const char* skipped : {"b", "c"}) {
    TaskRunRecord t = Task(run_id, skipped);
    EXPECT_EQ(t.state, TaskRunState::kSkipped) << skipped;
    EXPECT_THAT(t.error, HasSubstr("FAILED")) << skipped;
    EXPECT_THAT(t.attempts, IsEmpty()) << skipped;
  }
  EXPECT_EQ(Task(run_id, "x").state, TaskRunState::kRunning);

  // The independent branch still runs to its end.
  ASSERT_TRUE(Complete(roots["x"], "x").ok());
  const LeaseRecord y = LeaseOne("y");
  EXPECT_EQ(y.input["upstream"], json({{"x", "x"}}));
  EXPECT_EQ(GetRun(run_id).state, FlowRunState::kRunning);
  ASSERT_TRUE(Complete(y, "y").ok());

  run = GetRun(run_id);
  EXPECT_EQ(run.state, FlowRunState::kFailed);
  EXPECT_EQ(run.error, "task \"a\" FAILED: boom");
  EXPECT_TRUE(run.result.is_null());
  EXPECT_NE(run.ended_at, absl::InfinitePast());
  EXPECT_EQ(TerminalTransitions("run", 0, 0), 1);
}

TEST_F(LeaseStoreTest, InvalidResultFailsTheTask) {
  const std::string run_id = StartRun(kChain);
  const LeaseRecord a = LeaseOne("a");
  ASSERT_TRUE(leases_->CompleteAttempt(ClaimOf(a), SucceededWithText("{not json")).ok());
  EXPECT_EQ(Task(run_id, "a").state, TaskRunState::kFailed);
  EXPECT_EQ(Task(run_id, "a").error, "result is not valid JSON");
  EXPECT_EQ(GetRun(run_id).state, FlowRunState::kFailed);
}

// --- Fencing ---

TEST_F(LeaseStoreTest, StaleCompletionsAreRefusedAndChangeNothing) {
  const std::string run_id = StartRun(kChain);
  const LeaseRecord a = LeaseOne("a");
  const std::string before = Snapshot(run_id);

  AttemptClaim wrong_token = ClaimOf(a);
  wrong_token.lease_token = kOtherToken;
  absl::Status s = leases_->CompleteAttempt(wrong_token, Succeeded(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("lease token does not match"));

  AttemptClaim not_a_token = ClaimOf(a);
  not_a_token.lease_token = "forged";
  s = leases_->CompleteAttempt(not_a_token, Succeeded(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;

  AttemptClaim wrong_attempt = ClaimOf(a);
  wrong_attempt.attempt = 2;
  s = leases_->CompleteAttempt(wrong_attempt, Failed("late"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(s.message(),
            absl::StrCat("task run ", a.task_run_id, ": attempt 2 is not current (attempt 1 is)"));

  AttemptClaim unknown = ClaimOf(a);
  unknown.task_run_id = a.task_run_id + 1000;
  s = leases_->CompleteAttempt(unknown, Succeeded(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;

  EXPECT_EQ(Snapshot(run_id), before);

  // The holder of the lease is still accepted, once.
  ASSERT_TRUE(Complete(a, 1).ok());
  s = Complete(a, 2);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("task run is COMPLETED, not RUNNING"));
  EXPECT_EQ(Task(run_id, "a").result, json(1));
}

TEST_F(LeaseStoreTest, CompletionAfterTheLeaseTimePassedIsAcceptedUntilTheTimersEndIt) {
  // The outage rule: only the timers end a lease.
  const std::string run_id = StartRun(kChain);
  const LeaseRecord a = LeaseOne("a", absl::Milliseconds(100));
  SleepUntilPast(a.lease_expires_at);
  EXPECT_TRUE(Complete(a, 1).ok());
  EXPECT_EQ(Task(run_id, "a").state, TaskRunState::kCompleted);
}

TEST_F(LeaseStoreTest, CompletionAfterTheTimersEndedTheLeaseIsRefusedAndChangesNothing) {
  const std::string run_id = StartRun(kChain);
  const LeaseRecord a = LeaseOne("a", absl::Milliseconds(100));
  SleepUntilPast(a.lease_expires_at);
  ASSERT_EQ(ExpireUntil(1), 1);
  const std::string before = Snapshot(run_id);

  absl::Status s = Complete(a, 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("task run ", a.task_run_id, " attempt 1: ")));
  EXPECT_EQ(Snapshot(run_id), before);
}

// --- Heartbeats ---

TEST_F(LeaseStoreTest, HeartbeatExtendsTheLeaseAndNeverShortensIt) {
  const std::string run_id = StartRun(kChain);
  const LeaseRecord a = LeaseOne("a", absl::Milliseconds(200));

  std::vector<HeartbeatOutcome> out = Heartbeat({ClaimOf(a)}, absl::Seconds(30));
  ASSERT_THAT(out, SizeIs(1));
  ASSERT_TRUE(out[0].status.ok()) << out[0].status;
  EXPECT_FALSE(out[0].cancel_requested);
  EXPECT_GT(out[0].lease_expires_at, a.lease_expires_at + absl::Seconds(25));
  const absl::Time extended = out[0].lease_expires_at;

  out = Heartbeat({ClaimOf(a)}, absl::Milliseconds(10));
  ASSERT_THAT(out, SizeIs(1));
  ASSERT_TRUE(out[0].status.ok()) << out[0].status;
  EXPECT_EQ(out[0].lease_expires_at, extended);

  // The original 200 ms lease would have run out: the attempt still holds.
  SleepUntilPast(a.lease_expires_at);
  auto n = leases_->ExpireLeases(100);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);
  const TaskRunRecord task = Task(run_id, "a");
  ASSERT_THAT(task.attempts, SizeIs(1));
  EXPECT_EQ(task.attempts[0].lease_expires_at, extended);
  EXPECT_NE(task.attempts[0].last_heartbeat_at, absl::InfinitePast());
  EXPECT_TRUE(Complete(a, 1).ok());
}

TEST_F(LeaseStoreTest, HeartbeatRefusesStaleClaimsSayingWhy) {
  const std::string run_id = StartRun(WideFlow(3));
  std::map<std::string, LeaseRecord> l = LeaseAll();
  ASSERT_THAT(l, SizeIs(3));
  ASSERT_TRUE(Complete(l["t2"], 1).ok());

  AttemptClaim wrong_token = ClaimOf(l["t1"]);
  wrong_token.lease_token = kOtherToken;
  AttemptClaim wrong_attempt = ClaimOf(l["t1"]);
  wrong_attempt.attempt = 3;
  AttemptClaim unknown = ClaimOf(l["t0"]);
  unknown.task_run_id += 1000;
  const absl::Time t1_heartbeat = Task(run_id, "t1").attempts[0].last_heartbeat_at;

  std::vector<HeartbeatOutcome> out = Heartbeat(
      {ClaimOf(l["t0"]), wrong_token, wrong_attempt, ClaimOf(l["t2"]), unknown}, absl::Seconds(60));
  ASSERT_THAT(out, SizeIs(5));
  EXPECT_TRUE(out[0].status.ok()) << out[0].status;
  for (size_t i = 1; i < out.size(); ++i) {
    EXPECT_EQ(out[i].status.code(), absl::StatusCode::kFailedPrecondition) << i;
  }
  EXPECT_THAT(out[1].status.message(), HasSubstr("lease token does not match"));
  EXPECT_THAT(out[2].status.message(), HasSubstr("attempt 3 is not current (attempt 1 is)"));
  EXPECT_THAT(out[3].status.message(), HasSubstr("task run is COMPLETED, not RUNNING"));
  EXPECT_EQ(out[4].status.message(), "lease not held");

  // Only t0's lease moved: t1 keeps its expiry and its (acknowledging) heartbeat.
  EXPECT_EQ(Task(run_id, "t1").attempts[0].lease_expires_at, l["t1"].lease_expires_at);
  EXPECT_EQ(Task(run_id, "t1").attempts[0].last_heartbeat_at, t1_heartbeat);
  EXPECT_GT(Task(run_id, "t0").attempts[0].lease_expires_at, l["t0"].lease_expires_at);
}

TEST_F(LeaseStoreTest, HeartbeatAfterTheTimersEndedTheLeaseIsRefusedSayingSo) {
  const std::string run_id = StartRun(kChain);
  const LeaseRecord a = LeaseOne("a", absl::Milliseconds(50));
  SleepUntilPast(a.lease_expires_at);
  ASSERT_EQ(ExpireUntil(1), 1);
  std::vector<HeartbeatOutcome> out = Heartbeat({ClaimOf(a)}, absl::Seconds(30));
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_EQ(out[0].status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(out[0].status.message(), HasSubstr("not RUNNING"));
  EXPECT_EQ(Task(run_id, "a").attempts[0].state, AttemptState::kLeaseExpired);
}

// --- Delivery: unacknowledged leases ---

constexpr char kRetriedOnce[] = R"yaml(name: retried-once
tasks:
  - {name: a, handler: noop, retry: {retries: 1, delay: 0s}, timeout: 10s, heartbeat_timeout: 5s}
)yaml";

TEST_F(LeaseStoreTest, AnUnacknowledgedLeaseRunsOutUndeliveredWithoutSpendingAnAttempt) {
  const std::string run_id = StartRun(kRetriedOnce);
  std::vector<LeaseRecord> granted = Grant(10, {"default"}, absl::Milliseconds(100));
  ASSERT_THAT(granted, SizeIs(1));
  SleepUntilPast(granted[0].lease_expires_at);
  ASSERT_EQ(ExpireUntil(1), 1);
  TaskRunRecord task = Task(run_id, "a");
  EXPECT_EQ(task.state, TaskRunState::kReady);
  ASSERT_THAT(task.attempts, SizeIs(1));
  EXPECT_EQ(task.attempts[0].state, AttemptState::kUndelivered);
  EXPECT_EQ(task.attempts[0].error_type, "Undelivered");

  // Its acknowledgement, late, is refused: the worker must not run it.
  std::vector<HeartbeatOutcome> late = Heartbeat({ClaimOf(granted[0])}, absl::Seconds(30));
  EXPECT_EQ(late[0].status.code(), absl::StatusCode::kFailedPrecondition);

  // Attempts 2 and 3 are the task's two: 2 fails and is retried.
  const LeaseRecord second = LeaseOne("a");
  EXPECT_EQ(second.attempt, 2);
  ASSERT_TRUE(leases_->CompleteAttempt(ClaimOf(second), Failed("boom")).ok());
  EXPECT_EQ(Task(run_id, "a").state, TaskRunState::kReady);
  const LeaseRecord third = LeaseOne("a");
  EXPECT_EQ(third.attempt, 3);
  ASSERT_TRUE(leases_->CompleteAttempt(ClaimOf(third), Failed("boom")).ok());
  EXPECT_EQ(Task(run_id, "a").state, TaskRunState::kFailed);
}

TEST_F(LeaseStoreTest, TheAcknowledgementStartsTheHeartbeatLeaseAndTheExecutionDeadline) {
  const std::string run_id = StartRun(kRetriedOnce);
  std::vector<LeaseRecord> granted = Grant(10, {"default"}, absl::Seconds(2));
  ASSERT_THAT(granted, SizeIs(1));
  EXPECT_EQ(Task(run_id, "a").attempts[0].execution_deadline, absl::InfinitePast());
  const absl::Time acked_at = absl::Now();
  std::vector<HeartbeatOutcome> ack = Heartbeat({ClaimOf(granted[0])}, absl::Seconds(30));
  ASSERT_TRUE(ack[0].status.ok()) << ack[0].status;
  // The task's heartbeat timeout (5 s), not the delivery timeout (2 s) nor 30 s.
  EXPECT_GT(ack[0].lease_expires_at, acked_at + absl::Seconds(4));
  EXPECT_LT(ack[0].lease_expires_at, acked_at + absl::Seconds(6));
  const absl::Time deadline = Task(run_id, "a").attempts[0].execution_deadline;
  EXPECT_GT(deadline, acked_at + absl::Seconds(9));
  EXPECT_LT(deadline, acked_at + absl::Seconds(11));
  // Acknowledging again is harmless (a retried acknowledgement).
  EXPECT_TRUE(Heartbeat({ClaimOf(granted[0])}, absl::Seconds(30))[0].status.ok());
}

TEST_F(LeaseStoreTest, ReleasingLeasesEndsOnlyTheUnacknowledgedOnesAtOnce) {
  const std::string run_id = StartRun(WideFlow(2));
  std::vector<LeaseRecord> granted = Grant(10);
  ASSERT_THAT(granted, SizeIs(2));
  ASSERT_TRUE(Heartbeat({ClaimOf(granted[0])}, absl::Seconds(30))[0].status.ok());
  absl::StatusOr<int> released =
      leases_->ReleaseLeases({ClaimOf(granted[0]), ClaimOf(granted[1])}, "poll gone");
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(*released, 1);
  const TaskRunRecord acked = Task(run_id, granted[0].task_name);
  const TaskRunRecord dropped = Task(run_id, granted[1].task_name);
  EXPECT_EQ(acked.state, TaskRunState::kRunning);
  EXPECT_EQ(dropped.state, TaskRunState::kReady);
  EXPECT_EQ(dropped.attempts[0].state, AttemptState::kUndelivered);
  EXPECT_EQ(dropped.attempts[0].error, "poll gone");
  // Released again: nothing more happens.
  EXPECT_EQ(leases_->ReleaseLeases({ClaimOf(granted[1])}, "again").value_or(-1), 0);
}

TEST_F(LeaseStoreTest, TheTakeoverGrantSkipsUnacknowledgedLeases) {
  StartRun(WideFlow(2));
  std::vector<LeaseRecord> granted = Grant(10, {"default"}, absl::Milliseconds(100));
  ASSERT_THAT(granted, SizeIs(2));
  ASSERT_TRUE(Heartbeat({ClaimOf(granted[0])}, absl::Milliseconds(100))[0].status.ok());
  absl::SleepFor(absl::Milliseconds(150));
  EXPECT_EQ(leases_->GrantLeases(absl::Seconds(30)).value_or(-1), 1);
  EXPECT_EQ(ExpireUntil(1), 1);  // the unacknowledged one, as UNDELIVERED
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE state = 'UNDELIVERED'"), 1);
}

TEST_F(LeaseStoreTest, HeartbeatWithAMalformedTokenIsInvalidArgument) {
  StartRun(kChain);
  AttemptClaim claim = ClaimOf(LeaseOne("a"));
  claim.lease_token = "not-a-uuid";
  auto out = leases_->Heartbeat(worker_, {claim}, absl::Seconds(30));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("not-a-uuid"));
}

// --- Expiry ---

TEST_F(LeaseStoreTest, ExpiredLeaseIsRequeuedAsANewAttempt) {
  const std::string run_id =
      StartRun("name: two\ntasks:\n  - {name: p, handler: noop}\n  - {name: q, handler: noop}\n");
  const LeaseRecord first = Lease(1, absl::Milliseconds(50)).at(0);
  const LeaseRecord healthy = Lease(1, absl::Seconds(30)).at(0);
  EXPECT_EQ(ExpireUntil(1), 1);
  auto more = leases_->ExpireLeases(100);
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(*more, 0) << "only the short lease expired";

  TaskRunRecord task = Task(run_id, first.task_name);
  EXPECT_EQ(task.state, TaskRunState::kReady);
  EXPECT_EQ(task.attempt_count, 1);
  ASSERT_THAT(task.attempts, SizeIs(1));
  EXPECT_EQ(task.attempts[0].state, AttemptState::kLeaseExpired);
  EXPECT_THAT(task.attempts[0].error, HasSubstr("lease expired"));
  EXPECT_NE(task.attempts[0].ended_at, absl::InfinitePast());
  EXPECT_EQ(TerminalTransitions("attempt", first.task_run_id, 1), 1);
  EXPECT_EQ(Task(run_id, healthy.task_name).state, TaskRunState::kRunning);

  // The stale attempt cannot complete, before or after the task is re-leased.
  absl::Status s = Complete(first, "stale");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("task run is READY, not RUNNING"));

  const LeaseRecord second = LeaseOne(first.task_name);
  EXPECT_EQ(second.task_run_id, first.task_run_id);
  EXPECT_EQ(second.attempt, 2);
  EXPECT_NE(second.lease_token, first.lease_token);

  const std::string before = Snapshot(run_id);
  s = Complete(first, "stale");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("attempt 1 is not current (attempt 2 is)"));
  std::vector<HeartbeatOutcome> hb = Heartbeat({ClaimOf(first)}, absl::Seconds(30));
  ASSERT_THAT(hb, SizeIs(1));
  EXPECT_THAT(hb[0].status.message(), HasSubstr("attempt 1 is not current (attempt 2 is)"));
  EXPECT_EQ(Snapshot(run_id), before);

  ASSERT_TRUE(Complete(second, "fresh").ok());
  ASSERT_TRUE(Complete(healthy, "ok").ok());
  task = Task(run_id, first.task_name);
  EXPECT_EQ(task.state, TaskRunState::kCompleted);
  EXPECT_EQ(task.result, json("fresh"));
  EXPECT_EQ(task.attempt_count, 2);
  ASSERT_THAT(task.attempts, SizeIs(2));
  EXPECT_EQ(task.attempts[0].state, AttemptState::kLeaseExpired);
  EXPECT_EQ(task.attempts[1].state, AttemptState::kSucceeded);
  EXPECT_EQ(GetRun(run_id).state, FlowRunState::kCompleted);
}

TEST_F(LeaseStoreTest, HeartbeatAnswersEachAttemptOfOneTaskRunOnItsOwn) {
  // A worker that lost attempt 1 of a task run (lease expired) and then got
  // attempt 2 of the same task run heartbeats both: only attempt 2 holds.
  StartRun(kChain);
  const LeaseRecord first = LeaseOne("a", absl::Milliseconds(50));
  ASSERT_EQ(ExpireUntil(1), 1);
  const LeaseRecord second = LeaseOne("a");
  ASSERT_EQ(second.attempt, 2);
  AttemptClaim forged = ClaimOf(second);
  forged.lease_token = kOtherToken;

  std::vector<HeartbeatOutcome> out =
      Heartbeat({ClaimOf(first), ClaimOf(second), forged}, absl::Seconds(30));
  ASSERT_THAT(out, SizeIs(3));
  EXPECT_EQ(out[0].status.code(), absl::StatusCode::kFailedPrecondition) << out[0].status;
  EXPECT_THAT(out[0].status.message(), HasSubstr("attempt 1 is not current (attempt 2 is)"));
  EXPECT_TRUE(out[1].status.ok()) << out[1].status;
  EXPECT_EQ(out[2].status.code(), absl::StatusCode::kFailedPrecondition) << out[2].status;
  EXPECT_THAT(out[2].status.message(), HasSubstr("lease token does not match"));
  EXPECT_TRUE(Complete(second, 1).ok());
}

TEST_F(LeaseStoreTest, ResultThatPostgresCannotStoreFailsTheTaskCleanly) {
  // JSON allows U+0000 in strings; PostgreSQL's jsonb does not.
  const std::string run_id = StartRun(kChain);
  const LeaseRecord a = LeaseOne("a");
  absl::Status s =
      leases_->CompleteAttempt(ClaimOf(a), SucceededWithText(R"({"out": "a\u0000b"})"));
  ASSERT_TRUE(s.ok()) << s;
  const TaskRunRecord task = Task(run_id, "a");
  EXPECT_EQ(task.state, TaskRunState::kFailed);
  EXPECT_THAT(task.error, HasSubstr("NUL"));
  EXPECT_EQ(GetRun(run_id).state, FlowRunState::kFailed);
}

TEST_F(LeaseStoreTest, ExpireLeasesRespectsItsLimit) {
  StartRun(WideFlow(5));
  std::vector<LeaseRecord> leases = Lease(5, absl::Milliseconds(50));
  ASSERT_THAT(leases, SizeIs(5));
  SleepUntilPast(leases.back().lease_expires_at);
  auto first = leases_->ExpireLeases(2);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 2);
  auto rest = leases_->ExpireLeases(100);
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(*rest, 3);
  EXPECT_THAT(Lease(10), SizeIs(5));
}

// A completion racing the reaper: whichever wins, each attempt ends exactly
// once, and the loser is refused with FAILED_PRECONDITION (never a database
// error from the one-terminal-transition index).
TEST_F(LeaseStoreTest, CompletionRacingExpiryEndsEachAttemptOnce) {
  constexpr int kRounds = 6;
  constexpr int kTasks = 20;
  const auto flow = ApplyFlowYaml(WideFlow(kTasks));
  int completed_total = 0, expired_total = 0;
  for (int round = 0; round < kRounds; ++round) {
    auto started = runs_->StartRun(Plan(flow));
    ASSERT_TRUE(started.ok()) << started.status();
    std::vector<LeaseRecord> leases = Lease(kTasks, absl::Milliseconds(60));
    ASSERT_THAT(leases, SizeIs(kTasks));
    // Start completing at various times before the leases run out, so that
    // the completions straddle the expiry while the reaper is running.
    absl::SleepFor(absl::Milliseconds(10 * round));

    std::vector<absl::Status> outcomes(kTasks);
    std::atomic<bool> done{false};
    std::thread reaper([&] {
      while (!done.load()) {
        auto n = leases_->ExpireLeases(100);
        EXPECT_TRUE(n.ok()) << n.status();
      }
    });
    for (int i = 0; i < kTasks; ++i) outcomes[i] = Complete(leases[i], i);
    done = true;
    reaper.join();
    SleepUntilPast(leases.back().lease_expires_at);
    ASSERT_TRUE(leases_->ExpireLeases(100).ok());  // whatever the race left

    std::map<int64_t, TaskRunRecord> tasks;
    for (TaskRunRecord& t : GetRun(started->run.id).tasks) tasks[t.id] = std::move(t);
    for (int i = 0; i < kTasks; ++i) {
      const TaskRunRecord& t = tasks[leases[i].task_run_id];
      SCOPED_TRACE(absl::StrCat("round ", round, " task ", t.name, ": ", outcomes[i].ToString()));
      ASSERT_THAT(t.attempts, SizeIs(1));
      EXPECT_EQ(TerminalTransitions("attempt", t.id, 1), 1);
      if (outcomes[i].ok()) {
        ++completed_total;
        EXPECT_EQ(t.state, TaskRunState::kCompleted);
        EXPECT_EQ(t.attempts[0].state, AttemptState::kSucceeded);
        EXPECT_EQ(t.result, json(i));
      } else {
        ++expired_total;
        EXPECT_EQ(outcomes[i].code(), absl::StatusCode::kFailedPrecondition);
        EXPECT_EQ(t.state, TaskRunState::kReady);
        EXPECT_EQ(t.attempts[0].state, AttemptState::kLeaseExpired);
        EXPECT_TRUE(t.result.is_null());
      }
    }
    // Clear the queue for the next round: re-lease and finish what expired.
    for (const LeaseRecord& again : Lease(kTasks)) {
      EXPECT_EQ(again.attempt, 2);
      ASSERT_TRUE(Complete(again, "retry").ok());
    }
    EXPECT_EQ(GetRun(started->run.id).state, FlowRunState::kCompleted);
  }
  std::cout << "completion won " << completed_total << ", expiry won " << expired_total << " of "
            << kRounds * kTasks << "\n";
  EXPECT_EQ(completed_total + expired_total, kRounds * kTasks);
}

}  // namespace
}  // namespace baton::store
