// BreakerStore against a real PostgreSQL, with breakers driven the way
// workers drive them (leases and reported failures): listing, opening after
// failures, the half-open probe, short-circuiting to a fallback
// (TimerStore::ShortCircuit), resetting, and unknown keys.
#include <memory>

#include "orchestrator/store/breaker_store.h"
#include "orchestrator/store/timer_store.h"
#include "tests/store/leasing_test_base.h"

namespace baton::store {
namespace {

using engine::BreakerState;
using model::FlowRunState;
using model::TaskRunState;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Two failures within a minute open "api" for a second; while open, its
// tasks wait.
constexpr char kGuarded[] = R"yaml(name: guarded
tasks:
  - name: a
    handler: h.a
    circuit_breaker: {key: api, failure_threshold: 2, window: 1m, cooldown: 1s, when_open: wait}
)yaml";

class BreakerStoreTest : public LeasingStoreTest {
 protected:
  void SetUp() override {
    LeasingStoreTest::SetUp();
    breakers_ = std::make_unique<BreakerStore>(*pool_);
  }

  std::vector<BreakerRecord> List() {
    auto list = breakers_->ListBreakers();
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? *std::move(list) : std::vector<BreakerRecord>{};
  }

  BreakerRecord Only(const std::string& key) {
    for (BreakerRecord& r : List()) {
      if (r.key == key) return std::move(r);
    }
    ADD_FAILURE() << "no breaker " << key;
    return {};
  }

  // Starts `n` runs of kGuarded and fails the first `failures` of them.
  std::vector<std::string> RunsWithFailures(int n, int failures) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(StartRun(kGuarded));
    for (int i = 0; i < failures; ++i) {
      std::vector<LeaseRecord> leased = Lease(1);
      EXPECT_THAT(leased, SizeIs(1)) << "failure " << i;
      if (!leased.empty()) Fail(leased[0]);
    }
    return ids;
  }

  std::unique_ptr<BreakerStore> breakers_;
};

TEST_F(BreakerStoreTest, ABreakerIsListedOnceATaskDeclaresItWithItsLatestSpec) {
  EXPECT_THAT(List(), IsEmpty());
  StartRun(kGuarded);
  std::vector<BreakerRecord> list = List();
  ASSERT_THAT(list, SizeIs(1));
  EXPECT_EQ(list[0].key, "api");
  EXPECT_EQ(list[0].breaker.state, BreakerState::kClosed);
  EXPECT_EQ(list[0].breaker.failures, 0);
  EXPECT_EQ(list[0].spec.failure_threshold, 2);
  EXPECT_EQ(list[0].spec.cooldown, absl::Seconds(1));
  EXPECT_EQ(list[0].spec.when_open, CircuitBreakerSpec::WhenOpen::kWait);

  // Another flow naming the same key shares the breaker; its settings win.
  StartRun(
      "name: other\ntasks:\n  - {name: x, handler: h.b, fallback: y,"
      " circuit_breaker: {key: api, failure_threshold: 7}}\n  - {name: y, handler: h.c}\n");
  StartRun(
      "name: third\ntasks:\n  - {name: z, handler: h.c,"
      " circuit_breaker: {key: billing, when_open: wait}}\n");
  list = List();
  ASSERT_THAT(list, SizeIs(2));
  EXPECT_EQ(list[0].key, "api");  // by key
  EXPECT_EQ(list[0].spec.failure_threshold, 7);
  EXPECT_EQ(list[0].spec.when_open, CircuitBreakerSpec::WhenOpen::kFallback);
  EXPECT_EQ(list[1].key, "billing");
}

TEST_F(BreakerStoreTest, FailuresOpenTheBreakerAndItsTasksAreNotLeased) {
  std::vector<std::string> runs = RunsWithFailures(3, 1);
  BreakerRecord api = Only("api");
  EXPECT_EQ(api.breaker.state, BreakerState::kClosed);
  EXPECT_EQ(api.breaker.failures, 1);
  EXPECT_NE(api.breaker.window_start, absl::InfinitePast());

  const absl::Time before = absl::Now();
  Fail(Lease(1).at(0));
  api = Only("api");
  EXPECT_EQ(api.breaker.state, BreakerState::kOpen);
  EXPECT_EQ(api.breaker.failures, 2);
  EXPECT_GT(api.breaker.open_until, before + absl::Milliseconds(500));
  EXPECT_LT(api.breaker.open_until, absl::Now() + absl::Seconds(2));
  EXPECT_THAT(Lease(1), IsEmpty()) << "leased behind an open breaker";
  EXPECT_EQ(Task(runs[2], "a").state, TaskRunState::kReady);
}

