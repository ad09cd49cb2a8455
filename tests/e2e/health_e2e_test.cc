// The orchestrator's standard gRPC health service (grpc.health.v1) follows its
// database: NOT_SERVING while PostgreSQL is down, SERVING again once it is
// back. Server reflection lists (and describes) the Baton services, as grpcurl
// needs. Debian ships neither the health nor the reflection client protos, so
// the calls go through a generic stub with messages encoded on the wire here.
//
// The test stops and restarts PostgreSQL, so it starts a private server of its
// own instead of sharing the test binary's.
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_callback.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestrator/store/embedded_postgres.h"
#include "tests/support/child_process.h"
#include "tests/support/grpc_health.h"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::google::protobuf::UnknownField;
using ::google::protobuf::UnknownFieldSet;
using ::testing::Contains;
using ::testing::IsSupersetOf;

constexpr char kReflectionInfo[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

grpc::ByteBuffer ToBuffer(const UnknownFieldSet& fields) {
  std::string bytes;
  fields.SerializeToString(&bytes);
  return testing::ToBuffer(bytes);
}

// The length-delimited values of field `number` in message `bytes`, in order.
std::vector<std::string> Strings(const std::string& bytes, int number) {
  UnknownFieldSet fields;
  EXPECT_TRUE(fields.ParseFromString(bytes));
  std::vector<std::string> out;
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& f = fields.field(i);
    if (f.number() == number && f.type() == UnknownField::TYPE_LENGTH_DELIMITED) {
      out.push_back(f.length_delimited());
    }
  }
  return out;
}

// --- the calls ---

Health CheckOverall(const std::shared_ptr<grpc::Channel>& channel) {
  return CheckHealth(channel, "").health;
}

// One ServerReflectionRequest on a bidi stream: writes it, half-closes, and
// collects the responses until the server's status. (The callback API keeps
// the connection polled, so it answers the server's GOAWAY at shutdown.)
class ReflectionCall : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  ReflectionCall(const std::shared_ptr<grpc::Channel>& channel, const grpc::ByteBuffer& request)
      : stub_(channel), request_(request) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    stub_.PrepareBidiStreamingCall(&context_, kReflectionInfo, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    responses_.push_back(FromBuffer(response_));
    StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override { done_.set_value(status); }

  // The responses once the call has ended; a test failure unless it ended OK.
  std::vector<std::string> Wait() {
    const grpc::Status status = done_.get_future().get();
    EXPECT_TRUE(status.ok()) << "reflection: " << status.error_message();
    return responses_;
  }

 private:
  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  std::vector<std::string> responses_;
  std::promise<grpc::Status> done_;
};

// One ServerReflectionRequest with `field` set to `value`; the response
// message, or "" (and a test failure) when there is not exactly one.
std::string AskReflection(const std::shared_ptr<grpc::Channel>& channel, int field,
                          const std::string& value) {
  UnknownFieldSet request;
  request.AddLengthDelimited(field, value);
  ReflectionCall call(channel, ToBuffer(request));
  const std::vector<std::string> responses = call.Wait();
  EXPECT_EQ(responses.size(), 1u) << "reflection: responses to one request";
  return responses.size() == 1 ? responses[0] : "";
}

// ServerReflectionRequest.list_services (7) -> list_services_response (6).service (1).name (1)
std::vector<std::string> ListServices(const std::shared_ptr<grpc::Channel>& channel) {
  std::vector<std::string> names;
  for (const std::string& list : Strings(AskReflection(channel, 7, "*"), 6)) {
    for (const std::string& service : Strings(list, 1)) {
      for (const std::string& name : Strings(service, 1)) names.push_back(name);
    }
  }
  return names;
}

// ServerReflectionRequest.file_containing_symbol (4) ->
// file_descriptor_response (4).file_descriptor_proto (1): the services defined.
std::vector<std::string> ServicesInFileOf(const std::shared_ptr<grpc::Channel>& channel,
                                          const std::string& symbol) {
  std::vector<std::string> names;
  for (const std::string& files : Strings(AskReflection(channel, 4, symbol), 4)) {
    for (const std::string& bytes : Strings(files, 1)) {
      google::protobuf::FileDescriptorProto file;
      EXPECT_TRUE(file.ParseFromString(bytes));
      for (const auto& service : file.service()) {
        names.push_back(absl::StrCat(file.package(), ".", service.name()));
      }
    }
  }
  return names;
}

// --- a PostgreSQL and an orchestrator of this test's own ---

class OwnCluster {
 public:
  OwnCluster() {
    std::string pattern = "/tmp/baton-health.XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    chmod(pattern.c_str(), 0755);  // the postgres user must reach its data folder
    dir_ = pattern;
    StartDatabase();
  }

