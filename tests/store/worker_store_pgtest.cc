// WorkerStore against a real PostgreSQL: registration, liveness, deregistration.
#include <chrono>
#include <map>
#include <thread>

#include "common/base/uuid.h"
#include "orchestrator/store/worker_store.h"
#include "tests/store/store_test_base.h"

namespace baton::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kUnknownId[] = "0b9c6f1e-2d3a-4c5b-8e7f-112233445566";

class WorkerStoreTest : public StoreTest {
 protected:
  std::map<std::string, WorkerRecord> ById(absl::Duration liveness, bool include_stopped) {
    std::map<std::string, WorkerRecord> out;
    auto workers = workers_->ListWorkers(liveness, include_stopped);
    EXPECT_TRUE(workers.ok()) << workers.status();
    if (workers.ok()) {
      for (WorkerRecord& w : *workers) out[w.id] = std::move(w);
    }
    return out;
  }
};

TEST_F(WorkerStoreTest, RegisterStoresTheWorkerAndGivesItAnId) {
  WorkerRecord w;
  w.name = "host-1/worker";
  w.queues = {"default", "gpu"};
  w.labels = {{"zone", "eu-1"}, {"disk", "ssd"}};
  w.handlers = {"exec", "sleep", "noop"};
  w.slots = 8;
  w.version = "0.1.0";
  const absl::Time before = absl::Now() - absl::Seconds(5);
  auto registered = workers_->RegisterWorker(w);
  ASSERT_TRUE(registered.ok()) << registered.status();
  EXPECT_TRUE(IsUuid(registered->id)) << registered->id;
  EXPECT_EQ(registered->name, "host-1/worker");
  EXPECT_THAT(registered->queues, ElementsAre("default", "gpu"));
  EXPECT_THAT(registered->labels, UnorderedElementsAre(Pair("zone", "eu-1"), Pair("disk", "ssd")));
  EXPECT_THAT(registered->handlers, ElementsAre("exec", "sleep", "noop"));
  EXPECT_EQ(registered->slots, 8);
  EXPECT_EQ(registered->version, "0.1.0");
  EXPECT_GT(registered->registered_at, before);
  EXPECT_EQ(registered->last_seen_at, registered->registered_at);
  EXPECT_EQ(registered->stopped_at, absl::InfinitePast());

  auto again = workers_->RegisterWorker(w);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->id, registered->id);  // a new registration, a new id
}

TEST_F(WorkerStoreTest, TouchRecordsThatTheWorkerWasSeen) {
  const std::string id = RegisterWorker();
  auto first = workers_->TouchWorker(id);
  ASSERT_TRUE(first.ok()) << first.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto second = workers_->TouchWorker(id);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->id, id);
  EXPECT_GT(second->last_seen_at, first->last_seen_at);
  EXPECT_EQ(second->registered_at, first->registered_at);
}

TEST_F(WorkerStoreTest, TouchOfAnUnknownWorkerIsNotFound) {
  for (const char* id : {kUnknownId, "not-a-uuid", ""}) {
    auto touched = workers_->TouchWorker(id);
    EXPECT_EQ(touched.status().code(), absl::StatusCode::kNotFound) << id;
    EXPECT_THAT(touched.status().message(), HasSubstr("is not registered")) << id;
  }
}

TEST_F(WorkerStoreTest, DeregisteredWorkerCannotBeTouched) {
  const std::string id = RegisterWorker();
  ASSERT_TRUE(workers_->DeregisterWorker(id).ok());
  auto touched = workers_->TouchWorker(id);
  EXPECT_EQ(touched.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(touched.status().message(), HasSubstr(id));
}

TEST_F(WorkerStoreTest, DeregisterOfAnUnknownWorkerIsNotFound) {
  EXPECT_EQ(workers_->DeregisterWorker(kUnknownId).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(workers_->DeregisterWorker("nope").code(), absl::StatusCode::kNotFound);
}

TEST_F(WorkerStoreTest, ListWorkersTellsOnlineFromLostByTheLivenessWindow) {
  const std::string quiet = RegisterWorker({"default"}, "quiet");
  const std::string busy = RegisterWorker({"default"}, "busy");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(workers_->TouchWorker(busy).ok());

  auto narrow = ById(absl::Milliseconds(250), false);
  ASSERT_EQ(narrow.size(), 2u);
  EXPECT_FALSE(narrow[quiet].online) << "not seen for 300 ms, window 250 ms";
  EXPECT_TRUE(narrow[busy].online);

  auto wide = ById(absl::Seconds(60), false);
  EXPECT_TRUE(wide[quiet].online);
  EXPECT_TRUE(wide[busy].online);
}

TEST_F(WorkerStoreTest, ListWorkersIsNewestFirst) {
  const std::string first = RegisterWorker({"default"}, "first");
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const std::string second = RegisterWorker({"default"}, "second");
  auto workers = workers_->ListWorkers(absl::Seconds(60), false);
  ASSERT_TRUE(workers.ok()) << workers.status();
  ASSERT_EQ(workers->size(), 2u);
  EXPECT_EQ((*workers)[0].id, second);
  EXPECT_EQ((*workers)[1].id, first);
}

TEST_F(WorkerStoreTest, StoppedWorkersAreListedOnlyOnRequest) {
  const std::string live = RegisterWorker({"default"}, "live");
  const std::string gone = RegisterWorker({"default"}, "gone");
  ASSERT_TRUE(workers_->DeregisterWorker(gone).ok());

  auto without = ById(absl::Seconds(60), false);
  EXPECT_EQ(without.size(), 1u);
  EXPECT_TRUE(without.count(live));

  auto with = ById(absl::Seconds(60), true);
  ASSERT_EQ(with.size(), 2u);
  EXPECT_NE(with[gone].stopped_at, absl::InfinitePast());
  EXPECT_FALSE(with[gone].online) << "a stopped worker is never online";
  EXPECT_EQ(with[live].stopped_at, absl::InfinitePast());
  EXPECT_TRUE(with[live].online);
}

TEST_F(WorkerStoreTest, ListWorkersCountsRunningAttempts) {
  const std::string busy = RegisterWorker({"default"}, "busy");
  const std::string idle = RegisterWorker({"default"}, "idle");
  StartRun(
      "name: f\ntasks:\n  - {name: a, handler: noop}\n  - {name: b, handler: noop}\n"
      "  - {name: c, handler: noop}\n");
  auto leased = leases_->LeaseTasks(busy, {"default"}, 2, absl::Seconds(30));
  ASSERT_TRUE(leased.ok()) << leased.status();
  ASSERT_EQ(leased->size(), 2u);

  auto workers = ById(absl::Seconds(60), false);
  EXPECT_EQ(workers[busy].running_attempts, 2);
  EXPECT_EQ(workers[idle].running_attempts, 0);

  engine::AttemptClaim claim;
  claim.task_run_id = (*leased)[0].task_run_id;
  claim.attempt = (*leased)[0].attempt;
  claim.lease_token = (*leased)[0].lease_token;
  engine::ReportedOutcome success;
  success.succeeded = true;
  success.result_json = "1";
  ASSERT_TRUE(leases_->CompleteAttempt(claim, success).ok());
  EXPECT_EQ(ById(absl::Seconds(60), false)[busy].running_attempts, 1);
  EXPECT_THAT(ById(absl::Seconds(60), true), ::testing::SizeIs(2));
}

}  // namespace
}  // namespace baton::store
