// The bounds of common/base/limits.h as each check applies them: nesting found on
// the text before parsing, flow-file sizes and task counts, run parameters,
// worker results, worker requests and waiting polls. Pure; no I/O.
#include "common/base/limits.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/json_util.h"
#include "common/spec/deployment.h"
#include "common/spec/flow.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestrator/engine/run_rules.h"
#include "orchestrator/service/poll_admission.h"
#include "orchestrator/service/worker_request_checks.h"
#include "tests/unit/flow_spec_test_util.h"

namespace baton {
namespace {

using flow_spec_testing::InvalidMessage;
using flow_spec_testing::ParseError;
using ::testing::HasSubstr;

std::string Nested(int depth, absl::string_view open = "[", absl::string_view close = "]") {
  std::string text;
  for (int i = 0; i < depth; ++i) absl::StrAppend(&text, open);
  for (int i = 0; i < depth; ++i) absl::StrAppend(&text, close);
  return text;
}

// ---- nesting, found on the text ----

TEST(FindExcessNestingTest, AcceptsTheBoundAndNamesTheFirstBracketPastIt) {
  EXPECT_EQ(FindExcessNesting(Nested(kMaxJsonDepth), kMaxJsonDepth, TextSyntax::kJson),
            std::nullopt);
  EXPECT_EQ(FindExcessNesting(Nested(kMaxJsonDepth + 1), kMaxJsonDepth, TextSyntax::kJson),
            size_t{kMaxJsonDepth});
  EXPECT_EQ(FindExcessNesting(R"({"a":{"b":[1]}})", 2, TextSyntax::kJson), size_t{10});
}

TEST(FindExcessNestingTest, SiblingsDoNotAddUp) {
  std::string wide = "[";
  for (int i = 0; i < 1000; ++i) absl::StrAppend(&wide, i ? "," : "", Nested(3));
  absl::StrAppend(&wide, "]");
  EXPECT_EQ(FindExcessNesting(wide, 4, TextSyntax::kJson), std::nullopt);
  EXPECT_NE(FindExcessNesting(wide, 3, TextSyntax::kJson), std::nullopt);
}

TEST(FindExcessNestingTest, BracketsInsideJsonStringsDoNotCount) {
  const std::string text = R"({"a": "[[[[{{{{ \" [[[[", "b": ["\\", "[["]})";
  EXPECT_EQ(FindExcessNesting(text, 2, TextSyntax::kJson), std::nullopt);
  EXPECT_NE(FindExcessNesting(text, 1, TextSyntax::kJson), std::nullopt);
}

TEST(FindExcessNestingTest, YamlQuotesAndCommentsDoNotCount) {
  const std::string text =
      "a: '[[[[ it''s [['   # [[[[[[\n"
      "b: \"{{{{\"\n"
      "c: it's [1, [2]]\n";  // an apostrophe inside a word opens nothing
  EXPECT_EQ(FindExcessNesting(text, 2, TextSyntax::kYaml), std::nullopt);
  EXPECT_EQ(FindExcessNesting(text, 1, TextSyntax::kYaml), text.find("[2]"));
}

TEST(CheckJsonNestingTest, NamesTheFieldAndTheBound) {
  absl::Status s = CheckJsonNesting(Nested(10000), "parameters_json");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), absl::StrCat("parameters_json: nested more than 64 levels deep (at byte "
                                      "64); expected at most 64 levels of arrays and objects"));
}

// ---- run parameters ----

TEST(ParseJsonObjectTest, RefusesDeepNestingBeforeParsing) {
  std::string deep = absl::StrCat("{\"a\":", Nested(10000), "}");
  auto parsed = ParseJsonObject(deep, "parameters_json", kMaxParametersBytes);
  EXPECT_THAT(InvalidMessage(parsed.status()), HasSubstr("nested more than 64 levels"));
  std::string fine = absl::StrCat("{\"a\":", Nested(kMaxJsonDepth - 1), "}");
  EXPECT_TRUE(ParseJsonObject(fine, "parameters_json", kMaxParametersBytes).ok());
}

TEST(ParseJsonObjectTest, RefusesTooManyBytes) {
  std::string big = absl::StrCat("{\"a\":\"", std::string(kMaxParametersBytes, 'x'), "\"}");
  EXPECT_EQ(InvalidMessage(ParseJsonObject(big, "parameters_json", kMaxParametersBytes).status()),
            absl::StrCat("parameters_json: ", big.size(), " bytes; expected at most 262144"));
}

// ---- flow files ----

std::string FlowWithTasks(size_t count) {
  std::string text = "name: big\ntasks:\n";
  for (size_t i = 0; i < count; ++i) absl::StrAppend(&text, "- {name: t", i, ", handler: noop}\n");
  return text;
}

TEST(FlowLimitsTest, TaskCountBoundIsNamed) {
  EXPECT_EQ(ParseFlowSpec(FlowWithTasks(kMaxTasksPerFlow), "flow.yaml").status(), absl::OkStatus());
  EXPECT_EQ(ParseError(FlowWithTasks(kMaxTasksPerFlow + 1)),
            "flow.yaml: tasks (line 3, column 1): 1001 tasks; expected at most 1000");
}

TEST(FlowLimitsTest, HundredThousandTasksAreRefusedByTheFileBound) {
  const std::string text = FlowWithTasks(100000);
  ASSERT_GT(text.size(), kMaxFlowFileBytes);
  EXPECT_EQ(ParseError(text), absl::StrCat("flow.yaml: the file is ", text.size(),
                                           " bytes; expected at most 1048576 bytes"));
}

TEST(FlowLimitsTest, DeeplyNestedFileIsRefusedBeforeYamlParsesIt) {
  const std::string text = absl::StrCat(
      R"({"name": "deep", "tasks": [{"name": "a", "handler": "noop", "config": {"x": )",
      Nested(10000), "}}]}");
  EXPECT_EQ(ParseError(text),
            "flow.yaml (line 1, column 145): the file nests more than 72 levels of [ and {; "
            "expected at most 72 levels");
}

TEST(FlowLimitsTest, ConfigNestedToTheBoundIsAccepted) {
  const std::string text = absl::StrCat(
      R"({"name": "deep", "tasks": [{"name": "a", "handler": "noop", "config": {"x": )",
      Nested(kMaxJsonDepth - 1), "}}]}");
  EXPECT_EQ(ParseFlowSpec(text, "flow.yaml").status(), absl::OkStatus());
}

TEST(FlowLimitsTest, AliasesCannotMultiplyValuesPastTheFlowBound) {
  // Each config is under kMaxTaskConfigBytes; 100 of them are not under
  // kMaxFlowValuesBytes, though the file is small.
  std::string text = "name: aliases\ntasks:\n";
  absl::StrAppend(&text, "- {name: t0, handler: noop, config: &big {s: \"",
                  std::string(kMaxTaskConfigBytes - 100, 'x'), "\"}}\n");
  for (int i = 1; i < 100; ++i) {
    absl::StrAppend(&text, "- {name: t", i, ", handler: noop, config: *big}\n");
  }
  ASSERT_LT(text.size(), kMaxFlowFileBytes);
  EXPECT_THAT(ParseError(text),
              HasSubstr("tasks: task configs and parameter defaults are 6544400 bytes as JSON all "
                        "together; expected at most 4194304 bytes in all"));
}

TEST(DeploymentLimitsTest, DeeplyNestedParametersAreRefusedBeforeYamlParsesThem) {
  const std::string text = absl::StrCat("name: d\nflow: f\nparameters: {x: ", Nested(10000), "}\n");
  EXPECT_THAT(InvalidMessage(ParseDeploymentSpec(text, "deployment.yaml").status()),
              HasSubstr("the file nests more than 72 levels of [ and {"));
}

// ---- worker results ----

TEST(ResultLimitsTest, DeepResultFailsTheAttemptNamingTheBound) {
  engine::ReportedOutcome outcome;
  outcome.succeeded = true;
  outcome.result_json = Nested(100000);
  engine::AttemptDecision d = engine::DecideAttempt(outcome);
  EXPECT_EQ(d.task_state, model::TaskRunState::kFailed);
  EXPECT_THAT(d.error, HasSubstr("result: nested more than 64 levels deep"));
}

// ---- worker requests ----

TEST(WorkerRequestChecksTest, RegistrationFieldsAreBounded) {
  v1::RegisterWorkerRequest r;
  r.set_name("host:1");
  r.set_slots(4);
  EXPECT_EQ(InvalidMessage(service::CheckRegistration(r)),
            "handlers: empty; a worker names the handlers it serves (it is leased only their "
            "tasks)");
  r.add_handlers("noop");
  EXPECT_EQ(service::CheckRegistration(r), absl::OkStatus());
  (*r.mutable_labels())["zone"] = std::string(kMaxLabelValueLength + 1, 'z');
  EXPECT_EQ(InvalidMessage(service::CheckRegistration(r)),
            "labels.zone: 257 bytes; expected at most 256");
  r.mutable_labels()->clear();
  (*r.mutable_labels())["bad key"] = "v";
  EXPECT_THAT(InvalidMessage(service::CheckRegistration(r)),
              HasSubstr("labels: \"bad key\" is not a valid name"));
  r.mutable_labels()->clear();
  for (int i = 0; i <= kMaxLabelsPerWorker; ++i) (*r.mutable_labels())[absl::StrCat("k", i)] = "v";
  EXPECT_EQ(InvalidMessage(service::CheckRegistration(r)),
            "labels: 65 entries; expected at most 64");
  r.mutable_labels()->clear();
  r.add_handlers(std::string(kMaxHandlerNameLength + 1, 'h'));
  EXPECT_EQ(InvalidMessage(service::CheckRegistration(r)),
            "handlers[1]: 129 bytes; expected at most 128");
  r.mutable_handlers()->RemoveLast();
  r.set_name(std::string(kMaxWorkerNameLength + 1, 'n'));
  EXPECT_EQ(InvalidMessage(service::CheckRegistration(r)), "name: 257 bytes; expected at most 256");
}

TEST(WorkerRequestChecksTest, ReportsAreBounded) {
  v1::HeartbeatRequest heartbeat;
  heartbeat.set_worker_id(std::string(kMaxIdLength + 1, 'w'));
  EXPECT_EQ(InvalidMessage(service::CheckHeartbeat(heartbeat)),
            "worker_id: 65 bytes; expected at most 64");
  heartbeat.set_worker_id("w");
  heartbeat.add_attempts()->set_lease_token(std::string(1000, 't'));
  EXPECT_EQ(InvalidMessage(service::CheckHeartbeat(heartbeat)),
            "attempts[0].lease_token: 1000 bytes; expected at most 64");

  v1::CompleteAttemptRequest done;
  EXPECT_EQ(InvalidMessage(service::CheckCompletion(done)),
            "outcome: expected result_json or error to be set");
  done.mutable_error()->set_type(std::string(kMaxErrorTypeLength + 1, 'T'));
  EXPECT_EQ(InvalidMessage(service::CheckCompletion(done)),
            "error.type: 129 bytes; expected at most 128");
  done.mutable_error()->set_type(std::string("Bad\0", 4));
  EXPECT_EQ(InvalidMessage(service::CheckCompletion(done)),
            "error.type: contains the character U+0000 (NUL); expected text without it");
  done.set_result_json("{}");
  EXPECT_EQ(service::CheckCompletion(done), absl::OkStatus());

  v1::PollLeasesRequest poll;
  poll.set_max_leases(kMaxSlotsPerWorker + 1);
  EXPECT_EQ(InvalidMessage(service::CheckPoll(poll)),
            "max_leases: 1025 is out of range; expected 1..1024");
}

// ---- waiting polls ----

TEST(PollAdmissionTest, BoundsPollsPerWorkerAndReleasesOnDestruction) {
  service::PollAdmission admission(/*max_per_worker=*/2, /*max_total=*/10);
  std::vector<service::PollAdmission::Ticket> held;
  for (int i = 0; i < 2; ++i) {
    auto ticket = admission.Admit("w1");
    ASSERT_TRUE(ticket.ok()) << ticket.status();
    held.push_back(*std::move(ticket));
  }
  auto third = admission.Admit("w1");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(third.status().message(),
            "worker w1 already has 2 polls waiting; expected at most 2 at once per worker "
            "(max polls per worker)");
  EXPECT_TRUE(admission.Admit("w2").ok());  // and released at once
  EXPECT_EQ(admission.waiting(), 2);
  held.pop_back();
  EXPECT_EQ(admission.waiting("w1"), 1);
  EXPECT_TRUE(admission.Admit("w1").ok());
  held.clear();
  EXPECT_EQ(admission.waiting(), 0);
}

TEST(PollAdmissionTest, BoundsAllWaitingPolls) {
  service::PollAdmission admission(/*max_per_worker=*/2, /*max_total=*/3);
  std::vector<service::PollAdmission::Ticket> held;
  for (const char* id : {"a", "b", "c"}) held.push_back(*admission.Admit(id));
  auto refused = admission.Admit("d");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("the orchestrator already has 3 polls waiting; expected at most 3"));
  EXPECT_EQ(admission.waiting("d"), 0);
  held.erase(held.begin());
  EXPECT_TRUE(admission.Admit("d").ok());
}

}  // namespace
}  // namespace baton
