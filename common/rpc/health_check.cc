#include "common/rpc/health_check.h"

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <vector>

#include "common/rpc/grpc_status.h"

namespace baton::rpc {
namespace {

using ::google::protobuf::UnknownField;
using ::google::protobuf::UnknownFieldSet;

constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";

// HealthCheckResponse.status (field 1); proto3 leaves out a zero value.
ServingStatus StatusOf(const std::string& response) {
  UnknownFieldSet fields;
  if (!fields.ParseFromString(response)) return ServingStatus::kUnknown;
  ServingStatus status = ServingStatus::kUnknown;
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& f = fields.field(i);
    if (f.number() == 1 && f.type() == UnknownField::TYPE_VARINT && f.varint() <= 3) {
      status = static_cast<ServingStatus>(f.varint());
    }
  }
  return status;
}

}  // namespace

std::string ByteBufferToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

absl::string_view ServingStatusName(ServingStatus status) {
  switch (status) {
    case ServingStatus::kUnknown:
      return "UNKNOWN";
    case ServingStatus::kServing:
      return "SERVING";
    case ServingStatus::kNotServing:
      return "NOT_SERVING";
    case ServingStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
  }
  return "UNKNOWN";
}

absl::StatusOr<ServingStatus> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                          const std::string& service, absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  UnknownFieldSet request;
  request.AddLengthDelimited(1, service);  // HealthCheckRequest.service
  std::string request_bytes;
  request.SerializeToString(&request_bytes);
  grpc::Slice slice(request_bytes);
  const grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  // The callback API keeps the connection polled (it answers a server's GOAWAY).
  stub.UnaryCall(&context, kHealthCheck, grpc::StubOptions(), &request_buffer, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return FromGrpcStatus(status);
  return StatusOf(ByteBufferToString(response));
}

}  // namespace baton::rpc
