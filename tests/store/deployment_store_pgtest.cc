// DeploymentStore against a real PostgreSQL: applying (create, replace,
// unchanged), reading and listing, pausing and resuming, deleting, unknown
// names, and what each does to the deployment's scheduled runs.
#include <algorithm>

#include "common/base/uuid.h"
#include "tests/store/deployment_test_base.h"

namespace baton::store {
namespace {

using model::FlowRunState;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kEveryMinute[] =
    "name: hourly\nflow: nightly\nparameters: {n: 2}\ntags: [week-10]\nwork_queue: etl\n"
    "late_after: 1h\nschedules:\n  - interval: 1m\n";

std::vector<std::string> StatesOf(const std::vector<StoredRun>& runs) {
  std::vector<std::string> out;
  for (const StoredRun& r : runs) out.push_back(r.state);
  return out;
}

class DeploymentStoreTest : public DeploymentStoreTestBase {
 protected:
  void SetUp() override {
    DeploymentStoreTestBase::SetUp();
    ApplyFlowYaml(kOneTaskFlow);
  }

  // Applies kEveryMinute with its cursor 2.5 min back, schedules 3 min ahead
  // and starts the oldest due run: one PENDING run and the rest SCHEDULED.
  DeploymentRecord WithOneStartedRun() {
    DeploymentRecord d = ApplyDeploymentYaml(kEveryMinute);
    SetCursor(d.id, d.cursor - absl::Seconds(150));
    Schedule(d.id, absl::Minutes(3));
    std::vector<StoredRun> runs = Runs(d.id);
    EXPECT_GE(runs.size(), 5u);
    if (runs.empty()) return d;
    Promote(runs[0].id);
    EXPECT_EQ(Runs(d.id)[0].state, "PENDING");
    return d;
  }

  int64_t ScheduledRunsOf(const std::string& deployment_id) {
    return Count(absl::StrCat("SELECT count(*) FROM flow_runs WHERE state = 'SCHEDULED'",
                              " AND deployment_id = '", deployment_id, "'"));
  }

