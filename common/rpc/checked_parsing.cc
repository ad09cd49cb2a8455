#include "common/rpc/checked_parsing.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>
#include <iterator>
#include <string>

#include "common/rpc/unparsable_message.h"

namespace baton::rpc {
namespace {

bool IsRequestType(const google::protobuf::Descriptor& type) {
  return std::any_of(std::begin(kRequestTypes), std::end(kRequestTypes),
                     [&](const char* name) { return type.full_name() == name; });
}

}  // namespace

grpc::Status ParseMessage(grpc::ByteBuffer* buffer, grpc::protobuf::MessageLite* message) {
  using grpc::protobuf::MessageLite;
  auto* full = dynamic_cast<google::protobuf::Message*>(message);
  if (buffer == nullptr || !buffer->Valid() || full == nullptr) {
    return grpc::GenericDeserialize<grpc::ProtoBufferReader, MessageLite>(buffer, message);
  }
  // Shares the slices: read again only when parsing fails.
  grpc::ByteBuffer kept(*buffer);
  grpc::Status parsed =
      grpc::GenericDeserialize<grpc::ProtoBufferReader, MessageLite>(buffer, message);
  if (parsed.ok() || parsed.error_code() != grpc::StatusCode::INTERNAL) return parsed;
  grpc::ProtoBufferReader reader(&kept);
  if (!reader.status().ok()) return parsed;
  const google::protobuf::Descriptor& type = *full->GetDescriptor();
  const absl::Status why = ExplainUnparsableMessage(type, &reader);
  return grpc::Status(
      IsRequestType(type) ? grpc::StatusCode::INVALID_ARGUMENT : grpc::StatusCode::INTERNAL,
      std::string(why.message()));
}

}  // namespace baton::rpc
