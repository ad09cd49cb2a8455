#include "orchestrator/security/auth_rules.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace baton::auth {
namespace {

constexpr size_t kMinTokenLength = 16;
constexpr absl::string_view kBearer = "Bearer ";

enum class Role { kNone, kWorker, kOperator };

// Compares against both tokens whatever the first answer, so that the time
// does not tell which one came close.
Role RoleOf(const Tokens& tokens, absl::string_view presented) {
  const bool worker = ConstantTimeEquals(presented, tokens.worker);
  const bool op = ConstantTimeEquals(presented, tokens.operator_token);
  if (worker) return Role::kWorker;
  if (op) return Role::kOperator;
  return Role::kNone;
}

}  // namespace

Access AccessFor(absl::string_view method_path) {
  if (absl::StartsWith(method_path, "/grpc.health.v1.Health/")) return Access::kOpen;
  if (absl::StartsWith(method_path, "/baton.v1.WorkerService/")) return Access::kWorker;
  return Access::kOperator;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = diff | (x ^ y);
  }
  return diff == 0;
}

absl::Status ValidateTokens(const Tokens& tokens) {
  if (!tokens.enabled()) return absl::OkStatus();
  if (tokens.worker.empty() || tokens.operator_token.empty()) {
    return absl::InvalidArgumentError(
        "bearer tokens: set both the worker token and the operator token, or neither");
  }
  if (tokens.worker.size() < kMinTokenLength || tokens.operator_token.size() < kMinTokenLength) {
    return absl::InvalidArgumentError(absl::StrCat("bearer tokens: each must be at least ",
                                                   kMinTokenLength,
                                                   " characters (e.g. `openssl rand -hex 32`)"));
  }
  if (ConstantTimeEquals(tokens.worker, tokens.operator_token)) {
    return absl::InvalidArgumentError("bearer tokens: the worker and operator tokens must differ");
  }
  return absl::OkStatus();
}

absl::Status CheckCall(const Tokens& tokens, absl::string_view method_path,
                       const std::vector<absl::string_view>& authorization) {
  const Access access = AccessFor(method_path);
  if (!tokens.enabled() || access == Access::kOpen) return absl::OkStatus();
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat(method_path, ": no bearer token (authorization: Bearer <token>)"));
  }
  absl::string_view presented = authorization.front();
  if (authorization.size() > 1 || !absl::ConsumePrefix(&presented, kBearer)) {
    return absl::UnauthenticatedError(
        absl::StrCat(method_path, ": expected one header \"authorization: Bearer <token>\""));
  }
  const Role role = RoleOf(tokens, presented);
  if (role == Role::kNone) {
    return absl::UnauthenticatedError(absl::StrCat(method_path, ": the bearer token is not valid"));
  }
  if (access == Access::kWorker && role != Role::kWorker) {
    return absl::PermissionDeniedError(
        absl::StrCat(method_path, ": needs the worker token; the operator token cannot poll"));
  }
  if (access == Access::kOperator && role != Role::kOperator) {
    return absl::PermissionDeniedError(
        absl::StrCat(method_path, ": needs the operator token; a worker token cannot call it"));
  }
  return absl::OkStatus();
}

}  // namespace baton::auth
