#include "worker/attempt_registry.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "nlohmann/json.hpp"

namespace baton::worker {
namespace {

AttemptRegistry::Admission Admission(int64_t task_run_id, int32_t attempt) {
  AttemptRegistry::Admission a;
  a.lease.mutable_attempt()->set_task_run_id(task_run_id);
  a.lease.mutable_attempt()->set_attempt(attempt);
  a.attempt.ref = a.lease.attempt();
  TaskContext::Identity id;
  id.task_run_id = task_run_id;
  id.attempt = attempt;
  a.attempt.ctx = std::make_shared<TaskContext>(id, nlohmann::json::object());
  return a;
}

v1::AttemptRef Ref(int64_t task_run_id, int32_t attempt) {
  v1::AttemptRef ref;
  ref.set_task_run_id(task_run_id);
  ref.set_attempt(attempt);
  return ref;
}

// A lease this worker still runs may expire and its task be leased again to
// this same worker: both attempts of the task run are held at once, and the
// first one's report must not take the second one's place.
TEST(AttemptRegistryTest, TwoAttemptsOfOneTaskRunAreHeldApart) {
  AttemptRegistry registry(4);
  std::vector<AttemptRegistry::Admission> first;
  first.push_back(Admission(7, 1));
  registry.Admit(std::move(first));
  std::vector<AttemptRegistry::Admission> second;
  second.push_back(Admission(7, 2));
  registry.Admit(std::move(second));
  EXPECT_EQ(registry.FreeSlots(), 0);  // two queued leases, two held attempts

  ASSERT_TRUE(registry.NextLease().has_value());
  ASSERT_TRUE(registry.NextLease().has_value());
  EXPECT_EQ(registry.ContextOf(Ref(7, 1))->identity().attempt, 1);
  EXPECT_EQ(registry.ContextOf(Ref(7, 2))->identity().attempt, 2);

  // The heartbeater's directive for attempt 1 stops attempt 1 only.
  EXPECT_TRUE(registry.Visit(Ref(7, 1),
                             [](HeldAttempt& a) { a.Stop(StopReason::kLeaseLost, "lease lost"); }));
  EXPECT_EQ(registry.StopReasonOf(Ref(7, 1)), StopReason::kLeaseLost);
  EXPECT_EQ(registry.StopReasonOf(Ref(7, 2)), StopReason::kNone);

  registry.Release(Ref(7, 1));
  EXPECT_FALSE(registry.Visit(Ref(7, 1), [](HeldAttempt&) {}));
  EXPECT_EQ(registry.ContextOf(Ref(7, 2))->identity().attempt, 2);
  EXPECT_EQ(registry.FreeSlots(), 3);
  registry.Release(Ref(7, 2));
  EXPECT_EQ(registry.FreeSlots(), 4);
}

TEST(AttemptRegistryTest, VisitOfAnAttemptNotHeldDoesNothing) {
  AttemptRegistry registry(1);
  std::vector<AttemptRegistry::Admission> admitted;
  admitted.push_back(Admission(3, 2));
  registry.Admit(std::move(admitted));
  int visits = 0;
  EXPECT_FALSE(registry.Visit(Ref(3, 1), [&](HeldAttempt&) { ++visits; }));
  EXPECT_FALSE(registry.Visit(Ref(4, 2), [&](HeldAttempt&) { ++visits; }));
  EXPECT_TRUE(registry.Visit(Ref(3, 2), [&](HeldAttempt&) { ++visits; }));
  EXPECT_EQ(visits, 1);
}

}  // namespace
}  // namespace baton::worker
