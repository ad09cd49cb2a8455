// Schema migrations against a real PostgreSQL: idempotent, safe when several
// processes apply them at once, and refusing a schema newer than the binary.
#include <algorithm>
#include <thread>

#include "orchestrator/store/migrations.h"
#include "tests/store/store_test_base.h"

namespace baton::store {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class MigrationsTest : public StoreTest {
 protected:
  MigrationsTest() { migrate_ = false; }

  std::vector<int> AllVersions() {
    std::vector<int> versions;
    for (const Migration& m : BuiltinMigrations()) versions.push_back(m.version);
    return versions;
  }
};

TEST_F(MigrationsTest, BuiltinMigrationsAreNumberedInOrderFromOne) {
  const std::vector<Migration>& all = BuiltinMigrations();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().version, 1);
  EXPECT_EQ(all.front().name, "0001_core.sql");
  for (size_t i = 1; i < all.size(); ++i) EXPECT_EQ(all[i].version, all[i - 1].version + 1);
}

TEST_F(MigrationsTest, ApplyingTwiceIsHarmless) {
  auto first = ApplyMigrations(*pool_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, AllVersions());

  auto second = ApplyMigrations(*pool_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(*second, IsEmpty());

  EXPECT_EQ(Count("SELECT count(*) FROM baton_schema_migrations"),
            static_cast<int64_t>(AllVersions().size()));
  EXPECT_THAT(testing::InvariantViolations(url_), IsEmpty());
}

TEST_F(MigrationsTest, ConcurrentAppliesBothSucceedAndApplyEachOnce) {
  // Two "replicas" with pools of their own, starting together.
  PgPoolOptions options;
  options.url = url_;
  options.size = 1;
  auto other_pool = PgPool::Open(options);
  ASSERT_TRUE(other_pool.ok()) << other_pool.status();

  absl::StatusOr<std::vector<int>> a, b;
  std::thread ta([&] { a = ApplyMigrations(*pool_); });
  std::thread tb([&] { b = ApplyMigrations(**other_pool); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();

  // Between them, each migration was applied exactly once.
  std::vector<int> together = *a;
  together.insert(together.end(), b->begin(), b->end());
  std::sort(together.begin(), together.end());
  EXPECT_EQ(together, AllVersions());

  EXPECT_EQ(Count("SELECT count(*) FROM baton_schema_migrations"),
            static_cast<int64_t>(AllVersions().size()));
  EXPECT_EQ(Count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                  " AND tablename IN ('flows', 'flow_runs', 'task_runs', 'attempts', 'workers',"
                  " 'task_edges', 'state_transitions')"),
            7);
  EXPECT_THAT(testing::InvariantViolations(url_), IsEmpty());
}

TEST_F(MigrationsTest, SchemaNewerThanTheBinaryIsRefused) {
  ASSERT_TRUE(ApplyMigrations(*pool_).ok());
  const int newest = AllVersions().back();
  {
    pqxx::connection conn(url_);
    pqxx::work tx(conn);
    tx.exec_params("INSERT INTO baton_schema_migrations (version, name) VALUES ($1, 'future')",
                   newest + 1);
    tx.commit();
  }
  auto again = ApplyMigrations(*pool_);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.status().message(),
              HasSubstr(absl::StrCat("database schema is at migration ", newest + 1)));
}

TEST_F(MigrationsTest, StoresWorkOnAMigratedDatabase) {
  ASSERT_TRUE(ApplyMigrations(*pool_).ok());
  auto flow = ApplyFlowYaml("name: f\ntasks:\n  - {name: a, handler: noop}\n");
  EXPECT_EQ(flow.second.version, 1);
  EXPECT_THAT(ApplyMigrations(*pool_).value(), IsEmpty());
  EXPECT_THAT(flows_->GetFlow("f", 0).value().spec_json.dump(), HasSubstr("noop"));
}

}  // namespace
}  // namespace baton::store
