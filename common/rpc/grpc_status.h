// The one mapping between absl::Status and grpc::Status, used by the
// orchestrator's services and by every client (worker, CLI). Codes map one to
// one (the numeric values agree); the message is kept. Never collapses to
// UNKNOWN unless the source was UNKNOWN.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace baton::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace baton::rpc
