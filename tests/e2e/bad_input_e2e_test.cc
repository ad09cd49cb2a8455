// Bad bytes from outside, against the real binaries. The CLI never aborts:
// invalid UTF-8 in a flag, a parameter or a file, and bad JSON, are refused
// before anything is sent, naming the flag (or the file, line and column),
// the byte and what was expected. The orchestrator, sent invalid UTF-8 in a
// string field of any request by a client of its own (raw wire bytes through
// a generic stub), answers INVALID_ARGUMENT naming the request type and the
// field path rather than INTERNAL with no message. Nothing is stored.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>

#include <future>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "baton/v1/breaker_service.grpc.pb.h"
#include "baton/v1/cluster_service.grpc.pb.h"
#include "baton/v1/deployment_service.grpc.pb.h"
#include "baton/v1/flow_service.grpc.pb.h"
#include "baton/v1/run_service.grpc.pb.h"
#include "baton/v1/worker_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/grpc_health.h"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kFlow[] = R"(name: fine
tasks:
  - {name: only, handler: noop}
)";

// ---- the CLI ----

// A CLI call that was refused: exit 1 (not an abort), one clear message.
void ExpectRefused(const CliResult& result, const std::string& message) {
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_THAT(result.err, HasSubstr(message));
  EXPECT_THAT(result.err, Not(HasSubstr("terminate called")));
}

int RunCount(TestCluster& cluster) {
  CliResult list = cluster.Cli({"-o", "json", "run", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  return static_cast<int>(nlohmann::json::parse(list.out, nullptr, false)
                              .value("runs", nlohmann::json::array())
                              .size());
}

class BadInputEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new TestCluster("bad_input"); }
  static void TearDownTestSuite() { delete cluster_; }
  static TestCluster* cluster_;
};

TestCluster* BadInputEndToEnd::cluster_ = nullptr;

TEST_F(BadInputEndToEnd, CliRefusesFlagsThatAreNotUtf8AndNeverAborts) {
  TestCluster& cluster = *cluster_;
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", cluster.WriteFile("fine.yaml", kFlow)}).exit_code,
            0);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"run", "start", "fine", "-p", "k=\xff"},
       R"(--param "k=\xff": not valid UTF-8 at byte 2; expected UTF-8 text)"},
      {{"run", "start", "fine", "-p", "\xc3=1"},
       R"(--param "\xc3=1": not valid UTF-8 at byte 0; expected UTF-8 text)"},
      {{"run", "start", "fine", "--params-json", "{\"k\": \"\xed\xa0\x80\"}"},
       R"(--params-json "{\"k\": \"\xed\xa0\x80\"}": not valid UTF-8 at byte 7)"},
      {{"run", "start", "f\xffine"}, R"(flow "f\xffine": not valid UTF-8 at byte 1)"},
      {{"run", "start", "fine", "--idempotency-key", "abc\xff"},
       R"(--idempotency-key "abc\xff": not valid UTF-8 at byte 3)"},
      {{"run", "start", "fine", "--correlation-id", "id-\xe2\x82"},
       R"(--correlation-id "id-\xe2\x82": not valid UTF-8 at byte 3)"},
      {{"deployment", "run", "nightly", "-p", "when=\xc0\xaf"},
       R"(--param "when=\xc0\xaf": not valid UTF-8 at byte 5)"},
      {{"run", "cancel", "some-id", "--reason", "\xf5"},
       R"(--reason "\xf5": not valid UTF-8 at byte 0)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args[0] + " " + c.args[1]);
    ExpectRefused(cluster.Cli(c.args), c.message);
  }
  EXPECT_EQ(RunCount(cluster), 0);
}

TEST_F(BadInputEndToEnd, CliRefusesBadJsonParametersWithTheirPosition) {
  TestCluster& cluster = *cluster_;
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", cluster.WriteFile("fine.yaml", kFlow)}).exit_code,
            0);
  ExpectRefused(cluster.Cli({"run", "start", "fine", "--params-json", "{\"k\": "}),
                "--params-json: invalid JSON at byte 7; expected a JSON object");
  ExpectRefused(cluster.Cli({"run", "start", "fine", "--params-json", "[1]"}),
                "--params-json: expected a JSON object, got array");
  ExpectRefused(cluster.Cli({"run", "start", "fine", "-p",
                             "k=" + std::string(100, '[') + std::string(100, ']')}),
                "--param \"k\": nested more than 64 levels deep (at byte 64)");
  EXPECT_EQ(RunCount(cluster), 0);
}

