// Hostile input against a real orchestrator over real gRPC: a payload above
// the message bound, a 100k-task flow, 10k-deep nested JSON in a flow file, in
// run parameters and in a worker's result, and a worker id opening more polls
// than it may. Each is refused with the right code and a message naming the
// bound (common/base/limits.h), nothing is stored, and the orchestrator's memory
// stays within a fixed budget. The calls go through stubs, not the CLI,
// because the CLI refuses most of these before sending them.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "baton/v1/flow_service.grpc.pb.h"
#include "baton/v1/run_service.grpc.pb.h"
#include "baton/v1/worker_service.grpc.pb.h"
#include "common/base/limits.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kGoodFlow[] = R"(name: fine
tasks:
  - name: only
    handler: noop
    queue: limits
)";

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string FlowWithTasks(size_t count) {
  std::string text = "name: huge\ntasks:\n";
  for (size_t i = 0; i < count; ++i) absl::StrAppend(&text, "- {name: t", i, ", handler: noop}\n");
  return text;
}

// Resident memory of `pid` in KiB, from /proc.
long RssKib(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      status >> kib;
      return kib;
    }
    status.ignore(1 << 16, '\n');
  }
  return -1;
}

std::unique_ptr<grpc::ClientContext> Call(absl::Duration timeout = absl::Seconds(20)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  return ctx;
}

class LimitsEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new TestCluster("limits");
    // The default client refuses to send nothing and to receive 4 MiB; this
    // one sends whatever the test asks, so the server's own bound is tested.
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(-1);
    auto channel =
        grpc::CreateCustomChannel(cluster_->address(), grpc::InsecureChannelCredentials(), args);
    flows_ = v1::FlowService::NewStub(channel).release();
    runs_ = v1::RunService::NewStub(channel).release();
    workers_ = v1::WorkerService::NewStub(channel).release();
  }
  static void TearDownTestSuite() {
    delete flows_;
    delete runs_;
    delete workers_;
    delete cluster_;
  }

  static grpc::Status ApplyFlow(const std::string& content) {
    v1::ApplyFlowRequest request;
    request.set_source_name("hostile.yaml");
    request.set_content(content);
    v1::ApplyFlowResponse response;
    return flows_->ApplyFlow(Call().get(), request, &response);
  }

  static std::vector<std::string> FlowNames() {
    v1::ListFlowsResponse response;
    EXPECT_TRUE(flows_->ListFlows(Call().get(), v1::ListFlowsRequest(), &response).ok());
    std::vector<std::string> names;
    for (const auto& f : response.flows()) names.push_back(f.name());
    return names;
  }

  static int RunCount() {
    v1::ListRunsResponse response;
    EXPECT_TRUE(runs_->ListRuns(Call().get(), v1::ListRunsRequest(), &response).ok());
    return response.runs_size();
  }

  static std::string RegisterWorker() {
    v1::RegisterWorkerRequest request;
    request.set_name("limits-test");
    request.set_slots(1);
    request.add_queues("limits");
    request.add_handlers("noop");
    v1::RegisterWorkerResponse response;
    grpc::Status s = workers_->RegisterWorker(Call().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.worker_id();
  }

  static grpc::Status Poll(const std::string& worker_id, absl::Duration wait,
                           v1::PollLeasesResponse* response) {
    v1::PollLeasesRequest request;
    request.set_worker_id(worker_id);
    request.set_max_leases(1);
    request.mutable_wait()->set_seconds(absl::ToInt64Seconds(wait));
    return workers_->PollLeases(Call(wait + absl::Seconds(10)).get(), request, response);
  }

  // Runs flow "fine" once: a worker of the test's own takes the lease and
  // reports what `fill` writes into the completion, which the orchestrator
  // must accept. Returns the task run once the run ended (empty on failure).
  static v1::TaskRun RunReporting(const std::function<void(v1::CompleteAttemptRequest&)>& fill) {
    EXPECT_TRUE(ApplyFlow(kGoodFlow).ok());
    const std::string worker = RegisterWorker();
    v1::StartRunRequest request;
    request.set_flow_name("fine");
    v1::StartRunResponse started;
    EXPECT_TRUE(runs_->StartRun(Call().get(), request, &started).ok());
    v1::PollLeasesResponse polled;
    EXPECT_TRUE(Poll(worker, absl::Seconds(5), &polled).ok());
    if (polled.leases_size() != 1) {
      ADD_FAILURE() << polled.leases_size() << " leases; expected 1";
      return {};
    }
    v1::CompleteAttemptRequest done;
    done.set_worker_id(worker);
    *done.mutable_attempt() = polled.leases(0).attempt();
    fill(done);
    v1::CompleteAttemptResponse ignored;
    grpc::Status s = workers_->CompleteAttempt(Call().get(), done, &ignored);
    EXPECT_TRUE(s.ok()) << s.error_message();
    auto run = cluster_->WaitForRunEnd(started.run().id(), absl::Seconds(20));
    EXPECT_TRUE(run.ok()) << run.status();
    const v1::TaskRun* task = run.ok() ? FindTask(*run, "only") : nullptr;
    return task != nullptr ? *task : v1::TaskRun();
  }

  static TestCluster* cluster_;
  static v1::FlowService::Stub* flows_;
  static v1::RunService::Stub* runs_;
  static v1::WorkerService::Stub* workers_;
};

