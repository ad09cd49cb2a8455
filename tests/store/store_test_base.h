// Base fixture of the store tests (*_pgtest.cc): each test gets a fresh
// database on the test binary's private PostgreSQL, migrated, with a pool and
// the stores on it, and ends by checking the database invariants
// (tests/support/invariants.h).
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/spec/flow.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestrator/engine/run_plan.h"
#include "orchestrator/store/flow_store.h"
#include "orchestrator/store/lease_store.h"
#include "orchestrator/store/migrations.h"
#include "orchestrator/store/pg_pool.h"
#include "orchestrator/store/run_store.h"
#include "orchestrator/store/worker_store.h"
#include "tests/support/invariants.h"
#include "tests/support/test_postgres.h"

namespace baton::store {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = testing::FreshDatabaseUrl("store");
    PgPoolOptions options;
    options.url = url_;
    options.size = 10;
    auto pool = PgPool::Open(options);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
    if (migrate_) {
      auto applied = ApplyMigrations(*pool_);
      ASSERT_TRUE(applied.ok()) << applied.status();
    }
    flows_ = std::make_unique<FlowStore>(*pool_);
    runs_ = std::make_unique<RunStore>(*pool_, absl::Minutes(1));
    leases_ = std::make_unique<LeaseStore>(*pool_);
    workers_ = std::make_unique<WorkerStore>(*pool_);
  }

  void TearDown() override {
    if (!migrate_ || pool_ == nullptr) return;
    EXPECT_THAT(testing::InvariantViolations(url_), ::testing::IsEmpty());
  }

  // Parses and stores a flow; returns its spec and stored version.
  std::pair<FlowSpec, FlowRecord> ApplyFlowYaml(const std::string& yaml) {
    absl::StatusOr<FlowSpec> spec = ParseFlowSpec(yaml, "test.yaml");
    EXPECT_TRUE(spec.ok()) << spec.status();
    if (!spec.ok()) return {};
    auto applied = flows_->ApplyFlow(spec->name, spec->description, FlowSpecToJson(*spec));
    EXPECT_TRUE(applied.ok()) << applied.status();
    if (!applied.ok()) return {};
    return {*spec, applied->flow};
  }

  engine::RunPlan Plan(const std::pair<FlowSpec, FlowRecord>& flow,
                       const nlohmann::json& params = nlohmann::json::object(),
                       const std::string& key = "") {
    auto plan = engine::PlanRun(flow.first, flow.second.version, params, key);
    EXPECT_TRUE(plan.ok()) << plan.status();
    return plan.ok() ? *std::move(plan) : engine::RunPlan{};
  }

  // Applies the flow and starts a run of it; returns the run id.
  std::string StartRun(const std::string& yaml,
                       const nlohmann::json& params = nlohmann::json::object()) {
    auto started = runs_->StartRun(Plan(ApplyFlowYaml(yaml), params));
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? started->run.id : "";
  }

  RunRecord GetRun(const std::string& run_id) {
    auto run = runs_->GetRun(run_id);
    EXPECT_TRUE(run.ok()) << run.status();
    return run.ok() ? *std::move(run) : RunRecord{};
  }

  TaskRunRecord Task(const std::string& run_id, const std::string& name) {
    for (TaskRunRecord& t : GetRun(run_id).tasks) {
      if (t.name == name) return std::move(t);
    }
    ADD_FAILURE() << "run " << run_id << " has no task " << name;
    return {};
  }

  // Every handler the store tests' flows name: leases go only to workers
  // that registered the task's handler.
  static std::vector<std::string> AllTestHandlers() {
    return {"noop", "step.a",      "step.b",        "step.c",   "h.a",      "h.b",
            "h.c",  "etl.extract", "etl.transform", "etl.load", "etl.audit"};
  }

  std::string RegisterWorker(std::vector<std::string> queues = {"default"},
                             const std::string& name = "w",
                             std::vector<std::string> handlers = AllTestHandlers()) {
    WorkerRecord w;
    w.name = name;
    w.queues = std::move(queues);
    w.handlers = std::move(handlers);
    w.slots = 4;
    auto registered = workers_->RegisterWorker(w);
    EXPECT_TRUE(registered.ok()) << registered.status();
    return registered.ok() ? registered->id : "";
  }

  // One value from the test database, read outside the stores.
  int64_t Count(const std::string& sql) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    return tx.exec1(sql)[0].as<int64_t>();
  }

  std::string url_;
  bool migrate_ = true;  // set false in a derived constructor to get an empty database
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<FlowStore> flows_;
  std::unique_ptr<RunStore> runs_;
  std::unique_ptr<LeaseStore> leases_;
  std::unique_ptr<WorkerStore> workers_;
};

}  // namespace baton::store
