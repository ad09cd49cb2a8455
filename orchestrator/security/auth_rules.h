// Who may call what: the bearer-token rules of the orchestrator's gRPC
// server, as pure functions (no gRPC, no I/O). Thread-safe.
//
//   grpc.health.v1.Health/*                  open (load balancers, probes)
//   baton.v1.WorkerService/*                 the worker token
//   every other method (the operator APIs    the operator token
//   FlowService, RunService, ClusterService,
//   BreakerService, DeploymentService, and
//   server reflection)
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace baton::auth {

enum class Access { kOpen, kWorker, kOperator };

// The access a method needs, by its full path ("/baton.v1.RunService/GetRun").
// Unknown methods need the operator token.
Access AccessFor(absl::string_view method_path);

// Equality whose time depends on the lengths only, not on where the first
// difference is.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

struct Tokens {
  std::string worker;
  std::string operator_token;
  bool enabled() const { return !worker.empty() || !operator_token.empty(); }
};

// OK when both tokens are set, or neither; both at least 16 characters and
// different from each other. INVALID_ARGUMENT otherwise; messages never hold
// a token.
absl::Status ValidateTokens(const Tokens& tokens);

// Decides one call: `authorization` holds the values of its "authorization"
// headers. OK when tokens are off, the method is open, or the call carries
// the right token; UNAUTHENTICATED when it carries none, several, or one that
// matches no token; PERMISSION_DENIED for the worker token on an operator
// method or the operator token on a worker method.
absl::Status CheckCall(const Tokens& tokens, absl::string_view method_path,
                       const std::vector<absl::string_view>& authorization);

}  // namespace baton::auth
