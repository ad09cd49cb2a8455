// FlowStore against a real PostgreSQL: versions, reads, and concurrent applies.
#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "orchestrator/store/flow_store.h"
#include "tests/store/store_test_base.h"

namespace baton::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A valid flow named `name` whose single task uses `handler`.
std::string FlowYaml(const std::string& name, const std::string& handler) {
  return absl::StrCat("name: ", name, "\ndescription: about ", name,
                      "\ntasks:\n  - {name: a, handler: ", handler, "}\n");
}

class FlowStoreTest : public StoreTest {
 protected:
  absl::StatusOr<FlowStore::Applied> Apply(const std::string& yaml) {
    absl::StatusOr<FlowSpec> spec = ParseFlowSpec(yaml, "test.yaml");
    if (!spec.ok()) return spec.status();
    return flows_->ApplyFlow(spec->name, spec->description, FlowSpecToJson(*spec));
  }
};

TEST_F(FlowStoreTest, FirstApplyCreatesVersionOne) {
  const absl::Time before = absl::Now() - absl::Seconds(5);
  auto applied = Apply(FlowYaml("etl", "noop"));
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(applied->created);
  EXPECT_EQ(applied->flow.name, "etl");
  EXPECT_EQ(applied->flow.version, 1);
  EXPECT_EQ(applied->flow.description, "about etl");
  EXPECT_EQ(applied->flow.digest.size(), 64u);  // hex sha256
  EXPECT_GT(applied->flow.created_at, before);
  EXPECT_EQ(applied->flow.spec_json["tasks"][0]["handler"], "noop");
}

TEST_F(FlowStoreTest, SameSpecAgainIsNotANewVersion) {
  auto first = Apply(FlowYaml("etl", "noop"));
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = Apply(FlowYaml("etl", "noop"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->flow.version, 1);
  EXPECT_EQ(again->flow.digest, first->flow.digest);
  EXPECT_EQ(Count("SELECT count(*) FROM flows"), 1);
}

TEST_F(FlowStoreTest, ChangedSpecIsTheNextVersion) {
  ASSERT_TRUE(Apply(FlowYaml("etl", "noop")).ok());
  auto changed = Apply(FlowYaml("etl", "sleep"));
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(changed->created);
  EXPECT_EQ(changed->flow.version, 2);
  // Going back to the first spec is a change from the latest: version 3.
  auto back = Apply(FlowYaml("etl", "noop"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->created);
  EXPECT_EQ(back->flow.version, 3);
}

TEST_F(FlowStoreTest, VersionsAreCountedPerFlow) {
  ASSERT_TRUE(Apply(FlowYaml("a", "noop")).ok());
  ASSERT_TRUE(Apply(FlowYaml("a", "sleep")).ok());
  auto b = Apply(FlowYaml("b", "noop"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->flow.version, 1);
}

TEST_F(FlowStoreTest, GetFlowLatestAndSpecificVersion) {
  ASSERT_TRUE(Apply(FlowYaml("etl", "noop")).ok());
  ASSERT_TRUE(Apply(FlowYaml("etl", "sleep")).ok());

  auto latest = flows_->GetFlow("etl", 0);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->spec_json["tasks"][0]["handler"], "sleep");

  auto first = flows_->GetFlow("etl", 1);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->version, 1);
  EXPECT_EQ(first->spec_json["tasks"][0]["handler"], "noop");

  // The store decodes the stored spec: it reads back as the spec applied.
  EXPECT_EQ(first->spec.name, "etl");
  ASSERT_EQ(first->spec.tasks.size(), 1u);
  EXPECT_EQ(first->spec.tasks[0].handler, "noop");
  EXPECT_EQ(FlowSpecToJson(first->spec), first->spec_json);
}

TEST_F(FlowStoreTest, GetFlowMissingIsNotFoundNamingTheFlow) {
  auto missing = flows_->GetFlow("nope", 0);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "flow \"nope\" does not exist");

  ASSERT_TRUE(Apply(FlowYaml("etl", "noop")).ok());
  auto no_version = flows_->GetFlow("etl", 7);
  EXPECT_EQ(no_version.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(no_version.status().message(), "flow \"etl\" has no version 7");
}

TEST_F(FlowStoreTest, ListFlowsReturnsTheLatestVersionOfEachByName) {
  ASSERT_TRUE(Apply(FlowYaml("zeta", "noop")).ok());
  ASSERT_TRUE(Apply(FlowYaml("alpha", "noop")).ok());
  ASSERT_TRUE(Apply(FlowYaml("alpha", "sleep")).ok());
  ASSERT_TRUE(Apply(FlowYaml("alpha", "exec")).ok());

  auto flows = flows_->ListFlows(100);
  ASSERT_TRUE(flows.ok()) << flows.status();
  ASSERT_EQ(flows->size(), 2u);
  EXPECT_EQ((*flows)[0].name, "alpha");
  EXPECT_EQ((*flows)[0].version, 3);
  EXPECT_EQ((*flows)[0].spec.tasks[0].handler, "exec");
  EXPECT_EQ((*flows)[1].name, "zeta");
  EXPECT_EQ((*flows)[1].version, 1);

  auto limited = flows_->ListFlows(1);
  ASSERT_TRUE(limited.ok()) << limited.status();
  ASSERT_EQ(limited->size(), 1u);
  EXPECT_EQ((*limited)[0].name, "alpha");
}

TEST_F(FlowStoreTest, ConcurrentAppliesOfDifferentSpecsGetConsecutiveVersions) {
  constexpr int kThreads = 8;
  std::mutex mu;
  std::vector<int32_t> versions;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto applied = Apply(FlowYaml("etl", absl::StrCat("handler_", i)));
      ASSERT_TRUE(applied.ok()) << applied.status();
      EXPECT_TRUE(applied->created);
      std::lock_guard<std::mutex> lock(mu);
      versions.push_back(applied->flow.version);
    });
  }
  for (auto& t : threads) t.join();
  std::sort(versions.begin(), versions.end());
  EXPECT_THAT(versions, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
  EXPECT_EQ(Count("SELECT count(DISTINCT digest) FROM flows WHERE name = 'etl'"), kThreads);
}

TEST_F(FlowStoreTest, ConcurrentAppliesOfTheSameSpecCreateOneVersion) {
  constexpr int kThreads = 8;
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto applied = Apply(FlowYaml("etl", "noop"));
      ASSERT_TRUE(applied.ok()) << applied.status();
      EXPECT_EQ(applied->flow.version, 1);
      if (applied->created) ++created;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM flows"), 1);
}

}  // namespace
}  // namespace baton::store
