// The orchestrator's bearer-token rules, without gRPC: which token each
// method needs, the error code of each refusal, and the token comparison.
#include "orchestrator/security/auth_rules.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const Tokens kTokens{"worker-0123456789abcdef", "operator-0123456789abcdef"};

absl::Status Call(absl::string_view path, std::vector<absl::string_view> headers) {
  return CheckCall(kTokens, path, headers);
}

TEST(AccessFor, WorkerApiNeedsTheWorkerTokenAndHealthIsOpen) {
  EXPECT_EQ(AccessFor("/baton.v1.WorkerService/PollLeases"), Access::kWorker);
  EXPECT_EQ(AccessFor("/baton.v1.WorkerService/RegisterWorker"), Access::kWorker);
  EXPECT_EQ(AccessFor("/grpc.health.v1.Health/Check"), Access::kOpen);
  EXPECT_EQ(AccessFor("/grpc.health.v1.Health/Watch"), Access::kOpen);
}

TEST(AccessFor, OperatorApisReflectionAndUnknownMethodsNeedTheOperatorToken) {
  for (const char* path :
       {"/baton.v1.FlowService/ApplyFlow", "/baton.v1.RunService/StartRun",
        "/baton.v1.ClusterService/ListWorkers", "/baton.v1.BreakerService/ResetBreaker",
        "/baton.v1.DeploymentService/ApplyDeployment",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        "/baton.v1.WorkerServiceX/Poll", "/grpc.health.v1.HealthX/Check", "", "/x"}) {
    EXPECT_EQ(AccessFor(path), Access::kOperator) << path;
  }
}

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", ""));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0c", 3), "a"));
}

TEST(CheckCall, RightTokenForTheMethodPasses) {
  EXPECT_TRUE(Call("/baton.v1.WorkerService/PollLeases", {"Bearer worker-0123456789abcdef"}).ok());
  EXPECT_TRUE(Call("/baton.v1.RunService/GetRun", {"Bearer operator-0123456789abcdef"}).ok());
}

TEST(CheckCall, MissingMalformedOrUnknownTokenIsUnauthenticated) {
  const std::string path = "/baton.v1.RunService/GetRun";
  for (const std::vector<absl::string_view>& headers : std::vector<std::vector<absl::string_view>>{
           {},
           {"operator-0123456789abcdef"},  // no "Bearer "
           {"bearer operator-0123456789abcdef"},
           {"Bearer operator-0123456789abcdeX"},
           {"Bearer "},
           {"Bearer operator-0123456789abcdef", "Bearer operator-0123456789abcdef"}}) {
    absl::Status s = Call(path, headers);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
    EXPECT_THAT(s.message(), HasSubstr(path));
    EXPECT_THAT(s.message(), Not(HasSubstr("0123456789abcde"))) << "a token in an error message";
  }
}

TEST(CheckCall, WrongRoleIsPermissionDenied) {
  absl::Status worker_on_operator_api =
      Call("/baton.v1.FlowService/ApplyFlow", {"Bearer worker-0123456789abcdef"});
  EXPECT_EQ(worker_on_operator_api.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(worker_on_operator_api.message(), HasSubstr("needs the operator token"));
  absl::Status operator_on_worker_api =
      Call("/baton.v1.WorkerService/PollLeases", {"Bearer operator-0123456789abcdef"});
  EXPECT_EQ(operator_on_worker_api.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(operator_on_worker_api.message(), HasSubstr("needs the worker token"));
  EXPECT_EQ(Call("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                 {"Bearer worker-0123456789abcdef"})
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CheckCall, HealthIsOpenAndNoTokensMeansNoCheck) {
  EXPECT_TRUE(Call("/grpc.health.v1.Health/Check", {}).ok());
  EXPECT_TRUE(CheckCall(Tokens{}, "/baton.v1.RunService/GetRun", {}).ok());
}

TEST(ValidateTokens, BothOrNeitherLongEnoughAndDifferent) {
  EXPECT_TRUE(ValidateTokens(Tokens{}).ok());
  EXPECT_TRUE(ValidateTokens(kTokens).ok());
  EXPECT_EQ(ValidateTokens(Tokens{"worker-0123456789abcdef", ""}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateTokens(Tokens{"", "operator-0123456789abcdef"}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateTokens(Tokens{"short", "operator-0123456789abcdef"}).code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status same = ValidateTokens(Tokens{"same-0123456789abcdef", "same-0123456789abcdef"});
  EXPECT_EQ(same.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(same.message(), Not(HasSubstr("same-0123456789abcdef")));
}

}  // namespace
}  // namespace baton::auth
