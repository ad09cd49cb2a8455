#include "tests/support/grpc_health.h"

#include "common/rpc/grpc_status.h"
#include "common/rpc/health_check.h"

namespace baton::testing {

std::string ToString(Health h) {
  switch (h) {
    case Health::kUnknown:
      return "UNKNOWN";
    case Health::kServing:
      return "SERVING";
    case Health::kNotServing:
      return "NOT_SERVING";
    case Health::kCallFailed:
      return "call failed";
  }
  return "?";
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) { return rpc::ByteBufferToString(buffer); }

HealthAnswer CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service) {
  HealthAnswer answer;
  absl::StatusOr<rpc::ServingStatus> serving = rpc::CheckHealth(channel, service, absl::Seconds(2));
  answer.status = rpc::ToGrpcStatus(serving.status());
  if (serving.ok()) answer.health = static_cast<Health>(*serving);
  return answer;
}

}  // namespace baton::testing
