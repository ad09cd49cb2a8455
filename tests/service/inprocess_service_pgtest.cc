// The orchestrator's gRPC services (flows, runs, workers) on the real stores
// and a real PostgreSQL, served in process and called through the generated
// stubs: what a client sees — replies, status codes and messages — for
// applying a flow, starting and reading runs, bad input, unknown runs, a
// task no worker serves, and a worker's round trip that completes a run.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>

#include "baton/v1/flow_service.grpc.pb.h"
#include "baton/v1/run_service.grpc.pb.h"
#include "baton/v1/worker_service.grpc.pb.h"
#include "common/base/uuid.h"
#include "orchestrator/ready_signal.h"
#include "orchestrator/service/flow_service.h"
#include "orchestrator/service/run_service.h"
#include "orchestrator/service/worker_service.h"
#include "orchestrator/store/log_store.h"
#include "tests/store/store_test_base.h"

namespace baton::store {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kFlow[] = R"yaml(name: greet
parameters:
  who: {default: world}
tasks:
  - {name: hello, handler: say.hello}
  - {name: bye, handler: say.bye, depends_on: [hello]}
)yaml";

class InProcessServiceTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    logs_ = std::make_unique<LogStore>(*pool_);
    service::WorkerServiceOptions options;
    options.max_poll_wait = absl::Seconds(2);
    options.poll_recheck = absl::Milliseconds(100);
    flow_service_ = std::make_unique<service::FlowServiceImpl>(*flows_);
    run_service_ = std::make_unique<service::RunServiceImpl>(*flows_, *runs_, *logs_, ready_);
    worker_service_ =
        std::make_unique<service::WorkerServiceImpl>(options, *leases_, *workers_, *logs_, ready_);
    grpc::ServerBuilder builder;
    builder.RegisterService(flow_service_.get());
    builder.RegisterService(run_service_.get());
    builder.RegisterService(worker_service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    std::shared_ptr<grpc::Channel> channel = server_->InProcessChannel(grpc::ChannelArguments());
    flows_stub_ = v1::FlowService::NewStub(channel);
    runs_stub_ = v1::RunService::NewStub(channel);
    workers_stub_ = v1::WorkerService::NewStub(channel);
  }

  void TearDown() override {
    ready_.Shutdown();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    StoreTest::TearDown();
  }

  // A context whose deadline bounds the call.
  static std::unique_ptr<grpc::ClientContext> Call(absl::Duration bound = absl::Seconds(10)) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + bound));
    return context;
  }

  v1::Flow ApplyFlow(const std::string& content) {
    v1::ApplyFlowRequest request;
    request.set_source_name("greet.yaml");
    request.set_content(content);
    v1::ApplyFlowResponse response;
    grpc::Status s = flows_stub_->ApplyFlow(Call().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.flow();
  }

  grpc::Status StartRun(const v1::StartRunRequest& request, v1::StartRunResponse* response) {
    return runs_stub_->StartRun(Call().get(), request, response);
  }

  grpc::Status GetRun(const std::string& run_id, v1::Run* run) {
    v1::GetRunRequest request;
    request.set_run_id(run_id);
    return runs_stub_->GetRun(Call().get(), request, run);
  }

  std::string StartGreet(const std::string& params_json = "") {
    v1::StartRunRequest request;
    request.set_flow_name("greet");
    request.set_parameters_json(params_json);
    v1::StartRunResponse response;
    grpc::Status s = StartRun(request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.run().id();
  }

  const v1::TaskRun* TaskOf(const v1::Run& run, const std::string& name) {
    for (const v1::TaskRun& t : run.tasks()) {
      if (t.name() == name) return &t;
    }
    ADD_FAILURE() << "no task " << name;
    return nullptr;
  }

  std::string RegisterStubWorker(const std::vector<std::string>& handlers) {
    v1::RegisterWorkerRequest request;
    request.set_name("stub-worker");
    request.add_queues("default");
    request.set_slots(2);
    for (const std::string& h : handlers) request.add_handlers(h);
    v1::RegisterWorkerResponse response;
    grpc::Status s = workers_stub_->RegisterWorker(Call().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.worker_id();
  }

  // Polls until one lease comes (each poll waits at most 1 s; 5 polls).
  v1::Lease PollOne(const std::string& worker_id) {
    for (int i = 0; i < 5; ++i) {
      v1::PollLeasesRequest request;
      request.set_worker_id(worker_id);
      request.set_max_leases(1);
      request.mutable_wait()->set_seconds(1);
      v1::PollLeasesResponse response;
      grpc::Status s = workers_stub_->PollLeases(Call(absl::Seconds(5)).get(), request, &response);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      if (response.leases_size() > 0) {
        EXPECT_EQ(response.leases_size(), 1);
        return response.leases(0);
      }
    }
    ADD_FAILURE() << "no lease within 5 polls";
    return {};
  }

  // Acknowledges the lease and completes it with `result_json`.
  void AckAndComplete(const std::string& worker_id, const v1::Lease& lease,
                      const std::string& result_json) {
    v1::HeartbeatRequest hb;
    hb.set_worker_id(worker_id);
    *hb.add_attempts() = lease.attempt();
    v1::HeartbeatResponse directives;
    grpc::Status s = workers_stub_->Heartbeat(Call().get(), hb, &directives);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(directives.directives_size(), 1);
    EXPECT_EQ(directives.directives(0).action(), v1::AttemptDirective::CONTINUE);

    v1::CompleteAttemptRequest done;
    done.set_worker_id(worker_id);
    *done.mutable_attempt() = lease.attempt();
    done.set_result_json(result_json);
    v1::CompleteAttemptResponse ignored;
    s = workers_stub_->CompleteAttempt(Call().get(), done, &ignored);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  ReadySignal ready_;
  std::unique_ptr<LogStore> logs_;
  std::unique_ptr<service::FlowServiceImpl> flow_service_;
  std::unique_ptr<service::RunServiceImpl> run_service_;
  std::unique_ptr<service::WorkerServiceImpl> worker_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::FlowService::Stub> flows_stub_;
  std::unique_ptr<v1::RunService::Stub> runs_stub_;
  std::unique_ptr<v1::WorkerService::Stub> workers_stub_;
};

TEST_F(InProcessServiceTest, AppliedFlowRunsStartAndReadBack) {
  v1::Flow flow = ApplyFlow(kFlow);
  EXPECT_EQ(flow.name(), "greet");
  EXPECT_EQ(flow.version(), 1);

  v1::StartRunRequest request;
  request.set_flow_name("greet");
  request.set_parameters_json(R"({"who": "baton"})");
  request.set_idempotency_key("once");
  v1::StartRunResponse started;
  grpc::Status s = StartRun(request, &started);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(started.created());
  EXPECT_TRUE(IsUuid(started.run().id())) << started.run().id();
  EXPECT_EQ(started.run().state(), v1::FLOW_RUN_STATE_PENDING);

  // The same key names the same run.
  v1::StartRunResponse again;
  ASSERT_TRUE(StartRun(request, &again).ok());
  EXPECT_FALSE(again.created());
  EXPECT_EQ(again.run().id(), started.run().id());

  v1::Run run;
  s = GetRun(started.run().id(), &run);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(run.id(), started.run().id());
  EXPECT_EQ(run.flow_name(), "greet");
  EXPECT_EQ(run.flow_version(), 1);
  EXPECT_EQ(nlohmann::json::parse(run.parameters_json()), nlohmann::json({{"who", "baton"}}));
  ASSERT_THAT(run.tasks(), SizeIs(2));
  EXPECT_EQ(run.tasks(0).name(), "hello");
  EXPECT_EQ(run.tasks(0).state(), v1::TASK_RUN_STATE_READY);
  EXPECT_EQ(run.tasks(1).name(), "bye");
  EXPECT_EQ(run.tasks(1).state(), v1::TASK_RUN_STATE_PENDING);
  EXPECT_EQ(Count("SELECT count(*) FROM flow_runs"), 1);
}

TEST_F(InProcessServiceTest, BadInputIsInvalidArgumentNamingTheField) {
  v1::Run run;
  grpc::Status s = GetRun("nope", &run);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "run id \"nope\" is not a UUID; expected e.g. 0b9c6f1e-2d3a-4c5b-8e7f-112233445566");

  ApplyFlow(kFlow);
  v1::StartRunRequest request;
  request.set_flow_name("no spaces allowed");
  v1::StartRunResponse response;
  s = StartRun(request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("flow_name: \"no spaces allowed\" is not a valid name"));

  request.set_flow_name("greet");
  request.set_parameters_json("[1, 2]");
  s = StartRun(request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("parameters_json"));

  v1::ApplyFlowRequest bad_flow;
  bad_flow.set_source_name("broken.yaml");
  bad_flow.set_content("name: broken\ntasks:\n  - {name: a, handler: h, depends_on: [zz]}\n");
  v1::ApplyFlowResponse applied;
  s = flows_stub_->ApplyFlow(Call().get(), bad_flow, &applied);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("broken.yaml"));
  EXPECT_THAT(s.error_message(), HasSubstr("zz"));
  EXPECT_EQ(Count("SELECT count(*) FROM flow_runs"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM flows"), 1);
}

TEST_F(InProcessServiceTest, UnknownRunsAndFlowsAreNotFound) {
  v1::Run run;
  const std::string unknown = "0b9c6f1e-2d3a-4c5b-8e7f-112233445566";
  grpc::Status s = GetRun(unknown, &run);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr(unknown));

  v1::StartRunRequest request;
  request.set_flow_name("never-applied");
  v1::StartRunResponse response;
  s = StartRun(request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("never-applied"));
}

TEST_F(InProcessServiceTest, AReadyTaskNoWorkerServesSaysWhatItWaitsFor) {
  ApplyFlow(kFlow);
  const std::string run_id = StartGreet();
  v1::Run run;
  ASSERT_TRUE(GetRun(run_id, &run).ok());
  const v1::TaskRun* hello = TaskOf(run, "hello");
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->waiting_for(),
            "no online worker serves handler \"say.hello\" on queue \"default\"");
  EXPECT_EQ(TaskOf(run, "bye")->waiting_for(), "") << "only READY tasks wait for a worker";

  // A worker serving another handler changes nothing; one serving it does.
  RegisterStubWorker({"say.bye"});
  ASSERT_TRUE(GetRun(run_id, &run).ok());
  EXPECT_EQ(TaskOf(run, "hello")->waiting_for(),
            "no online worker serves handler \"say.hello\" on queue \"default\"");
  RegisterStubWorker({"say.hello"});
  ASSERT_TRUE(GetRun(run_id, &run).ok());
  EXPECT_EQ(TaskOf(run, "hello")->waiting_for(), "");
}

TEST_F(InProcessServiceTest, AWorkerRoundTripCompletesTheRun) {
  ApplyFlow(kFlow);
  const std::string run_id = StartGreet(R"({"who": "baton"})");
  const std::string worker_id = RegisterStubWorker({"say.hello", "say.bye"});
  ASSERT_TRUE(IsUuid(worker_id)) << worker_id;

  const v1::Lease hello = PollOne(worker_id);
  ASSERT_EQ(hello.task_name(), "hello");
  EXPECT_EQ(hello.run_id(), run_id);
  EXPECT_EQ(hello.handler(), "say.hello");
  EXPECT_EQ(nlohmann::json::parse(hello.input_json())["params"],
            nlohmann::json({{"who", "baton"}}));
  AckAndComplete(worker_id, hello, R"("hi baton")");

  const v1::Lease bye = PollOne(worker_id);
  ASSERT_EQ(bye.task_name(), "bye");
  EXPECT_EQ(nlohmann::json::parse(bye.input_json())["upstream"],
            nlohmann::json({{"hello", "hi baton"}}));
  AckAndComplete(worker_id, bye, R"("bye baton")");

  v1::Run run;
  ASSERT_TRUE(GetRun(run_id, &run).ok());
  EXPECT_EQ(run.state(), v1::FLOW_RUN_STATE_COMPLETED);
  EXPECT_EQ(nlohmann::json::parse(run.result_json()), nlohmann::json("bye baton"));
  for (const v1::TaskRun& t : run.tasks()) {
    EXPECT_EQ(t.state(), v1::TASK_RUN_STATE_COMPLETED) << t.name();
    EXPECT_EQ(t.attempt_count(), 1) << t.name();
  }

  // A second completion of the same attempt is refused.
  v1::CompleteAttemptRequest stale;
  stale.set_worker_id(worker_id);
  *stale.mutable_attempt() = bye.attempt();
  stale.set_result_json("\"again\"");
  v1::CompleteAttemptResponse ignored;
  grpc::Status s = workers_stub_->CompleteAttempt(Call().get(), stale, &ignored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
}

}  // namespace
}  // namespace baton::store
