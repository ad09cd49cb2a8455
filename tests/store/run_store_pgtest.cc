// RunStore against a real PostgreSQL: starting runs (with idempotency keys,
// also under concurrency), reading and listing them.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/base/uuid.h"
#include "orchestrator/store/run_store.h"
#include "tests/store/store_test_base.h"

namespace baton::store {
namespace {

using model::FlowRunState;
using model::TaskRunState;
using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Listed out of dependency order; extract and audit are roots.
constexpr char kEtl[] = R"yaml(name: etl
parameters:
  items: {default: [1, 2]}
tasks:
  - {name: load, handler: etl.load, depends_on: [transform, audit], queue: io}
  - {name: transform, handler: etl.transform, depends_on: [extract]}
  - {name: extract, handler: etl.extract}
  - {name: audit, handler: etl.audit}
)yaml";

constexpr char kOther[] = "name: other\ntasks:\n  - {name: a, handler: noop}\n";

class RunStoreTest : public StoreTest {};

TEST_F(RunStoreTest, StartRunCreatesAPendingRunWithItsTaskRuns) {
  auto flow = ApplyFlowYaml(kEtl);
  const absl::Time before = absl::Now() - absl::Seconds(5);
  auto started = runs_->StartRun(Plan(flow, {{"items", {3}}}));
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_TRUE(started->created);
  EXPECT_TRUE(IsUuid(started->run.id)) << started->run.id;
  EXPECT_EQ(started->run.state, FlowRunState::kPending);
  EXPECT_EQ(started->run.flow_name, "etl");
  EXPECT_EQ(started->run.flow_version, 1);
  EXPECT_EQ(started->run.parameters, json({{"items", {3}}}));
  EXPECT_TRUE(started->run.result.is_null());
  EXPECT_GT(started->run.created_at, before);
  EXPECT_EQ(started->run.started_at, absl::InfinitePast());
  EXPECT_THAT(started->run.tasks, IsEmpty());

  RunRecord run = GetRun(started->run.id);
  EXPECT_EQ(run.state, FlowRunState::kPending);
  ASSERT_EQ(run.tasks.size(), 4u);
  std::vector<std::string> names;
  for (const TaskRunRecord& t : run.tasks) names.push_back(t.name);
  // Dependency order, ties in file order.
  EXPECT_THAT(names, ElementsAre("extract", "transform", "audit", "load"));
}

TEST_F(RunStoreTest, RootTasksAreReadyOthersPendingWithTheirDependencies) {
  const std::string run_id = StartRun(kEtl);
  RunRecord run = GetRun(run_id);
  ASSERT_EQ(run.tasks.size(), 4u);
  std::map<std::string, TaskRunRecord> by_name;
  for (const TaskRunRecord& t : run.tasks) by_name[t.name] = t;

  EXPECT_EQ(by_name["extract"].state, TaskRunState::kReady);
  EXPECT_EQ(by_name["audit"].state, TaskRunState::kReady);
  EXPECT_EQ(by_name["transform"].state, TaskRunState::kPending);
  EXPECT_EQ(by_name["load"].state, TaskRunState::kPending);

  EXPECT_NE(by_name["extract"].ready_at, absl::InfinitePast());
  EXPECT_EQ(by_name["load"].ready_at, absl::InfinitePast());
  EXPECT_THAT(by_name["extract"].depends_on, IsEmpty());
  EXPECT_THAT(by_name["transform"].depends_on, ElementsAre("extract"));
  EXPECT_THAT(by_name["load"].depends_on, ElementsAre("transform", "audit"));
  EXPECT_EQ(by_name["load"].handler, "etl.load");
  EXPECT_EQ(by_name["load"].queue, "io");
  EXPECT_EQ(by_name["extract"].queue, "default");
  for (const auto& [name, t] : by_name) {
    EXPECT_EQ(t.attempt_count, 0) << name;
    EXPECT_THAT(t.attempts, IsEmpty()) << name;
    EXPECT_TRUE(t.result.is_null()) << name;
  }
  // History: the run and each task run have their first state recorded.
  EXPECT_EQ(Count("SELECT count(*) FROM state_transitions WHERE entity = 'run'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM state_transitions WHERE entity = 'task'"), 4);
  EXPECT_EQ(Count("SELECT count(*) FROM task_edges"), 3);
}

TEST_F(RunStoreTest, IdempotencyKeyReturnsTheSameRun) {
  auto flow = ApplyFlowYaml(kEtl);
  auto first = runs_->StartRun(Plan(flow, json::object(), "nightly-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->run.idempotency_key, "nightly-1");

  auto again = runs_->StartRun(Plan(flow, {{"items", {9}}}, "nightly-1"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->run.id, first->run.id);
  EXPECT_EQ(again->run.parameters, first->run.parameters);  // the first run's, not the new ones
  EXPECT_EQ(Count("SELECT count(*) FROM flow_runs"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM task_runs"), 4);

  auto other_key = runs_->StartRun(Plan(flow, json::object(), "nightly-2"));
  ASSERT_TRUE(other_key.ok()) << other_key.status();
  EXPECT_TRUE(other_key->created);
  auto no_key = runs_->StartRun(Plan(flow));
  ASSERT_TRUE(no_key.ok()) << no_key.status();
  EXPECT_TRUE(no_key->created);
  EXPECT_EQ(no_key->run.idempotency_key, "");
}

TEST_F(RunStoreTest, IdempotencyKeysArePerFlow) {
  auto etl = ApplyFlowYaml(kEtl);
  auto other = ApplyFlowYaml(kOther);
  auto a = runs_->StartRun(Plan(etl, json::object(), "k"));
  auto b = runs_->StartRun(Plan(other, json::object(), "k"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->created);
  EXPECT_TRUE(b->created);
  EXPECT_NE(a->run.id, b->run.id);
}

TEST_F(RunStoreTest, ConcurrentStartsWithOneKeyCreateExactlyOneRun) {
  const engine::RunPlan plan = Plan(ApplyFlowYaml(kEtl), json::object(), "once");
  constexpr int kThreads = 8;
  std::atomic<int> created{0};
  std::mutex mu;
  std::set<std::string> ids;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto started = runs_->StartRun(plan);
      ASSERT_TRUE(started.ok()) << started.status();
      if (started->created) ++created;
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(started->run.id);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(Count("SELECT count(*) FROM flow_runs"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM task_runs"), 4);
  EXPECT_EQ(Count("SELECT count(*) FROM state_transitions WHERE entity = 'run'"), 1);
}

TEST_F(RunStoreTest, GetRunOfAMalformedIdIsInvalidArgument) {
  for (const char* bad : {"", "42", "not-a-uuid", "0b9c6f1e-2d3a-4c5b-8e7f-11223344556",
                          "0b9c6f1e_2d3a_4c5b_8e7f_112233445566", "'; DROP TABLE flow_runs; --"}) {
    auto run = runs_->GetRun(bad);
    EXPECT_EQ(run.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(run.status().message(), HasSubstr("is not a UUID")) << bad;
  }
}

TEST_F(RunStoreTest, GetRunOfAnUnknownIdIsNotFound) {
  const std::string id = "0b9c6f1e-2d3a-4c5b-8e7f-112233445566";
  auto run = runs_->GetRun(id);
  EXPECT_EQ(run.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(run.status().message(), HasSubstr(id));
}

TEST_F(RunStoreTest, ListRunsIsNewestFirstFilteredByFlowStateAndLimit) {
  auto etl = ApplyFlowYaml(kEtl);
  auto other = ApplyFlowYaml(kOther);
  std::vector<std::string> etl_ids;  // oldest first
  for (int i = 0; i < 3; ++i) {
    auto started = runs_->StartRun(Plan(etl));
    ASSERT_TRUE(started.ok()) << started.status();
    etl_ids.push_back(started->run.id);
  }
  auto other_run = runs_->StartRun(Plan(other));
  ASSERT_TRUE(other_run.ok()) << other_run.status();

  // Leasing one task makes its run RUNNING; the rest stay PENDING.
  const std::string worker = RegisterWorker({"default"});
  auto leased = leases_->LeaseTasks(worker, {"default"}, 1, absl::Seconds(30));
  ASSERT_TRUE(leased.ok()) << leased.status();
  ASSERT_EQ(leased->size(), 1u);
  const std::string running_id = (*leased)[0].run_id;

  auto ids = [&](const RunFilter& filter) {
    std::vector<std::string> out;
    auto runs = runs_->ListRuns(filter);
    EXPECT_TRUE(runs.ok()) << runs.status();
    if (runs.ok()) {
      for (const RunRecord& r : *runs) {
        EXPECT_THAT(r.tasks, IsEmpty());
        out.push_back(r.id);
      }
    }
    return out;
  };

  EXPECT_EQ(ids({}).size(), 4u);
  EXPECT_EQ(ids({}).front(), other_run->run.id);
  EXPECT_THAT(ids({"etl", std::nullopt, 50}), ElementsAre(etl_ids[2], etl_ids[1], etl_ids[0]));
  EXPECT_THAT(ids({"etl", std::nullopt, 2}), ElementsAre(etl_ids[2], etl_ids[1]));
  EXPECT_THAT(ids({"", FlowRunState::kRunning, 50}), ElementsAre(running_id));
  EXPECT_EQ(ids({"", FlowRunState::kPending, 50}).size(), 3u);
  EXPECT_THAT(ids({"nope", std::nullopt, 50}), IsEmpty());
  EXPECT_THAT(ids({"etl", FlowRunState::kCompleted, 50}), IsEmpty());
}

}  // namespace
}  // namespace baton::store
