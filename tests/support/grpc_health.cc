#include "tests/support/grpc_health.h"

#include <future>
#include <vector>

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/generic/generic_stub.h>

namespace baton::testing {
namespace {

using ::google::protobuf::UnknownField;
using ::google::protobuf::UnknownFieldSet;

constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";

}  // namespace

std::string ToString(Health h) {
  switch (h) {
    case Health::kUnknown: return "UNKNOWN";
    case Health::kServing: return "SERVING";
    case Health::kNotServing: return "NOT_SERVING";
    case Health::kCallFailed: return "call failed";
  }
  return "?";
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const grpc::Slice& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

HealthAnswer CheckHealth(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  UnknownFieldSet request;
  request.AddLengthDelimited(1, service);  // HealthCheckRequest.service
  std::string request_bytes;
  request.SerializeToString(&request_bytes);
  const grpc::ByteBuffer request_buffer = ToBuffer(request_bytes);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  // The callback API keeps the connection polled (it answers a server's GOAWAY).
  stub.UnaryCall(&context, kHealthCheck, grpc::StubOptions(), &request_buffer, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  HealthAnswer answer;
  answer.status = done.get_future().get();
  if (!answer.status.ok()) return answer;
  answer.health = Health::kUnknown;  // proto3: an absent enum is its zero value
  UnknownFieldSet fields;
  if (!fields.ParseFromString(FromBuffer(response))) return answer;
  for (int i = 0; i < fields.field_count(); ++i) {
    if (fields.field(i).number() == 1 && fields.field(i).type() == UnknownField::TYPE_VARINT) {
      answer.health = static_cast<Health>(fields.field(i).varint());  // .status
    }
  }
  return answer;
}

}  // namespace baton::testing
