// What a worker reports: results the orchestrator would refuse (too large,
// or not UTF-8), and results and errors with the run's secrets masked. Pure;
// no I/O.
#include "worker/attempt_runner.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/limits.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace baton::worker {
namespace {

// The completion of an attempt whose handler returns `result`, in a run
// whose env has TOKEN = "tok-123", a secret.
v1::CompleteAttemptRequest Complete(absl::StatusOr<nlohmann::json> result) {
  v1::Lease lease;
  lease.set_handler("h");
  lease.set_input_json("{}");
  (*lease.mutable_env())["TOKEN"] = "tok-123";
  lease.add_secret_env("TOKEN");
  std::shared_ptr<TaskContext> ctx = MakeContext(lease, absl::Now());
  Handler handler = [result](TaskContext&, const nlohmann::json&) { return result; };
  return RunAttempt(&handler, *ctx, lease, "w1");
}

TEST(AttemptRunnerTest, AResultAtTheBoundIsSent) {
  v1::CompleteAttemptRequest out = Complete(std::string(kMaxResultBytes - 2, 'x'));
  ASSERT_EQ(out.outcome_case(), v1::CompleteAttemptRequest::kResultJson);
  EXPECT_EQ(out.result_json().size(), kMaxResultBytes);
}

TEST(AttemptRunnerTest, AResultOverTheBoundFailsTheAttemptNamingIt) {
  v1::CompleteAttemptRequest out = Complete(std::string(kMaxResultBytes - 1, 'x'));
  ASSERT_EQ(out.outcome_case(), v1::CompleteAttemptRequest::kError);
  EXPECT_EQ(out.error().message(),
            absl::StrCat("result of ", kMaxResultBytes + 1, " bytes exceeds the bound of ",
                         kMaxResultBytes, " bytes"));
  EXPECT_EQ(out.error().type(), "ResultTooLarge");
  EXPECT_TRUE(out.error().non_retryable());
}

TEST(AttemptRunnerTest, AResultThatIsNotUtf8FailsTheAttempt) {
  v1::CompleteAttemptRequest out = Complete(std::string("\xff\xfe"));
  ASSERT_EQ(out.outcome_case(), v1::CompleteAttemptRequest::kError);
  EXPECT_EQ(out.error().type(), "BadResult");
}

TEST(AttemptRunnerTest, TheResultHasTheRunsSecretsMaskedInItsStringsAndKeys) {
  v1::CompleteAttemptRequest out =
      Complete(nlohmann::json{{"token", "tok-123"}, {"deep", {{"tok-123", {"x tok-123 y", 7}}}}});
  ASSERT_EQ(out.outcome_case(), v1::CompleteAttemptRequest::kResultJson);
  EXPECT_EQ(nlohmann::json::parse(out.result_json()),
            nlohmann::json({{"token", "***"}, {"deep", {{"***", {"x *** y", 7}}}}}));
}

TEST(AttemptRunnerTest, TheErrorHasTheRunsSecretsMasked) {
  v1::CompleteAttemptRequest out = Complete(absl::UnavailableError("login tok-123 refused"));
  ASSERT_EQ(out.outcome_case(), v1::CompleteAttemptRequest::kError);
  EXPECT_EQ(out.error().message(), "login *** refused");
}

}  // namespace
}  // namespace baton::worker