TEST_F(BadInputEndToEnd, CliRefusesFilesThatAreNotUtf8NamingLineAndColumn) {
  TestCluster& cluster = *cluster_;
  const std::string flow = cluster.WriteFile(
      "latin1.yaml", "name: latin1\ntasks:\n  - {name: caf\xe9, handler: noop}\n");
  ExpectRefused(cluster.Cli({"flow", "apply", "-f", flow}),
                "latin1.yaml (line 3, column 15): not valid UTF-8 at byte 34 (0xE9); "
                "expected UTF-8 text");
  const std::string deployment = cluster.WriteFile(
      "latin1-deployment.yaml", "name: nightly\nflow: fine\ndescription: d\xe9j\xe0 vu\n");
  ExpectRefused(cluster.Cli({"deployment", "apply", "-f", deployment}),
                "latin1-deployment.yaml (line 3, column 15): not valid UTF-8 at byte 39 (0xE9)");
  CliResult flows = cluster.Cli({"-o", "json", "flow", "list"});
  EXPECT_THAT(flows.out, Not(HasSubstr("latin1")));
  CliResult deployments = cluster.Cli({"-o", "json", "deployment", "list"});
  EXPECT_THAT(deployments.out, Not(HasSubstr("nightly")));

  // A file whose name is not UTF-8 is read, and sent under a UTF-8 name.
  const std::string odd_name =
      cluster.WriteFile("odd-\xff.yaml", "name: odd\n" + std::string(kFlow).substr(11));
  CliResult applied = cluster.Cli({"flow", "apply", "-f", odd_name});
  EXPECT_EQ(applied.exit_code, 0) << applied.err;
}

// ---- raw requests to the orchestrator ----

std::string Varint(uint64_t value) {
  std::string out;
  do {
    uint8_t byte = value & 0x7F;
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (value != 0);
  return out;
}

// A length-delimited field (string, bytes, message or map entry) on the wire.
std::string Field(int number, const std::string& bytes) {
  return Varint(static_cast<uint64_t>(number) << 3 | 2) + Varint(bytes.size()) + bytes;
}

std::string IntField(int number, uint64_t value) {
  return Varint(static_cast<uint64_t>(number) << 3) + Varint(value);
}

// One unary call with raw request bytes to `method` ("/pkg.Service/Method").
grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& request_bytes) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::ByteBuffer request = ToBuffer(request_bytes);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(s); });
  return done.get_future().get();  // bounded by the call's deadline
}

// Wire bytes of a `type` message whose first string field (depth first, in
// field order) holds invalid UTF-8; empty when `type` has none.
std::string BadFirstString(const google::protobuf::Descriptor& type, int depth = 0) {
  for (int i = 0; i < type.field_count() && depth < 4; ++i) {
    const google::protobuf::FieldDescriptor& field = *type.field(i);
    if (field.type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      return Field(field.number(), "ok\xff");
    }
    if (field.type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      const std::string inner = BadFirstString(*field.message_type(), depth + 1);
      if (!inner.empty()) return Field(field.number(), inner);
    }
  }
  return "";
}

