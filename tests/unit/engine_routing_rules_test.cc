#include "gtest/gtest.h"
#include "orchestrator/engine/routing_rules.h"

namespace baton::engine {
namespace {

const ServedRoutes kServed = {{"default", "noop"}, {"default", "etl.load"}, {"io", "exec"}};

TEST(MissingRouteTest, ReadyTaskWhoseHandlerIsServedOnItsQueueWaitsForNothing) {
  EXPECT_EQ(MissingRoute(true, "default", "etl.load", kServed), "");
  EXPECT_EQ(MissingRoute(true, "io", "exec", kServed), "");
}

TEST(MissingRouteTest, ReadyTaskNamesTheHandlerAndQueueNobodyServes) {
  EXPECT_EQ(MissingRoute(true, "default", "etl.extract", kServed),
            "no online worker serves handler \"etl.extract\" on queue \"default\"");
  // Served, but on another queue: the pair is what counts.
  EXPECT_EQ(MissingRoute(true, "default", "exec", kServed),
            "no online worker serves handler \"exec\" on queue \"default\"");
  EXPECT_EQ(MissingRoute(true, "io", "noop", {}),
            "no online worker serves handler \"noop\" on queue \"io\"");
}

TEST(MissingRouteTest, TasksNotReadyWaitForNothingHere) {
  EXPECT_EQ(MissingRoute(false, "default", "etl.extract", kServed), "");
  EXPECT_EQ(MissingRoute(false, "io", "noop", {}), "");
}

}  // namespace
}  // namespace baton::engine
