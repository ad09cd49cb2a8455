// The parser gRPC uses for Baton's messages (common/rpc/checked_parsing.h):
// every RPC's request type has it, it parses good bytes as gRPC's own does,
// and it answers bad ones with INVALID_ARGUMENT naming the field path (a bad
// answer, which is not the caller's fault, with INTERNAL and the same text).
#include "common/rpc/checked_parsing.h"

#include <google/protobuf/descriptor.h>

#include <set>
#include <string>

#include "baton/v1/breaker_service.grpc.pb.h"
#include "baton/v1/cluster_service.grpc.pb.h"
#include "baton/v1/deployment_service.grpc.pb.h"
#include "baton/v1/flow_service.grpc.pb.h"
#include "baton/v1/run_service.grpc.pb.h"
#include "baton/v1/worker_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::rpc {
namespace {

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// Wire bytes: a length-delimited field, and a varint field.
std::string Field(int number, const std::string& bytes) {
  return std::string(1, static_cast<char>(number << 3 | 2)) +
         std::string(1, static_cast<char>(bytes.size())) + bytes;
}
std::string IntField(int number, int value) {
  return std::string(1, static_cast<char>(number << 3)) + std::string(1, static_cast<char>(value));
}

// As a unary handler parses (through the base type), and as a streaming one.
template <class Message>
grpc::Status Parse(const std::string& bytes, Message* message) {
  grpc::ByteBuffer unary = Buffer(bytes);
  grpc::Status s =
      grpc::SerializationTraits<grpc::protobuf::MessageLite>::Deserialize(&unary, message);
  grpc::ByteBuffer streaming = Buffer(bytes);
  Message again;
  grpc::Status t = grpc::SerializationTraits<Message>::Deserialize(&streaming, &again);
  EXPECT_EQ(s.error_code(), t.error_code());
  EXPECT_EQ(s.error_message(), t.error_message());
  return s;
}

TEST(CheckedRequests, EveryRpcOfEveryServiceTakesACheckedRequestType) {
  const std::set<std::string> checked(std::begin(kRequestTypes), std::end(kRequestTypes));
  // One message of each .proto file with services links the file in.
  const std::set<const google::protobuf::FileDescriptor*> files = {
      v1::RegisterWorkerRequest::descriptor()->file(),
      v1::ApplyFlowRequest::descriptor()->file(),
      v1::StartRunRequest::descriptor()->file(),
      v1::ListWorkersRequest::descriptor()->file(),
      v1::ListBreakersRequest::descriptor()->file(),
      v1::ApplyDeploymentRequest::descriptor()->file()};
  int methods = 0;
  for (const google::protobuf::FileDescriptor* file : files) {
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) {
        const google::protobuf::MethodDescriptor& method = *file->service(s)->method(m);
        EXPECT_EQ(checked.count(method.input_type()->full_name()), 1)
            << method.full_name() << ": add " << method.input_type()->name()
            << " to BATON_V1_REQUEST_TYPES";
        ++methods;
      }
    }
  }
  EXPECT_EQ(methods, static_cast<int>(checked.size()));  // one request type per RPC today
}

TEST(CheckedRequests, GoodBytesParseAsUsual) {
  v1::StartRunRequest request;
  grpc::Status s = Parse(Field(1, "etl") + IntField(2, 3) + Field(4, "k\xc3\xa9y"), &request);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(request.flow_name(), "etl");
  EXPECT_EQ(request.flow_version(), 3);
  EXPECT_EQ(request.idempotency_key(), "k\xc3\xa9y");
}

TEST(CheckedRequests, BadUtf8NamesTheFieldPath) {
  v1::StartRunRequest start;
  grpc::Status s = Parse(Field(1, "etl") + Field(4, "abc\xff"), &start);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "StartRunRequest.idempotency_key: not valid UTF-8 at byte 3; expected UTF-8 text");

  const std::string attempt = IntField(1, 7) + IntField(2, 1) + Field(3, "token");
  v1::AppendLogsRequest logs;
  s = Parse(Field(1, "w") + Field(2, Field(1, attempt) + Field(2, Field(4, "fine")) +
                                         Field(2, Field(2, "std\xff"))),
            &logs);
  EXPECT_EQ(s.error_message(),
            "AppendLogsRequest.attempts[0].lines[1].stream: not valid UTF-8 at byte 3; expected "
            "UTF-8 text");

  v1::RegisterWorkerRequest worker;
  s = Parse(
      Field(3, Field(1, "a") + Field(2, "b")) + Field(3, Field(1, "zo\xffne") + Field(2, "x")),
      &worker);
  EXPECT_EQ(s.error_message(),
            "RegisterWorkerRequest.labels[1].key: not valid UTF-8 at byte 2; expected UTF-8 text");
  s = Parse(Field(3, Field(2, "eu-\xff") + Field(1, "zone")), &worker);
  EXPECT_EQ(s.error_message(),
            "RegisterWorkerRequest.labels[\"zone\"]: not valid UTF-8 at byte 3; expected UTF-8 "
            "text");
}

TEST(CheckedRequests, AnAnswerThatCannotBeParsedIsInternalWithTheSameExplanation) {
  v1::RunEvent event;
  grpc::ByteBuffer buffer = Buffer(Field(3, Field(1, "run-\xff")));  // run.id
  grpc::Status s =
      grpc::SerializationTraits<grpc::protobuf::MessageLite>::Deserialize(&buffer, &event);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(s.error_message(), "RunEvent.run.id: not valid UTF-8 at byte 4; expected UTF-8 text");
}

TEST(CheckedRequests, MalformedBytesAreInvalidArgumentToo) {
  v1::GetRunRequest request;
  grpc::Status s = Parse(std::string("\x0a\x10short"), &request);  // length past the end
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "GetRunRequest: malformed protobuf message (at run_id); expected a serialized "
            "baton.v1.GetRunRequest");
}

}  // namespace
}  // namespace baton::rpc