TestCluster* LimitsEndToEnd::cluster_ = nullptr;
v1::FlowService::Stub* LimitsEndToEnd::flows_ = nullptr;
v1::RunService::Stub* LimitsEndToEnd::runs_ = nullptr;
v1::WorkerService::Stub* LimitsEndToEnd::workers_ = nullptr;

TEST_F(LimitsEndToEnd, HostileFlowsAreRefusedAndNothingIsStored) {
  const long rss_before = RssKib(cluster_->orchestrator().pid());
  ASSERT_GT(rss_before, 0);

  // Above the gRPC bound: the transport refuses it, naming both sizes.
  grpc::Status huge = ApplyFlow(std::string(kMaxRequestMessageBytes + 1024, 'x'));
  EXPECT_EQ(huge.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(huge.error_message(), HasSubstr(absl::StrCat("vs. ", kMaxRequestMessageBytes)));

  // 100k tasks: refused by the file bound before any YAML is parsed.
  const std::string hundred_k = FlowWithTasks(100000);
  grpc::Status many = ApplyFlow(hundred_k);
  EXPECT_EQ(many.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(many.error_message(), absl::StrCat("hostile.yaml: the file is ", hundred_k.size(),
                                               " bytes; expected at most 1048576 bytes"));

  // Within the file bound but one task over the task bound.
  grpc::Status over = ApplyFlow(FlowWithTasks(kMaxTasksPerFlow + 1));
  EXPECT_EQ(over.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(over.error_message(),
            "hostile.yaml: tasks (line 3, column 1): 1001 tasks; expected at most 1000");

  // 10k levels of [ in a config.
  grpc::Status deep = ApplyFlow(absl::StrCat(
      "{\"name\": \"deep\", \"tasks\": [{\"name\": \"a\", \"handler\": \"noop\", \"config\": "
      "{\"x\": ",
      Nested(10000), "}}]}"));
  EXPECT_EQ(deep.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(deep.error_message(),
              HasSubstr("the file nests more than 72 levels of [ and {; expected at most 72"));

  // Over and over: memory does not grow with the number of hostile requests.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ApplyFlow(std::string(kMaxRequestMessageBytes - 4096, 'y')).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(ApplyFlow(hundred_k).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  const long rss_after = RssKib(cluster_->orchestrator().pid());
  RecordProperty("rss_before_kib", std::to_string(rss_before));
  RecordProperty("rss_after_kib", std::to_string(rss_after));
  EXPECT_LT(rss_after - rss_before, 200 * 1024) << rss_before << " KiB -> " << rss_after << " KiB";

  EXPECT_THAT(FlowNames(), Not(AnyOf(Contains("huge"), Contains("deep"))));
  EXPECT_TRUE(cluster_->orchestrator().running());
}

TEST_F(LimitsEndToEnd, TheCliNamesTheBoundsToo) {
  const std::string path = cluster_->WriteFile("huge.yaml", FlowWithTasks(100000));
  CliResult cli = cluster_->Cli({"flow", "apply", "-f", path});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_THAT(cli.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(cli.err, HasSubstr("expected at most 1048576"));

  CliResult params = cluster_->Cli(
      {"run", "start", "fine", "--params-json", absl::StrCat("{\"a\":", Nested(10000), "}")});
  EXPECT_EQ(params.exit_code, 1);
  EXPECT_THAT(params.err, HasSubstr("nested more than 64 levels deep"));
}

TEST_F(LimitsEndToEnd, HostileRunParametersAreRefusedAndNoRunIsStored) {
  ASSERT_TRUE(ApplyFlow(absl::StrCat(kGoodFlow, "parameters:\n  a: {default: 1}\n")).ok());
  const int runs_before = RunCount();
  auto start = [](const std::string& params) {
    v1::StartRunRequest request;
    request.set_flow_name("fine");
    request.set_parameters_json(params);
    v1::StartRunResponse response;
    return runs_->StartRun(Call().get(), request, &response);
  };
  grpc::Status deep = start(absl::StrCat("{\"a\":", Nested(10000), "}"));
  EXPECT_EQ(deep.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(deep.error_message(),
            "parameters_json: nested more than 64 levels deep (at byte 68); expected at most 64 "
            "levels of arrays and objects");
  grpc::Status big = start(absl::StrCat("{\"a\":\"", std::string(kMaxParametersBytes, 'p'), "\"}"));
  EXPECT_EQ(big.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(big.error_message(), HasSubstr("bytes; expected at most 262144"));

  v1::StartRunRequest long_id;
  long_id.set_flow_name("fine");
  long_id.set_correlation_id(std::string(kMaxCorrelationIdLength + 1, 'c'));
  v1::StartRunResponse ignored;
  grpc::Status id = runs_->StartRun(Call().get(), long_id, &ignored);
  EXPECT_EQ(id.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(id.error_message(), "correlation_id: 129 bytes; expected at most 128");

  EXPECT_EQ(RunCount(), runs_before);
}

TEST_F(LimitsEndToEnd, DeepOrHugeResultsFailTheAttemptNamingTheBound) {
  v1::TaskRun deep =
      RunReporting([](v1::CompleteAttemptRequest& done) { done.set_result_json(Nested(100000)); });
  EXPECT_EQ(deep.state(), v1::TASK_RUN_STATE_FAILED);
  EXPECT_EQ(deep.result_json(), "");
  EXPECT_THAT(deep.error(), HasSubstr("result: nested more than 64 levels deep"));

  v1::TaskRun huge = RunReporting([](v1::CompleteAttemptRequest& done) {
    done.set_result_json(absl::StrCat("\"", std::string(kMaxResultBytes + 10, 'r'), "\""));
  });
  EXPECT_EQ(huge.state(), v1::TASK_RUN_STATE_FAILED);
  EXPECT_EQ(huge.result_json(), "");
  EXPECT_THAT(huge.error(), HasSubstr("exceeds the bound of 1048576 bytes"));
  EXPECT_TRUE(cluster_->orchestrator().running());
}

TEST_F(LimitsEndToEnd, AHugeErrorMessageWithANulIsKeptCutToTheBound) {
  v1::TaskRun task = RunReporting([](v1::CompleteAttemptRequest& done) {
    done.mutable_error()->set_message(std::string("bad\0", 4) + std::string(4 << 20, 'e'));
    done.mutable_error()->set_non_retryable(true);
  });
  EXPECT_EQ(task.state(), v1::TASK_RUN_STATE_FAILED);
  EXPECT_EQ(task.error(),
            "bad\\0" + std::string(kMaxErrorMessageBytes - 5, 'e') + "... (truncated)");
}

TEST_F(LimitsEndToEnd, OversizedWorkerRequestsAreRefused) {
  v1::RegisterWorkerRequest request;
  request.set_name("labels");
  request.set_slots(1);
  request.add_handlers("noop");
  (*request.mutable_labels())["zone"] = std::string(4096, 'z');
  v1::RegisterWorkerResponse response;
  grpc::Status s = workers_->RegisterWorker(Call().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "labels.zone: 4096 bytes; expected at most 256");
  (*request.mutable_labels())["zone"] = std::string("eu\0", 3);
  s = workers_->RegisterWorker(Call().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "labels.zone: contains the character U+0000 (NUL); expected text without it");

  v1::CompleteAttemptRequest done;
  done.set_worker_id(RegisterWorker());
  done.mutable_attempt()->set_lease_token(std::string(100000, 't'));
  done.mutable_error()->set_message("boom");
  v1::CompleteAttemptResponse ignored;
  grpc::Status token = workers_->CompleteAttempt(Call().get(), done, &ignored);
  EXPECT_EQ(token.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(token.error_message(), "attempt.lease_token: 100000 bytes; expected at most 64");
}

TEST_F(LimitsEndToEnd, AWorkerIdGetsABoundedNumberOfWaitingPolls) {
  const std::string worker = RegisterWorker();
  std::vector<std::thread> waiting;
  std::vector<grpc::Status> results(kMaxPollsPerWorker);
  for (int i = 0; i < kMaxPollsPerWorker; ++i) {
    waiting.emplace_back([&, i] {
      v1::PollLeasesResponse response;
      results[i] = Poll(worker, absl::Seconds(4), &response);
    });
  }
  // Enough for the polls above to reach the server; they wait 4 s there.
  absl::SleepFor(absl::Seconds(1));
  v1::PollLeasesResponse response;
  const absl::Time before = absl::Now();
  grpc::Status extra = Poll(worker, absl::Seconds(4), &response);
  EXPECT_EQ(extra.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(extra.error_message(),
            absl::StrCat("worker ", worker,
                         " already has 4 polls waiting; expected at most 4 at "
                         "once per worker (max polls per worker)"));
  EXPECT_LT(absl::Now() - before, absl::Seconds(2));  // refused at once, not after waiting
  // Another worker is not affected.
  EXPECT_TRUE(Poll(RegisterWorker(), absl::ZeroDuration(), &response).ok());
  for (auto& t : waiting) t.join();
  for (const grpc::Status& s : results) EXPECT_TRUE(s.ok()) << s.error_message();
  // Once they answered, the worker may poll again.
  EXPECT_TRUE(Poll(worker, absl::ZeroDuration(), &response).ok());
}

}  // namespace
}  // namespace baton::testing
