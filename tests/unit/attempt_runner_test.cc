// What a worker reports for results the orchestrator would refuse: too large,
// or not UTF-8. Pure; no I/O.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/limits.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "worker/attempt_runner.h"

namespace baton::worker {
namespace {

v1::CompleteAttemptRequest Complete(nlohmann::json result) {
  v1::Lease lease;
  lease.set_handler("h");
  lease.set_input_json("{}");
  std::shared_ptr<TaskContext> ctx = MakeContext(lease, absl::Now());
  Handler handler = [result](TaskContext&, const nlohmann::json&)
      -> absl::StatusOr<nlohmann::json> { return result; };
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

}  // namespace
}  // namespace baton::worker