  std::vector<std::string> ActiveDeployments() {
    auto ids = schedules_->ActiveDeployments();
    EXPECT_TRUE(ids.ok()) << ids.status();
    return ids.ok() ? *std::move(ids) : std::vector<std::string>{};
  }
};

TEST_F(DeploymentStoreTest, ApplyCreatesThenReplacesUnderTheSameId) {
  const absl::Time before = absl::Now() - absl::Seconds(5);
  DeploymentRecord created = ApplyDeploymentYaml(kEveryMinute, /*expect_created=*/true);
  EXPECT_TRUE(IsUuid(created.id)) << created.id;
  EXPECT_EQ(created.spec.name, "hourly");
  EXPECT_EQ(created.spec.flow, "nightly");
  EXPECT_EQ(created.spec.parameters, nlohmann::json({{"n", 2}}));
  EXPECT_THAT(created.spec.tags, ElementsAre("week-10"));
  EXPECT_EQ(created.spec.work_queue, "etl");
  ASSERT_THAT(created.spec.schedules, SizeIs(1));
  EXPECT_EQ(created.spec.schedules[0].interval, absl::Minutes(1));
  EXPECT_FALSE(created.paused);
  EXPECT_GT(created.cursor, before);  // a new schedule starts now
  EXPECT_LT(created.cursor, absl::Now() + absl::Seconds(5));
  EXPECT_GT(created.created_at, before);

  // The same spec again: not created, nothing moves.
  DeploymentRecord same = ApplyDeploymentYaml(kEveryMinute, /*expect_created=*/false);
  EXPECT_EQ(same.id, created.id);
  EXPECT_EQ(same.created_at, created.created_at);
  EXPECT_EQ(same.cursor, created.cursor);
  EXPECT_EQ(DeploymentSpecToJson(same.spec), DeploymentSpecToJson(created.spec));

  // A changed spec replaces the stored one under the same id.
  std::string changed(kEveryMinute);
  changed.replace(changed.find("{n: 2}"), 6, "{n: 3}");
  DeploymentRecord replaced = ApplyDeploymentYaml(changed, /*expect_created=*/false);
  EXPECT_EQ(replaced.id, created.id);
  EXPECT_EQ(replaced.spec.parameters, nlohmann::json({{"n", 3}}));
  EXPECT_EQ(replaced.created_at, created.created_at);
  EXPECT_GE(replaced.updated_at, created.updated_at);
  auto got = deployments_->GetDeployment("hourly");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->spec.parameters, nlohmann::json({{"n", 3}}));
  EXPECT_EQ(Count("SELECT count(*) FROM deployments"), 1);
}

TEST_F(DeploymentStoreTest, ReplacingPlansUnstartedRunsAgainAndKeepsStartedOnes) {
  DeploymentRecord d = WithOneStartedRun();
  const std::vector<StoredRun> before = Runs(d.id);
  ASSERT_GE(before.size(), 5u);

  std::string changed(kEveryMinute);
  changed.replace(changed.find("{n: 2}"), 6, "{n: 3}");
  DeploymentRecord replaced = ApplyDeploymentYaml(changed, /*expect_created=*/false);
  std::vector<StoredRun> after = Runs(d.id);
  ASSERT_THAT(after, SizeIs(1));  // only the started run is left
  EXPECT_EQ(after[0].id, before[0].id);
  EXPECT_EQ(after[0].state, "PENDING");
  EXPECT_EQ(GetRun(before[0].id).parameters, nlohmann::json({{"n", 2}}));
  // The cursor goes back to just before the first removed fire ...
  EXPECT_EQ(replaced.cursor, before[1].scheduled_time - absl::Microseconds(1));
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM state_transitions WHERE run_id = '",
                               before[1].id, "'")),
            0);

  // ... so the scheduler plans the same fires again, under the new spec.
  Schedule(d.id, absl::Minutes(3));
  std::vector<StoredRun> again = Runs(d.id);
  ASSERT_GE(again.size(), before.size());  // one more if a minute boundary passed
  for (size_t i = 1; i < before.size(); ++i) {
    EXPECT_EQ(again[i].scheduled_time, before[i].scheduled_time);
    EXPECT_NE(again[i].id, before[i].id);
    EXPECT_EQ(GetRun(again[i].id).parameters, nlohmann::json({{"n", 3}}));
  }
}

TEST_F(DeploymentStoreTest, GetAndListByNameAndUnknownNamesAreNotFound) {
  ApplyDeploymentYaml("name: zulu\nflow: nightly\n");
  ApplyDeploymentYaml("name: alpha\nflow: nightly\npaused: true\n");

  auto list = deployments_->ListDeployments();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_THAT(*list, SizeIs(2));
  EXPECT_EQ((*list)[0].spec.name, "alpha");
  EXPECT_TRUE((*list)[0].paused);
  EXPECT_EQ((*list)[1].spec.name, "zulu");
  EXPECT_FALSE((*list)[1].paused);
  EXPECT_THAT(ActiveDeployments(), ElementsAre((*list)[1].id));

  auto unknown = deployments_->GetDeployment("nope");
  EXPECT_TRUE(absl::IsNotFound(unknown.status())) << unknown.status();
  EXPECT_EQ(unknown.status().message(), "deployment \"nope\" does not exist");
  auto paused = deployments_->SetPaused("nope", true);
  EXPECT_TRUE(absl::IsNotFound(paused.status())) << paused.status();
  EXPECT_EQ(paused.status().message(), "deployment \"nope\" does not exist");
  absl::Status deleted = deployments_->DeleteDeployment("nope");
  EXPECT_TRUE(absl::IsNotFound(deleted)) << deleted;
  EXPECT_EQ(deleted.message(), "deployment \"nope\" does not exist");
  EXPECT_EQ(Count("SELECT count(*) FROM deployments"), 2);
}

