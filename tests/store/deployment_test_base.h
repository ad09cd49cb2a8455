// Fixture of the deployment and schedule store tests: the store fixture plus
// the deployment and schedule stores, deployments from YAML, and the
// deployment's runs and skipped fires read straight from the database.
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/spec/deployment.h"
#include "orchestrator/store/deployment_store.h"
#include "orchestrator/store/schedule_store.h"
#include "tests/store/store_test_base.h"

namespace baton::store {

// One noop task: a run of it has one root task.
inline constexpr char kOneTaskFlow[] =
    "name: nightly\nparameters:\n  n: {default: 1}\ntasks:\n  - {name: a, handler: noop}\n";

// A run of a deployment as stored.
struct StoredRun {
  std::string id;
  std::string state;
  absl::Time scheduled_time;
};

class DeploymentStoreTestBase : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    deployments_ = std::make_unique<DeploymentStore>(*pool_);
    schedules_ = std::make_unique<ScheduleStore>(*pool_);
  }

  // Parses and applies a deployment; returns the stored record.
  DeploymentRecord ApplyDeploymentYaml(const std::string& yaml, bool expect_created = true) {
    absl::StatusOr<DeploymentSpec> spec = ParseDeploymentSpec(yaml, "deploy.yaml");
    EXPECT_TRUE(spec.ok()) << spec.status();
    if (!spec.ok()) return {};
    auto applied = deployments_->ApplyDeployment(*spec);
    EXPECT_TRUE(applied.ok()) << applied.status();
    if (!applied.ok()) return {};
    EXPECT_EQ(applied->created, expect_created);
    return applied->deployment;
  }

  // RFC 3339, as deployment files write times.
  static std::string Rfc3339(absl::Time t) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
  }

  // A whole second in the past, 10 h ago: with a 10 min interval anchored
  // there, a fire falls less than a second before now (`*latest_fire`).
  static absl::Time AnchorTenHoursAgo(absl::Time* latest_fire) {
    const absl::Time anchor =
        absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())) - absl::Hours(10);
    *latest_fire = anchor + absl::Hours(10);
    return anchor;
  }

  // Moves a deployment's cursor, as if the scheduler had last run then.
  void SetCursor(const std::string& deployment_id, absl::Time cursor) {
    pqxx::connection conn(url_);
    pqxx::work tx(conn);
    tx.exec_params(
        "UPDATE deployments SET cursor = to_timestamp(0) + $2::bigint * interval '1 microsecond'"
        " WHERE id = $1::uuid",
        deployment_id, absl::ToUnixMicros(cursor));
    tx.commit();
  }

  absl::Time Cursor(const std::string& name) {
    auto d = deployments_->GetDeployment(name);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? d->cursor : absl::InfinitePast();
  }

  // The deployment's runs, by scheduled time.
  std::vector<StoredRun> Runs(const std::string& deployment_id) {
    pqxx::connection conn(url_);
    pqxx::read_transaction tx(conn);
    std::vector<StoredRun> out;
    for (const auto& row :
         tx.exec_params("SELECT id::text, state, baton_us(scheduled_time) FROM flow_runs"
                        " WHERE deployment_id = $1::uuid ORDER BY scheduled_time, id",
                        deployment_id)) {
      out.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                     absl::FromUnixMicros(row[2].as<int64_t>())});
    }
    return out;
  }

  std::vector<engine::SkippedFire> Skipped(const std::string& deployment_id) {
    auto skipped = schedules_->SkippedFires(deployment_id, 100);
    EXPECT_TRUE(skipped.ok()) << skipped.status();
    return skipped.ok() ? *std::move(skipped) : std::vector<engine::SkippedFire>{};
  }

  void Schedule(const std::string& deployment_id, absl::Duration horizon) {
    absl::Status s = schedules_->ScheduleDeployment(deployment_id, horizon);
    EXPECT_TRUE(s.ok()) << s;
  }

  void Promote(const std::string& run_id) {
    absl::Status s = schedules_->PromoteDueRun(run_id);
    EXPECT_TRUE(s.ok()) << s;
  }

  std::unique_ptr<DeploymentStore> deployments_;
  std::unique_ptr<ScheduleStore> schedules_;
};

}  // namespace baton::store