TEST_F(BreakerStoreTest, AfterTheCooldownOneProbeIsLeasedAndItsSuccessClosesTheBreaker) {
  std::vector<std::string> runs = RunsWithFailures(4, 2);
  ASSERT_EQ(Only("api").breaker.state, BreakerState::kOpen);
  absl::SleepFor(Only("api").breaker.open_until - absl::Now() + absl::Milliseconds(50));

  std::vector<LeaseRecord> probe = Lease(10);
  ASSERT_THAT(probe, SizeIs(1)) << "one probe while half-open";
  BreakerRecord api = Only("api");
  EXPECT_EQ(api.breaker.state, BreakerState::kHalfOpen);
  EXPECT_EQ(api.breaker.probe_task_run_id, probe[0].task_run_id);
  EXPECT_THAT(Lease(10), IsEmpty()) << "a second probe";

  Succeed(probe[0]);
  api = Only("api");
  EXPECT_EQ(api.breaker.state, BreakerState::kClosed);
  EXPECT_EQ(api.breaker.failures, 0);
  EXPECT_EQ(api.breaker.probe_task_run_id, 0);
  EXPECT_THAT(Lease(10), SizeIs(1));  // the remaining run's task
}

TEST_F(BreakerStoreTest, ResetClosesAnOpenBreakerAndItsTasksAreLeasedAgain) {
  std::vector<std::string> runs = RunsWithFailures(3, 2);
  const BreakerRecord open = Only("api");
  ASSERT_EQ(open.breaker.state, BreakerState::kOpen);
  ASSERT_THAT(Lease(1), IsEmpty());

  auto reset = breakers_->ResetBreaker("api");
  ASSERT_TRUE(reset.ok()) << reset.status();
  EXPECT_EQ(reset->key, "api");
  EXPECT_EQ(reset->breaker.state, BreakerState::kClosed);
  EXPECT_EQ(reset->breaker.failures, 0);
  EXPECT_EQ(reset->breaker.window_start, absl::InfinitePast());
  EXPECT_EQ(reset->breaker.open_until, absl::InfinitePast());
  EXPECT_EQ(reset->breaker.probe_task_run_id, 0);
  EXPECT_EQ(reset->spec.failure_threshold, 2);
  EXPECT_GE(reset->updated_at, open.updated_at);
  EXPECT_EQ(Only("api").breaker.state, BreakerState::kClosed);

  std::vector<LeaseRecord> leased = Lease(10);
  ASSERT_THAT(leased, SizeIs(1));
  EXPECT_EQ(leased[0].run_id, runs[2]);
  // One failure after the reset does not reopen it: the count started over.
  Fail(leased[0]);
  EXPECT_EQ(Only("api").breaker.state, BreakerState::kClosed);
  EXPECT_EQ(Only("api").breaker.failures, 1);
}

TEST_F(BreakerStoreTest, ResettingAnUnknownKeyIsNotFoundAndChangesNothing) {
  RunsWithFailures(2, 2);
  auto reset = breakers_->ResetBreaker("nope");
  EXPECT_EQ(reset.status().code(), absl::StatusCode::kNotFound) << reset.status();
  EXPECT_EQ(reset.status().message(), "circuit breaker \"nope\" does not exist");
  EXPECT_THAT(List(), SizeIs(1));
  EXPECT_EQ(Only("api").breaker.state, BreakerState::kOpen);
  EXPECT_EQ(breakers_->ResetBreaker("").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(BreakerStoreTest, AnOpenBreakerShortCircuitsReadyTasksToTheirFallback) {
  constexpr char kWithFallback[] = R"yaml(name: guarded-fb
tasks:
  - {name: a, handler: h.a, fallback: fb, circuit_breaker: {key: pay, failure_threshold: 1, cooldown: 1m}}
  - {name: fb, handler: h.b}
)yaml";
  TimerStore timers(*pool_);
  const std::string failed_run = StartRun(kWithFallback);
  Fail(Lease(1).at(0));
  ASSERT_EQ(Only("pay").breaker.state, BreakerState::kOpen);
  EXPECT_EQ(Task(failed_run, "a").state, TaskRunState::kFailed);
  EXPECT_EQ(Task(failed_run, "fb").state, TaskRunState::kReady);

  const std::string short_run = StartRun(kWithFallback);
  auto n = timers.ShortCircuit(10);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  TaskRunRecord a = Task(short_run, "a");
  EXPECT_EQ(a.state, TaskRunState::kSkipped);
  EXPECT_EQ(a.attempt_count, 0);
  EXPECT_THAT(a.error, HasSubstr("short-circuited: circuit breaker \"pay\" is OPEN until "));
  EXPECT_EQ(Task(short_run, "fb").state, TaskRunState::kReady);
  n = timers.ShortCircuit(10);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);

  // Both fallbacks run and both runs complete through them.
  std::vector<LeaseRecord> fallbacks = Lease(10);
  ASSERT_THAT(fallbacks, SizeIs(2));
  for (const LeaseRecord& l : fallbacks) {
    EXPECT_EQ(l.task_name, "fb");
    Succeed(l, "stood in");
  }
  EXPECT_EQ(GetRun(failed_run).state, FlowRunState::kCompleted);
  EXPECT_EQ(GetRun(short_run).state, FlowRunState::kCompleted);
}

}  // namespace
}  // namespace baton::store
