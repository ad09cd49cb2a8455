// How Baton's gRPC code parses messages: as gRPC does, except that a message
// protobuf refuses is answered with what is wrong and where.
//
// The problem. proto3 `string` fields must hold UTF-8, and protobuf refuses
// to parse a message in which one does not. gRPC C++ parses each request
// before any handler or interceptor sees it, through
// grpc::SerializationTraits<T>::Deserialize, and answers a refusal with
// INTERNAL and an empty message (GenericDeserialize in
// grpcpp/impl/codegen/proto_utils.h): a client that sent bad bytes learns
// nothing, and the code says "our bug" for what is the caller's.
//
// The choice. gRPC looks the parser up through that traits template, so an
// explicit specialization replaces it wherever it is visible. Which T? gRPC
// 1.51's generated code parses every unary message (server requests and
// client answers, sync and callback) as SerializationTraits<
// grpc::protobuf::MessageLite> — RpcMethodHandler's BaseRequestType, which
// keeps template instantiations down — and the request of a streaming RPC
// as SerializationTraits<Request>. Both are specialized here. Each parses
// exactly as gRPC's own, and only when protobuf refuses reads the bytes again
// with the message's descriptor to name the field
// (common/rpc/unparsable_message.h). A request of a baton.v1 RPC is the
// caller's fault: INVALID_ARGUMENT "StartRunRequest.idempotency_key: not
// valid UTF-8 at byte 3; expected UTF-8 text". Any other message (an answer a
// client could not parse) stays INTERNAL, now with the same explanation. No
// handler runs, so nothing is stored. On a good message the cost is one
// reference-counted copy of the buffer (no bytes are copied).
//
// Ruled out: a server interceptor sees a request only after parsing and
// never its bytes; raw-method or generic services would move wire parsing
// into every handler; declaring the fields `bytes` would change the contract
// for every other language's clients; protobuf 3.21 has no per-field switch
// for the UTF-8 check.
//
// What makes it sound: an explicit specialization must be declared before
// its first use in every translation unit, or the program is ill-formed.
// proto/CMakeLists.txt has grpc_cpp_plugin include this header in every
// generated .grpc.pb.h (its `additional_header_includes` option), right after
// the messages, so no code that uses a stub or a service can miss it. The
// request types are listed below; tests/unit/checked_parsing_test.cc fails
// when an RPC's request type is missing, and tests/e2e/bad_input_e2e_test.cc
// sends bad bytes to every RPC of a real orchestrator.
#pragma once

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

// Every request message of the baton.v1 services, by service.
// clang-format off
#define BATON_V1_REQUEST_TYPES(X)                                                          \
  X(RegisterWorkerRequest) X(PollLeasesRequest) X(HeartbeatRequest)                        \
  X(CompleteAttemptRequest) X(AppendLogsRequest) X(DeregisterWorkerRequest)                \
  X(ApplyFlowRequest) X(GetFlowRequest) X(ListFlowsRequest)                                \
  X(StartRunRequest) X(GetRunRequest) X(ListRunsRequest) X(CancelRunRequest)               \
  X(WatchRunRequest) X(StreamRunLogsRequest)                                               \
  X(ListWorkersRequest)                                                                    \
  X(ListBreakersRequest) X(ResetBreakerRequest)                                            \
  X(ApplyDeploymentRequest) X(GetDeploymentRequest) X(ListDeploymentsRequest)              \
  X(PauseDeploymentRequest) X(ResumeDeploymentRequest) X(RunDeploymentRequest)             \
  X(DeleteDeploymentRequest)
// clang-format on

namespace baton::v1 {
#define BATON_DECLARE_REQUEST(Type) class Type;
BATON_V1_REQUEST_TYPES(BATON_DECLARE_REQUEST)
#undef BATON_DECLARE_REQUEST
}  // namespace baton::v1

namespace baton::rpc {

// The full names of the request types above.
inline constexpr const char* kRequestTypes[] = {
#define BATON_REQUEST_NAME(Type) "baton.v1." #Type,
    BATON_V1_REQUEST_TYPES(BATON_REQUEST_NAME)
#undef BATON_REQUEST_NAME
};

// Parses `buffer` into `message` as gRPC does. When protobuf refuses:
// INVALID_ARGUMENT with ExplainUnparsableMessage's text for a type in
// kRequestTypes, INTERNAL with it for any other full protobuf message, and
// gRPC's own status for a lite one. Consumes `buffer`. Thread-safe.
grpc::Status ParseMessage(grpc::ByteBuffer* buffer, grpc::protobuf::MessageLite* message);

// Serializes as gRPC's own traits; parses with ParseMessage.
template <class Message>
class CheckedTraits {
 public:
  static grpc::Status Serialize(const grpc::protobuf::MessageLite& message,
                                grpc::ByteBuffer* buffer, bool* own_buffer) {
    return grpc::GenericSerialize<grpc::ProtoBufferWriter, Message>(message, buffer, own_buffer);
  }
  static grpc::Status Deserialize(grpc::ByteBuffer* buffer, grpc::protobuf::MessageLite* message) {
    return ParseMessage(buffer, message);
  }
};

}  // namespace baton::rpc

namespace grpc {

// Unary calls (the generated code's base message type).
template <>
class SerializationTraits<protobuf::MessageLite, void>
    : public ::baton::rpc::CheckedTraits<protobuf::MessageLite> {};

// Streaming calls name the request type itself.
#define BATON_CHECK_REQUEST(Type)                    \
  template <>                                        \
  class SerializationTraits<::baton::v1::Type, void> \
      : public ::baton::rpc::CheckedTraits<::baton::v1::Type> {};
BATON_V1_REQUEST_TYPES(BATON_CHECK_REQUEST)
#undef BATON_CHECK_REQUEST

}  // namespace grpc
