// The standard gRPC health check (grpc.health.v1.Health/Check) from tests.
// Debian ships no health client protos, so the call goes through a generic
// stub with the few messages encoded on the wire here (also used for server
// reflection by the health test).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace baton::testing {

// grpc.health.v1.HealthCheckResponse.ServingStatus
enum class Health { kUnknown = 0, kServing = 1, kNotServing = 2, kCallFailed = -1 };

std::string ToString(Health h);

struct HealthAnswer {
  grpc::Status status;
  Health health = Health::kCallFailed;
};

// Checks `service` ("" for the whole server) with a 2 s deadline.
HealthAnswer CheckHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service);

// Wire helpers: a byte buffer from bytes, and back.
grpc::ByteBuffer ToBuffer(const std::string& bytes);
std::string FromBuffer(const grpc::ByteBuffer& buffer);

}  // namespace baton::testing
