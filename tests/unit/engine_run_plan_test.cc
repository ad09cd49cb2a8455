// Pure tests of PlanRun: a parsed flow spec and run parameters become the
// rows of a new run.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/spec/flow.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestrator/engine/run_plan.h"
#include "orchestrator/engine/run_rules.h"

namespace baton::engine {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Tasks are listed out of dependency order on purpose.
constexpr char kEtl[] = R"yaml(name: etl
parameters:
  items: {default: [1, 2, 3]}
  source: {required: true}
  verbose: {default: false}
tasks:
  - name: load
    handler: etl.load
    depends_on: [transform]
    queue: io
  - name: extract
    handler: etl.extract
    config: {batch: 10}
  - name: transform
    handler: etl.transform
    depends_on: [extract]
  - name: report
    handler: etl.report
    depends_on: [extract]
)yaml";

FlowSpec Parse(absl::string_view yaml) {
  absl::StatusOr<FlowSpec> spec = ParseFlowSpec(yaml, "test.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *std::move(spec) : FlowSpec{};
}

std::vector<std::string> Names(const RunPlan& plan) {
  std::vector<std::string> names;
  for (const PlannedTask& t : plan.tasks) names.push_back(t.name);
  return names;
}

TEST(PlanRunTest, TasksComeInDependencyOrderTiesInFileOrder) {
  absl::StatusOr<RunPlan> plan = PlanRun(Parse(kEtl), 3, {{"source", "s3"}}, "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Names(*plan), ElementsAre("extract", "transform", "load", "report"));
}

TEST(PlanRunTest, TasksCarryHandlerQueueConfigAndDependencies) {
  absl::StatusOr<RunPlan> plan = PlanRun(Parse(kEtl), 3, {{"source", "s3"}}, "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const PlannedTask& extract = plan->tasks[0];
  EXPECT_EQ(extract.handler, "etl.extract");
  EXPECT_EQ(extract.queue, "default");
  EXPECT_EQ(extract.config, json({{"batch", 10}}));
  EXPECT_THAT(extract.depends_on, IsEmpty());
  const PlannedTask& load = plan->tasks[2];
  EXPECT_EQ(load.handler, "etl.load");
  EXPECT_EQ(load.queue, "io");
  EXPECT_EQ(load.config, json::object());
  EXPECT_THAT(load.depends_on, ElementsAre("transform"));
}

TEST(PlanRunTest, CopiesFlowIdentityAndIdempotencyKey) {
  absl::StatusOr<RunPlan> plan = PlanRun(Parse(kEtl), 7, {{"source", "s3"}}, "nightly-2026-01-01");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->flow_name, "etl");
  EXPECT_EQ(plan->flow_version, 7);
  EXPECT_EQ(plan->idempotency_key, "nightly-2026-01-01");
}

TEST(PlanRunTest, DefaultsAreAppliedAndGivenValuesWin) {
  absl::StatusOr<RunPlan> plan = PlanRun(Parse(kEtl), 1, {{"source", "s3"}, {"verbose", true}}, "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->parameters, json({{"items", {1, 2, 3}}, {"source", "s3"}, {"verbose", true}}));
}

TEST(PlanRunTest, FlowWithoutParametersAcceptsNullOrEmptyObject) {
  const FlowSpec spec = Parse("name: f\ntasks:\n  - {name: a, handler: noop}\n");
  for (const json& given : {json(), json::object()}) {
    absl::StatusOr<RunPlan> plan = PlanRun(spec, 1, given, "");
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_EQ(plan->parameters, json::object());
  }
}

TEST(PlanRunTest, UnknownParameterIsInvalidArgumentNamingIt) {
  absl::StatusOr<RunPlan> plan = PlanRun(Parse(kEtl), 1, {{"source", "s3"}, {"sauce", "x"}}, "");
  ASSERT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("unknown parameter \"sauce\""));
  EXPECT_THAT(plan.status().message(), HasSubstr("parameters.sauce"));
}

TEST(PlanRunTest, MissingRequiredParameterIsInvalidArgument) {
  absl::StatusOr<RunPlan> plan = PlanRun(Parse(kEtl), 1, json::object(), "");
  ASSERT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("missing required parameter \"source\""));
}

TEST(PlanRunTest, ParametersThatAreNotAnObjectAreInvalidArgument) {
  EXPECT_EQ(PlanRun(Parse(kEtl), 1, json::array({1}), "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PlanRunTest, ParametersLargerThanTheBoundAreInvalidArgument) {
  std::string yaml = "name: big\nparameters:\n";
  json given = json::object();
  for (int i = 0; i < 5; ++i) {  // each value under its own bound, together over the total
    absl::StrAppend(&yaml, "  p", i, ": {description: big}\n");
    given[absl::StrCat("p", i)] = std::string(60 * 1024, 'x');
  }
  absl::StrAppend(&yaml, "tasks:\n  - {name: a, handler: noop}\n");
  ASSERT_GT(given.dump().size(), kMaxParametersBytes);
  absl::StatusOr<RunPlan> plan = PlanRun(Parse(yaml), 1, given, "");
  ASSERT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("parameters: larger than"));
}

TEST(PlanRunTest, ParameterHoldingANulCharacterIsInvalidArgument) {
  absl::StatusOr<RunPlan> plan = PlanRun(Parse(kEtl), 1, {{"source", std::string("s3\0x", 4)}}, "");
  ASSERT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("parameters.source"));
}

TEST(PlanRunTest, IdempotencyKeyAtTheBoundIsAccepted) {
  const std::string key(kMaxIdempotencyKeyLength, 'k');
  absl::StatusOr<RunPlan> plan = PlanRun(Parse(kEtl), 1, {{"source", "s3"}}, key);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->idempotency_key, key);
}

TEST(PlanRunTest, IdempotencyKeyTooLongIsInvalidArgument) {
  const std::string key(kMaxIdempotencyKeyLength + 1, 'k');
  absl::StatusOr<RunPlan> plan = PlanRun(Parse(kEtl), 1, {{"source", "s3"}}, key);
  ASSERT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(plan.status().message(),
            absl::StrCat("idempotency_key: ", kMaxIdempotencyKeyLength + 1,
                         " characters; expected at most ", kMaxIdempotencyKeyLength));
}

TEST(PlanRunTest, ResultTasksAreTheSinksByDefault) {
  absl::StatusOr<RunPlan> plan = PlanRun(Parse(kEtl), 1, {{"source", "s3"}}, "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->result_tasks, ElementsAre("load", "report"));
}

TEST(PlanRunTest, ResultTaskNamedByTheFlowIsTheOnlyOne) {
  const std::string yaml = absl::StrCat(kEtl, "result: transform\n");
  absl::StatusOr<RunPlan> plan = PlanRun(Parse(yaml), 1, {{"source", "s3"}}, "");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->result_tasks, ElementsAre("transform"));
}

}  // namespace
}  // namespace baton::engine
