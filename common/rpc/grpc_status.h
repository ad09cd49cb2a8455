// The one mapping between absl::Status and grpc::Status, used by the
// orchestrator's services and by every client (worker, CLI). Codes map one to
// one (the numeric values agree); the message is kept. Never collapses to
// UNKNOWN unless the source was UNKNOWN.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "common/base/status_macros.h"

namespace baton::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace baton::rpc

// The status macros of common/base/status_macros.h for a gRPC handler, which
// returns grpc::Status: the error goes back through ToGrpcStatus. (With
// Abseil's macros these become ABSL_RETURN_IF_ERROR(expr).With(ToGrpcStatus).)
#define BATON_RPC_RETURN_IF_ERROR(expr)                     \
  do {                                                      \
    ::absl::Status baton_rpc_status_ = (expr);              \
    if (!baton_rpc_status_.ok()) {                          \
      return ::baton::rpc::ToGrpcStatus(baton_rpc_status_); \
    }                                                       \
  } while (false)

#define BATON_RPC_ASSIGN_OR_RETURN(lhs, expr) \
  BATON_RPC_ASSIGN_OR_RETURN_IMPL_(BATON_CONCAT_(baton_rpc_statusor_, __LINE__), lhs, expr)

#define BATON_RPC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)          \
  auto tmp = (expr);                                              \
  if (!tmp.ok()) return ::baton::rpc::ToGrpcStatus(tmp.status()); \
  lhs = std::move(tmp).value()