  ~OwnCluster() {
    if (orchestrator_) {
      orchestrator_->Signal(SIGTERM);
      if (!orchestrator_->WaitExit(absl::Seconds(10))) orchestrator_->Signal(SIGKILL);
    }
    pg_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A new server on the same data folder (and socket): the same URL.
  void StartDatabase() {
    store::EmbeddedPostgresOptions options;
    options.data_dir = dir_ + "/pg";
    options.durable = false;
    auto pg = store::EmbeddedPostgres::Start(options);
    ASSERT_TRUE(pg.ok()) << pg.status().ToString();
    pg_ = *std::move(pg);
  }

  void StopDatabase() {
    absl::Status s = pg_->Stop();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void StartOrchestrator() {
    const std::string ready_file = dir_ + "/orchestrator.addr";
    orchestrator_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{OrchestratorBinary(), "--database-url", pg_->url(), "--listen",
                                 "127.0.0.1:0", "--ready-file", ready_file, "--health-interval",
                                 "200ms", "--db-pool-size", "4", "--reaper-interval", "500ms"},
        dir_ + "/orchestrator.log");
    ASSERT_TRUE(WaitUntil(absl::Seconds(30),
                          [&] {
                            return std::filesystem::exists(ready_file) || !orchestrator_->running();
                          }) &&
                std::filesystem::exists(ready_file))
        << "orchestrator did not start:\n"
        << orchestrator_->Log();
    std::ifstream in(ready_file);
    std::string address;
    std::getline(in, address);
    channel_ = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  }

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  ChildProcess& orchestrator() { return *orchestrator_; }

 private:
  std::string dir_;
  std::unique_ptr<store::EmbeddedPostgres> pg_;
  std::unique_ptr<ChildProcess> orchestrator_;
  std::shared_ptr<grpc::Channel> channel_;
};

// How long until `condition` holds (polled every 20 ms), or nullopt after `timeout`.
std::optional<absl::Duration> TimeUntil(absl::Duration timeout,
                                        const std::function<bool()>& condition) {
  const absl::Time start = absl::Now();
  if (!WaitUntil(timeout, condition)) return std::nullopt;
  return absl::Now() - start;
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(HealthEndToEnd, NotServingWhileTheDatabaseIsDownAndServingOnceItIsBack) {
  OwnCluster cluster;
  ASSERT_NO_FATAL_FAILURE(cluster.StartOrchestrator());
  const auto& channel = cluster.channel();

  EXPECT_EQ(ToString(CheckOverall(channel)), "SERVING");
  for (const char* service : {"baton.v1.RunService", "baton.v1.WorkerService",
                              "baton.v1.FlowService", "baton.v1.DeploymentService"}) {
    EXPECT_EQ(ToString(CheckHealth(channel, service).health), "SERVING") << service;
  }
  EXPECT_EQ(CheckHealth(channel, "baton.v1.NoSuchService").status.error_code(),
            grpc::StatusCode::NOT_FOUND);

  ASSERT_NO_FATAL_FAILURE(cluster.StopDatabase());
  auto down =
      TimeUntil(absl::Seconds(15), [&] { return CheckOverall(channel) == Health::kNotServing; });
  ASSERT_TRUE(down.has_value()) << "still " << ToString(CheckOverall(channel))
                                << " 15 s after PostgreSQL stopped\n"
                                << cluster.orchestrator().Log();
  std::cout << "NOT_SERVING " << absl::FormatDuration(*down) << " after PostgreSQL stopped\n";
  EXPECT_EQ(ToString(CheckHealth(channel, "baton.v1.RunService").health), "NOT_SERVING");
  // The outage lasts several probes: the change is logged once.
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(ToString(CheckOverall(channel)), "NOT_SERVING");
  EXPECT_EQ(Count(cluster.orchestrator().Log(), "health: NOT_SERVING"), 1)
      << cluster.orchestrator().Log();

  const absl::Time restart = absl::Now();
  ASSERT_NO_FATAL_FAILURE(cluster.StartDatabase());
  const absl::Duration start_took = absl::Now() - restart;
  auto up = TimeUntil(absl::Seconds(15), [&] { return CheckOverall(channel) == Health::kServing; });
  ASSERT_TRUE(up.has_value()) << "still " << ToString(CheckOverall(channel))
                              << " 15 s after PostgreSQL restarted\n"
                              << cluster.orchestrator().Log();
  std::cout << "SERVING " << absl::FormatDuration(*up) << " after PostgreSQL accepted connections ("
            << absl::FormatDuration(start_took) << " to start it)\n";
  EXPECT_EQ(ToString(CheckHealth(channel, "baton.v1.RunService").health), "SERVING");
  EXPECT_EQ(Count(cluster.orchestrator().Log(), "health: SERVING"), 1);

  cluster.orchestrator().Signal(SIGTERM);
  auto exit = cluster.orchestrator().WaitExit(absl::Seconds(10));
  ASSERT_TRUE(exit.has_value()) << "orchestrator did not stop within 10 s";
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << cluster.orchestrator().Log();
}

TEST(HealthEndToEnd, ReflectionListsAndDescribesTheServices) {
  OwnCluster cluster;
  ASSERT_NO_FATAL_FAILURE(cluster.StartOrchestrator());
  const auto& channel = cluster.channel();

  EXPECT_THAT(ListServices(channel),
              IsSupersetOf({"baton.v1.WorkerService", "baton.v1.FlowService", "baton.v1.RunService",
                            "baton.v1.ClusterService", "baton.v1.BreakerService",
                            "baton.v1.DeploymentService", "grpc.health.v1.Health",
                            "grpc.reflection.v1alpha.ServerReflection"}));
  // What grpcurl asks before it can call a method.
  EXPECT_THAT(ServicesInFileOf(channel, "baton.v1.RunService"), Contains("baton.v1.RunService"));
  EXPECT_THAT(ServicesInFileOf(channel, "baton.v1.WorkerService"),
              Contains("baton.v1.WorkerService"));

  const absl::Time stop = absl::Now();
  cluster.orchestrator().Signal(SIGTERM);
  auto exit = cluster.orchestrator().WaitExit(absl::Seconds(10));
  ASSERT_TRUE(exit.has_value()) << "orchestrator did not stop within 10 s";
  EXPECT_TRUE(WIFEXITED(*exit) && WEXITSTATUS(*exit) == 0) << cluster.orchestrator().Log();
  std::cout << "stopped " << absl::FormatDuration(absl::Now() - stop) << " after SIGTERM\n";
}

}  // namespace
}  // namespace baton::testing