// A registration the orchestrator will never take is not retried forever:
// the worker says why and exits 1.
TEST_F(BadInputEndToEnd, WorkerWithARefusedRegistrationExitsSayingWhy) {
  ChildProcess& worker = cluster_->StartWorker({"--name", "w\xff"});
  const std::optional<int> status = worker.WaitExit(absl::Seconds(15));
  ASSERT_TRUE(status.has_value()) << "still retrying:\n" << worker.Log();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << worker.Log();
  EXPECT_THAT(worker.Log(), HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(worker.Log(), HasSubstr("not valid UTF-8"));
}

TEST_F(BadInputEndToEnd, OrchestratorNamesTheFieldOfInvalidUtf8InAnyRequest) {
  auto channel = grpc::CreateChannel(cluster_->address(), grpc::InsecureChannelCredentials());
  struct Case {
    std::string method;
    std::string bytes;
    std::string message;
  };
  const std::string attempt_ok = IntField(1, 7) + IntField(2, 1) + Field(3, "token");
  const std::vector<Case> cases = {
      {"/baton.v1.RunService/StartRun", Field(1, "fine") + Field(4, "abc\xff"),
       "StartRunRequest.idempotency_key: not valid UTF-8 at byte 3; expected UTF-8 text"},
      {"/baton.v1.RunService/StartRun", Field(1, "\xc3\x28"),
       "StartRunRequest.flow_name: not valid UTF-8 at byte 0; expected UTF-8 text"},
      {"/baton.v1.RunService/StartRun", Field(1, "fine") + Field(5, "corr-\x80"),
       "StartRunRequest.correlation_id: not valid UTF-8 at byte 5; expected UTF-8 text"},
      {"/baton.v1.RunService/StartRun", Field(1, "fine") + Field(3, "{\"k\": \"\xff\"}"),
       "StartRunRequest.parameters_json: not valid UTF-8 at byte 7; expected UTF-8 text"},
      {"/baton.v1.FlowService/ApplyFlow",
       Field(1, "bad.yaml") + Field(2, "name: x\ntasks: [\xe9]\n"),
       "ApplyFlowRequest.content: not valid UTF-8 at byte 16; expected UTF-8 text"},
      {"/baton.v1.DeploymentService/ApplyDeployment", Field(1, "d\xff.yaml"),
       "ApplyDeploymentRequest.source_name: not valid UTF-8 at byte 1; expected UTF-8 text"},
      {"/baton.v1.WorkerService/Heartbeat",
       Field(1, "w") + Field(2, attempt_ok) +
           Field(2, IntField(1, 8) + IntField(2, 1) + Field(3, "to\xffken")),
       "HeartbeatRequest.attempts[1].lease_token: not valid UTF-8 at byte 2; expected UTF-8 "
       "text"},
      {"/baton.v1.WorkerService/RegisterWorker",
       Field(1, "w") + Field(3, Field(1, "zone") + Field(2, "eu-\xff")),
       "RegisterWorkerRequest.labels[\"zone\"]: not valid UTF-8 at byte 3; expected UTF-8 text"},
      {"/baton.v1.WorkerService/CompleteAttempt",
       Field(1, "w") + Field(2, attempt_ok) + Field(4, Field(1, "boom \xff")),
       "CompleteAttemptRequest.error.message: not valid UTF-8 at byte 5; expected UTF-8 text"},
  };
  for (const Case& c : cases) {
    grpc::Status s = RawCall(channel, c.method, c.bytes);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.method << ": " << s.error_message();
    EXPECT_EQ(s.error_message(), c.message) << c.method;
  }

  // Every method of every Baton service answers the same way.
  int checked = 0;
  for (const google::protobuf::FileDescriptor* file :
       {v1::RegisterWorkerRequest::descriptor()->file(), v1::ApplyFlowRequest::descriptor()->file(),
        v1::StartRunRequest::descriptor()->file(), v1::ListWorkersRequest::descriptor()->file(),
        v1::ListBreakersRequest::descriptor()->file(),
        v1::ApplyDeploymentRequest::descriptor()->file()}) {
    ASSERT_EQ(file->service_count(), 1) << file->name();
    const google::protobuf::ServiceDescriptor& service = *file->service(0);
    for (int i = 0; i < service.method_count(); ++i) {
      const google::protobuf::MethodDescriptor& method = *service.method(i);
      const std::string bytes = BadFirstString(*method.input_type());
      if (bytes.empty()) continue;
      grpc::Status s =
          RawCall(channel, absl::StrCat("/", service.full_name(), "/", method.name()), bytes);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method.full_name();
      EXPECT_THAT(s.error_message(), StartsWith(method.input_type()->name() + "."));
      EXPECT_THAT(s.error_message(), HasSubstr(": not valid UTF-8 at byte 2"));
      ++checked;
    }
  }
  EXPECT_GE(checked, 20);

  // Nothing was stored, and the server still answers well-formed calls.
  CliResult flows = cluster_->Cli({"-o", "json", "flow", "list"});
  EXPECT_THAT(flows.out, Not(HasSubstr("\"bad")));
  EXPECT_THAT(cluster_->Cli({"-o", "json", "worker", "list", "--all"}).out,
              Not(HasSubstr("\"name\"")));
  EXPECT_THAT(cluster_->Cli({"-o", "json", "deployment", "list"}).out, Not(HasSubstr("\"name\"")));
  EXPECT_EQ(RunCount(*cluster_), 0);
  grpc::Status unknown =
      RawCall(channel, "/baton.v1.RunService/StartRun", Field(1, "no-such-flow"));
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND) << unknown.error_message();
}

}  // namespace
}  // namespace baton::testing
