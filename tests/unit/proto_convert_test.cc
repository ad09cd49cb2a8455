// Pure tests of the conversions between engine / store types and wire
// messages. The enum tests guard the ordinal mapping in proto_convert.cc: each
// engine state must land on the proto value of the same name.
#include "orchestrator/service/proto_convert.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::service {
namespace {

using ::testing::ElementsAre;

const std::vector<model::FlowRunState> kAllFlowRunStates = {
    model::FlowRunState::kScheduled, model::FlowRunState::kPending,
    model::FlowRunState::kRunning,   model::FlowRunState::kCompleted,
    model::FlowRunState::kFailed,    model::FlowRunState::kCancelling,
    model::FlowRunState::kCancelled, model::FlowRunState::kTimedOut,
};

const std::vector<model::TaskRunState> kAllTaskRunStates = {
    model::TaskRunState::kPending,   model::TaskRunState::kReady,
    model::TaskRunState::kRunning,   model::TaskRunState::kAwaitingRetry,
    model::TaskRunState::kCompleted, model::TaskRunState::kFailed,
    model::TaskRunState::kCancelled, model::TaskRunState::kTimedOut,
    model::TaskRunState::kSkipped,
};

const std::vector<model::AttemptState> kAllAttemptStates = {
    model::AttemptState::kRunning,     model::AttemptState::kSucceeded,
    model::AttemptState::kFailed,      model::AttemptState::kLeaseExpired,
    model::AttemptState::kTimedOut,    model::AttemptState::kCancelled,
    model::AttemptState::kUndelivered,
};

TEST(ProtoConvertTest, FlowRunStatesMapToTheProtoValueOfTheSameName) {
  for (model::FlowRunState s : kAllFlowRunStates) {
    const v1::FlowRunState wire = ToProto(s);
    ASSERT_TRUE(v1::FlowRunState_IsValid(wire)) << model::Name(s);
    EXPECT_EQ(v1::FlowRunState_Name(wire), absl::StrCat("FLOW_RUN_STATE_", model::Name(s)));
  }
  // Every proto value but UNSPECIFIED has an engine state.
  EXPECT_EQ(v1::FlowRunState_descriptor()->value_count(),
            static_cast<int>(kAllFlowRunStates.size()) + 1);
}

TEST(ProtoConvertTest, TaskRunStatesMapToTheProtoValueOfTheSameName) {
  for (model::TaskRunState s : kAllTaskRunStates) {
    const v1::TaskRunState wire = ToProto(s);
    ASSERT_TRUE(v1::TaskRunState_IsValid(wire)) << model::Name(s);
    EXPECT_EQ(v1::TaskRunState_Name(wire), absl::StrCat("TASK_RUN_STATE_", model::Name(s)));
  }
  EXPECT_EQ(v1::TaskRunState_descriptor()->value_count(),
            static_cast<int>(kAllTaskRunStates.size()) + 1);
}

TEST(ProtoConvertTest, AttemptStatesMapToTheProtoValueOfTheSameName) {
  for (model::AttemptState s : kAllAttemptStates) {
    const v1::AttemptState wire = ToProto(s);
    ASSERT_TRUE(v1::AttemptState_IsValid(wire)) << model::Name(s);
    EXPECT_EQ(v1::AttemptState_Name(wire), absl::StrCat("ATTEMPT_STATE_", model::Name(s)));
  }
  EXPECT_EQ(v1::AttemptState_descriptor()->value_count(),
            static_cast<int>(kAllAttemptStates.size()) + 1);
}

TEST(ProtoConvertTest, FlowRunStateFromProtoInvertsToProto) {
  for (model::FlowRunState s : kAllFlowRunStates) {
    std::optional<model::FlowRunState> back = FromProto(ToProto(s));
    ASSERT_TRUE(back.has_value()) << model::Name(s);
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(FromProto(v1::FLOW_RUN_STATE_UNSPECIFIED).has_value());
}

TEST(ProtoConvertTest, AttemptRefBecomesAClaim) {
  v1::AttemptRef ref;
  ref.set_task_run_id(17);
  ref.set_attempt(2);
  ref.set_lease_token("5b0e8f5e-7a52-4a8e-9d0c-0d5f1f6a1b2c");
  const engine::AttemptClaim claim = FromProto(ref);
  EXPECT_EQ(claim.task_run_id, 17);
  EXPECT_EQ(claim.attempt, 2);
  EXPECT_EQ(claim.lease_token, "5b0e8f5e-7a52-4a8e-9d0c-0d5f1f6a1b2c");
}

TEST(ProtoConvertTest, RunWithTasksAttemptsAndTimes) {
  const absl::Time t0 = absl::FromUnixMicros(1'700'000'000'123'456);
  store::RunRecord run;
  run.id = "0b9c6f1e-2d3a-4c5b-8e7f-112233445566";
  run.flow_name = "etl";
  run.flow_version = 2;
  run.state = model::FlowRunState::kCompleted;
  run.parameters = {{"n", 1}};
  run.result = {{"rows", 3}};
  run.created_at = t0;
  run.started_at = t0 + absl::Seconds(1);
  run.ended_at = t0 + absl::Milliseconds(3500);
  store::TaskRunRecord task;
  task.id = 5;
  task.name = "load";
  task.state = model::TaskRunState::kSkipped;
  task.depends_on = {"extract", "transform"};
  store::AttemptRecord attempt;
  attempt.number = 1;
  attempt.state = model::AttemptState::kLeaseExpired;
  attempt.leased_at = t0;
  task.attempts.push_back(attempt);
  run.tasks.push_back(task);

  v1::Run out;
  ToProto(run, &out);
  EXPECT_EQ(out.id(), run.id);
  EXPECT_EQ(out.state(), v1::FLOW_RUN_STATE_COMPLETED);
  EXPECT_EQ(nlohmann::json::parse(out.parameters_json()), run.parameters);
  EXPECT_EQ(nlohmann::json::parse(out.result_json()), run.result);
  EXPECT_EQ(out.created_at().seconds(), 1'700'000'000);
  EXPECT_EQ(out.created_at().nanos(), 123'456'000);
  EXPECT_EQ(out.duration().seconds(), 2);
  EXPECT_EQ(out.duration().nanos(), 500'000'000);
  ASSERT_EQ(out.tasks_size(), 1);
  EXPECT_EQ(out.tasks(0).state(), v1::TASK_RUN_STATE_SKIPPED);
  EXPECT_THAT(out.tasks(0).depends_on(), ElementsAre("extract", "transform"));
  EXPECT_EQ(out.tasks(0).result_json(), "");    // null result: empty on the wire
  EXPECT_FALSE(out.tasks(0).has_started_at());  // absent times stay unset
  EXPECT_FALSE(out.tasks(0).has_duration());
  ASSERT_EQ(out.tasks(0).attempts_size(), 1);
  EXPECT_EQ(out.tasks(0).attempts(0).state(), v1::ATTEMPT_STATE_LEASE_EXPIRED);
  EXPECT_TRUE(out.tasks(0).attempts(0).has_leased_at());
  EXPECT_FALSE(out.tasks(0).attempts(0).has_ended_at());
}

TEST(ProtoConvertTest, TimesBeforeTheEpochKeepNanosNonNegative) {
  store::RunRecord run;
  run.created_at = absl::FromUnixMicros(-1'500'000);  // 1.5 s before the epoch
  v1::Run out;
  ToProto(run, &out);
  EXPECT_EQ(out.created_at().seconds(), -2);
  EXPECT_EQ(out.created_at().nanos(), 500'000'000);
}

TEST(ProtoConvertTest, WorkerStateFollowsStoppedAndOnline) {
  store::WorkerRecord worker;
  worker.id = "w";
  v1::WorkerInfo info;
  worker.online = true;
  ToProto(worker, &info);
  EXPECT_EQ(info.state(), v1::WorkerInfo::ONLINE);
  worker.online = false;
  ToProto(worker, &info);
  EXPECT_EQ(info.state(), v1::WorkerInfo::LOST);
  worker.stopped_at = absl::Now();
  ToProto(worker, &info);
  EXPECT_EQ(info.state(), v1::WorkerInfo::STOPPED);
}

TEST(ProtoConvertTest, LeaseCarriesTheAttemptRefAndJson) {
  store::LeaseRecord lease;
  lease.task_run_id = 9;
  lease.attempt = 3;
  lease.lease_token = "tok";
  lease.task_name = "load";
  lease.input = {{"params", nlohmann::json::object()}, {"upstream", {{"a", 1}}}};
  lease.config = {{"batch", 10}};
  v1::Lease out;
  ToProto(lease, &out);
  EXPECT_EQ(out.attempt().task_run_id(), 9);
  EXPECT_EQ(out.attempt().attempt(), 3);
  EXPECT_EQ(out.attempt().lease_token(), "tok");
  EXPECT_EQ(out.task_name(), "load");
  EXPECT_EQ(nlohmann::json::parse(out.input_json()), lease.input);
  EXPECT_EQ(nlohmann::json::parse(out.config_json()), lease.config);
}

}  // namespace
}  // namespace baton::service
