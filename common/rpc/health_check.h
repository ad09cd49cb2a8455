// The standard gRPC health check (grpc.health.v1.Health/Check) as a client:
// `baton health`, container health checks and tests. Debian ships no client
// stubs for it, so its two small messages are encoded on the wire here.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace grpc {
class ByteBuffer;
class Channel;
}  // namespace grpc

namespace baton::rpc {

// grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

// "SERVING", "NOT_SERVING", ...
absl::string_view ServingStatusName(ServingStatus status);

// Asks the server behind `channel` about `service` ("" for the whole server),
// waiting at most `timeout`. The call's own failure (UNAVAILABLE, NOT_FOUND for
// a service the server does not know, DEADLINE_EXCEEDED) is the error.
absl::StatusOr<ServingStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                          const std::string& service, absl::Duration timeout);

// The bytes of a message received through a generic stub.
std::string ByteBufferToString(const grpc::ByteBuffer& buffer);

}  // namespace baton::rpc