TEST_F(DeploymentStoreTest, PausingRemovesScheduledRunsAndResumingStartsFromNow) {
  DeploymentRecord d = WithOneStartedRun();
  ASSERT_GT(ScheduledRunsOf(d.id), 0);

  auto paused = deployments_->SetPaused("hourly", true);
  ASSERT_TRUE(paused.ok()) << paused.status();
  EXPECT_TRUE(paused->paused);
  EXPECT_TRUE(paused->spec.paused);
  EXPECT_THAT(StatesOf(Runs(d.id)), ElementsAre("PENDING"));  // the started run stays
  EXPECT_THAT(ActiveDeployments(), IsEmpty());
  Schedule(d.id, absl::Minutes(3));  // a paused deployment is not scheduled
  EXPECT_EQ(ScheduledRunsOf(d.id), 0);
  // Pausing twice is no error.
  auto again = deployments_->SetPaused("hourly", true);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->paused);

  const absl::Time resumed_at = absl::Now();
  auto resumed = deployments_->SetPaused("hourly", false);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_FALSE(resumed->paused);
  EXPECT_FALSE(resumed->spec.paused);
  EXPECT_GT(resumed->cursor, resumed_at - absl::Seconds(1));  // fires while paused are not run
  EXPECT_THAT(ActiveDeployments(), ElementsAre(d.id));
  Schedule(d.id, absl::Minutes(2));
  std::vector<StoredRun> runs = Runs(d.id);
  ASSERT_GE(runs.size(), 3u);
  EXPECT_EQ(runs[0].state, "PENDING");
  for (size_t i = 1; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].state, "SCHEDULED");
    EXPECT_GT(runs[i].scheduled_time, resumed->cursor);
  }
  EXPECT_THAT(Skipped(d.id), IsEmpty());
}

TEST_F(DeploymentStoreTest, ApplyingAPausedSpecPausesAndAnUnpausedOneResumesFromNow) {
  std::string paused_yaml(kEveryMinute);
  paused_yaml += "paused: true\n";
  DeploymentRecord d = ApplyDeploymentYaml(kEveryMinute);
  SetCursor(d.id, d.cursor - absl::Hours(1));
  DeploymentRecord paused = ApplyDeploymentYaml(paused_yaml, /*expect_created=*/false);
  EXPECT_TRUE(paused.paused);
  EXPECT_EQ(paused.cursor, d.cursor - absl::Hours(1));
  const absl::Time resumed_at = absl::Now();
  DeploymentRecord resumed = ApplyDeploymentYaml(kEveryMinute, /*expect_created=*/false);
  EXPECT_FALSE(resumed.paused);
  EXPECT_GT(resumed.cursor, resumed_at - absl::Seconds(1));
}

TEST_F(DeploymentStoreTest, DeletingRemovesScheduledRunsAndKeepsStartedOnes) {
  DeploymentRecord d = WithOneStartedRun();
  const std::string started = Runs(d.id)[0].id;
  ASSERT_GT(ScheduledRunsOf(d.id), 0);

  absl::Status deleted = deployments_->DeleteDeployment("hourly");
  ASSERT_TRUE(deleted.ok()) << deleted;
  EXPECT_TRUE(absl::IsNotFound(deployments_->GetDeployment("hourly").status()));
  EXPECT_EQ(Count("SELECT count(*) FROM flow_runs WHERE state = 'SCHEDULED'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM flow_runs"), 1);
  RunRecord kept = GetRun(started);
  EXPECT_EQ(kept.state, FlowRunState::kPending);
  EXPECT_EQ(kept.deployment_id, "");  // the deployment is gone, the history is not
  EXPECT_GT(
      Count(absl::StrCat("SELECT count(*) FROM state_transitions WHERE run_id = '", started, "'")),
      0);
  EXPECT_TRUE(absl::IsNotFound(deployments_->DeleteDeployment("hourly")));

  // The name is free again: a new deployment, a new id, a fresh schedule.
  DeploymentRecord fresh = ApplyDeploymentYaml(kEveryMinute, /*expect_created=*/true);
  EXPECT_NE(fresh.id, d.id);
}

}  // namespace
}  // namespace baton::store
