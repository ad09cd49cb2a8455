// Baton on separate hosts: PostgreSQL, two orchestrator replicas, three
// workers and the CLI, each in a network namespace of its own (bridged, in a
// private range, nothing routed outside), each process bound to its own
// host's address. Clients are given both replicas as one gRPC target.
//
// In that topology, one after the other:
//   - flows submitted through the CLI complete;
//   (a) a worker's link is cut mid-task: its lease expires, another worker
//       finishes the task, and once the link is back its late report is
//       refused with FAILED_PRECONDITION;
//   (b) the replica that leads the background loops (and serves first) is
//       killed: the other takes the lead, workers and the CLI carry on
//       through it, runs finish on their original attempts;
//   (c) PostgreSQL is restarted, down for longer than a lease: both
//       orchestrators report NOT_SERVING meanwhile and SERVING again after,
//       and the task running all along finishes on its original attempt.
// After each, the database invariants hold (no run, task or attempt ends
// twice; every acknowledged run is there and finished).
//
// Needs root, iproute2 and nftables; fails (does not skip) without them.
#include <google/protobuf/util/json_util.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "baton/v1/run_service.pb.h"
#include "common/process/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/host_postgres.h"
#include "tests/support/invariants.h"
#include "tests/support/netns.h"
#include "tests/support/test_cluster.h"
#include "tests/support/test_postgres.h"

namespace baton::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::Duration kLease = absl::Seconds(3);
constexpr int kPort = 7233;

std::string Millis(absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d), "ms"); }

// Flows. Every task sleeps on a worker (the built-in `sleep` handler).
constexpr char kFanOut[] =
    "name: fan-out\n"
    "tasks:\n"
    "  - {name: a, handler: sleep, config: {seconds: 0.5}}\n"
    "  - {name: b, handler: sleep, config: {seconds: 0.5}}\n"
    "  - {name: c, handler: sleep, config: {seconds: 0.5}}\n"
    "  - {name: join, handler: noop, depends_on: [a, b, c]}\n";
constexpr char kLong[] =
    "name: long\n"
    "tasks:\n"
    "  - {name: work, handler: sleep, config: {seconds: 5}}\n";
constexpr char kSteady[] =
    "name: steady\n"
    "tasks:\n"
    "  - {name: a, handler: sleep, config: {seconds: 3}}\n"
    "  - {name: b, handler: sleep, config: {seconds: 3}}\n"
    "  - {name: join, handler: noop, depends_on: [a, b]}\n";
constexpr char kThroughOutage[] =
    "name: through-outage\n"
    "tasks:\n"
    "  - {name: hold, handler: sleep, config: {seconds: 11}}\n";

class MultiHost : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status capable = NetnsNetwork::CheckCapable();
    ASSERT_TRUE(capable.ok()) << "this test needs separate hosts: " << capable.ToString();
    net_ = std::make_unique<NetnsNetwork>();
    const std::vector<std::pair<std::string, int>> hosts = {
        {"db", 2}, {"o1", 11}, {"o2", 12}, {"w1", 21}, {"w2", 22}, {"w3", 23}, {"cli", 30}};
    for (const auto& [name, number] : hosts) {
      auto added = net_->AddHost(name, number);
      ASSERT_TRUE(added.ok()) << added.status();
    }
    dir_ = TestTempDir() + "/multihost";
    std::filesystem::create_directories(dir_);
    pg_ = std::make_unique<HostPostgres>(*net_, "db");
    ASSERT_TRUE(pg_->Start().ok()) << ReadLog(pg_->log_path());
    target_ = absl::StrCat("ipv4:", net_->address("o1"), ":", kPort, ",", net_->address("o2"), ":",
                           kPort);
  }

  void TearDown() override {
    if (HasFailure()) {
      for (const auto& [name, process] : processes_) {
        std::cerr << "---- " << name << " ----\n" << process->Log() << "\n";
      }
    }
    processes_.clear();
  }

  static std::string ReadLog(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // Starts the orchestrator on host `host`, bound to its address; waits
  // (bounded) until it serves.
  void StartOrchestrator(const std::string& host) {
    const std::string ready = absl::StrCat(dir_, "/", host, ".addr");
    std::filesystem::remove(ready);
    const std::vector<std::string> argv = {OrchestratorBinary(),
                                           "--database-url",
                                           pg_->url(),
                                           "--listen",
                                           absl::StrCat(net_->address(host), ":", kPort),
                                           "--ready-file",
                                           ready,
                                           "--lease-duration",
                                           Millis(kLease),
                                           "--heartbeat-interval",
                                           "1s",
                                           "--reaper-interval",
                                           "500ms",
                                           "--scheduler-interval",
                                           "500ms",
                                           "--health-interval",
                                           "300ms",
                                           "--max-poll-wait",
                                           "3s",
                                           "--db-pool-size",
                                           "6"};
    auto& process = processes_[host];
    process.reset();
    process =
        std::make_unique<ChildProcess>(net_->In(host, argv), absl::StrCat(dir_, "/", host, ".log"));
    ASSERT_TRUE(WaitUntil(absl::Seconds(30),
                          [&] { return std::filesystem::exists(ready) || !process->running(); }) &&
                std::filesystem::exists(ready))
        << host << " did not start:\n"
        << process->Log();
  }

  void StartWorker(const std::string& host) {
    const std::vector<std::string> argv = {WorkerBinary(),
                                           "--orchestrator",
                                           target_,
                                           "--name",
                                           host,
                                           "--slots",
                                           "1",
                                           "--poll-wait",
                                           "3s"};
    processes_[host] = std::make_unique<ChildProcess>(
        net_->In(host, argv), absl::StrCat(dir_, "/", host, ".log"), SourceDir());
  }

  void StartAll() {
    ASSERT_NO_FATAL_FAILURE(StartOrchestrator("o1"));  // first: it takes the leads
    ASSERT_NO_FATAL_FAILURE(StartOrchestrator("o2"));
    for (const char* w : {"w1", "w2", "w3"}) StartWorker(w);
  }

  ChildProcess& process(const std::string& host) { return *processes_.at(host); }

  // The baton CLI, run on the cli host against both replicas.
  CliResult Cli(std::vector<std::string> args) {
    SubprocessOptions run;
    std::vector<std::string> argv = {CliBinary(), "--address", target_, "--timeout", "5s"};
    argv.insert(argv.end(), args.begin(), args.end());
    run.argv = net_->In("cli", argv);
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    auto result = RunSubprocess(run, [deadline] { return absl::Now() > deadline; });
    if (!result.ok()) return {-1, "", result.status().ToString()};
    return {result->exit_code, result->stdout_tail, result->stderr_tail};
  }

  std::string Apply(const std::string& name, const std::string& yaml) {
    const std::string path = absl::StrCat(dir_, "/", name, ".yaml");
    std::ofstream(path) << yaml;
    CliResult applied = Cli({"flow", "apply", "-f", path});
    EXPECT_EQ(applied.exit_code, 0) << applied.err;
    return name;
  }

  // `run start` through the CLI, repeated (with one idempotency key) while
  // the CLI fails: a run is acknowledged once the CLI printed its id.
  std::string StartRun(const std::string& flow, const std::string& key) {
    CliResult started;
    for (int attempt = 0; attempt < 5; ++attempt) {
      started = Cli({"-o", "json", "run", "start", flow, "--idempotency-key", key});
      if (started.exit_code == 0) break;
      absl::SleepFor(absl::Milliseconds(500));
    }
    EXPECT_EQ(started.exit_code, 0) << started.err;
    nlohmann::json out = nlohmann::json::parse(started.out, nullptr, false);
    if (out.is_discarded() || !out.contains("run")) return "";
    const std::string id = out["run"]["id"];
    acknowledged_.push_back(id);
    return id;
  }

  absl::StatusOr<v1::Run> GetRun(const std::string& run_id) {
    CliResult got = Cli({"-o", "json", "run", "get", run_id});
    if (got.exit_code != 0) return absl::UnavailableError(got.err);
    v1::Run run;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    auto parsed = google::protobuf::util::JsonStringToMessage(got.out, &run, options);
    if (!parsed.ok()) return absl::InternalError(std::string(parsed.message()));
    return run;
  }

  // Polls (through the CLI) until `done` holds for the run; the last run read.
  absl::StatusOr<v1::Run> WaitForRun(const std::string& run_id, absl::Duration timeout,
                                     const std::function<bool(const v1::Run&)>& done) {
    absl::StatusOr<v1::Run> run = absl::DeadlineExceededError("not read");
    const bool ok = WaitUntil(timeout, [&] {
      run = GetRun(run_id);
      return run.ok() && done(*run);
    });
    if (!ok) {
      return absl::DeadlineExceededError(
          absl::StrCat("run ", run_id, " not as expected after ", absl::FormatDuration(timeout),
                       ": ", run.ok() ? run->DebugString() : run.status().ToString()));
    }
    return run;
  }

  absl::StatusOr<v1::Run> WaitForEnd(const std::string& run_id, absl::Duration timeout) {
    return WaitForRun(run_id, timeout, [](const v1::Run& r) {
      return r.state() == v1::FLOW_RUN_STATE_COMPLETED || r.state() == v1::FLOW_RUN_STATE_FAILED ||
             r.state() == v1::FLOW_RUN_STATE_CANCELLED || r.state() == v1::FLOW_RUN_STATE_TIMED_OUT;
    });
  }

  absl::StatusOr<v1::Run> WaitForRunning(const std::string& run_id, const std::string& task) {
    return WaitForRun(run_id, absl::Seconds(15), [&](const v1::Run& r) {
      const v1::TaskRun* t = FindTask(r, task);
      return t != nullptr && t->state() == v1::TASK_RUN_STATE_RUNNING && t->attempts_size() > 0;
    });
  }

  // The application_name of the session that holds the timers' lock, or "".
  std::string TimersLeader() {
    try {
      pqxx::connection conn(pg_->local_url());
      pqxx::read_transaction tx(conn);
      pqxx::result rows =
          tx.exec("SELECT holder FROM leader_leases WHERE loop = 'timers' AND expires_at > now()");
      return rows.empty() ? "" : rows[0][0].as<std::string>();
    } catch (const std::exception& e) {
      return e.what();
    }
  }

  // The overall gRPC health of the orchestrator on `host`, asked from the cli host.
  std::string Health(const std::string& host) {
    auto out =
        net_->Run("cli", {BATON_HEALTH_PROBE_BIN, absl::StrCat(net_->address(host), ":", kPort)});
    return out.ok() ? std::string(absl::StripAsciiWhitespace(*out)) : out.status().ToString();
  }

  // Every acknowledged run is there and completed; the invariants hold.
  void ExpectNothingLostNothingTwice() {
    for (const std::string& id : acknowledged_) {
      auto run = GetRun(id);
      ASSERT_TRUE(run.ok()) << "acknowledged run " << id << ": " << run.status();
      EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED) << id;
    }
    EXPECT_THAT(InvariantViolations(pg_->local_url()), IsEmpty());
  }

  std::unique_ptr<NetnsNetwork> net_;
  std::unique_ptr<HostPostgres> pg_;
  std::string dir_;
  std::string target_;
  std::map<std::string, std::unique_ptr<ChildProcess>> processes_;
  std::vector<std::string> acknowledged_;
};

// Every task of the run has one attempt, which succeeded.
void ExpectOneAttemptEach(const v1::Run& run) {
  for (const v1::TaskRun& t : run.tasks()) {
    EXPECT_EQ(t.attempts_size(), 1) << t.name() << ":\n" << run.DebugString();
    if (t.attempts_size() > 0) {
      EXPECT_EQ(t.attempts(0).state(), v1::ATTEMPT_STATE_SUCCEEDED) << t.name();
    }
  }
}

TEST_F(MultiHost, FlowsCompleteThroughLinkCutReplicaLossAndDatabaseRestart) {
  const absl::Time test_start = absl::Now();
  ASSERT_NO_FATAL_FAILURE(StartAll());
  EXPECT_THAT(TimersLeader(), HasSubstr(net_->address("o1") + ":"));
  for (const auto& [name, yaml] :
       std::vector<std::pair<std::string, std::string>>{{"fan-out", kFanOut},
                                                        {"long", kLong},
                                                        {"steady", kSteady},
                                                        {"through-outage", kThroughOutage}}) {
    Apply(name, yaml);
  }

  // Flows submitted through the CLI, from its own host, complete.
  {
    const std::string id = StartRun("fan-out", "fan-out-1");
    auto run = WaitForEnd(id, absl::Seconds(20));
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED);
    ExpectOneAttemptEach(*run);
    std::cout << "fan-out completed " << absl::FormatDuration(absl::Now() - test_start)
              << " after the test started\n";
  }

  // (a) A worker's link is cut mid-task.
  std::string cut;
  {
    const std::string id = StartRun("long", "long-1");
    auto running = WaitForRunning(id, "work");
    ASSERT_TRUE(running.ok()) << running.status();
    cut = FindTask(*running, "work")->attempts(0).worker_name();
    ASSERT_TRUE(cut == "w1" || cut == "w2" || cut == "w3") << cut;
    ASSERT_TRUE(net_->CutLink(cut).ok());
    const absl::Time cut_at = absl::Now();
    auto rescued = WaitForRun(id, absl::Seconds(20),
                              [](const v1::Run& r) { return r.tasks(0).attempts_size() == 2; });
    ASSERT_TRUE(rescued.ok()) << rescued.status();
    const absl::Duration noticed = absl::Now() - cut_at;
    std::cout << "(a) link of " << cut << " cut; attempt 2 leased " << absl::FormatDuration(noticed)
              << " later\n";
    // The lease had between lease - heartbeat interval and a lease left.
    EXPECT_GE(noticed, kLease - absl::Seconds(1));
    EXPECT_LE(noticed, kLease + absl::Seconds(4));

    auto run = WaitForEnd(id, absl::Seconds(20));
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED);
    const v1::TaskRun& work = run->tasks(0);
    ASSERT_EQ(work.attempts_size(), 2) << run->DebugString();
    EXPECT_EQ(work.attempts(0).state(), v1::ATTEMPT_STATE_LEASE_EXPIRED);
    EXPECT_EQ(work.attempts(0).worker_name(), cut);
    EXPECT_EQ(work.attempts(1).state(), v1::ATTEMPT_STATE_SUCCEEDED);
    EXPECT_NE(work.attempts(1).worker_name(), cut);

    ASSERT_TRUE(net_->RestoreLink(cut).ok());
    const bool refused = WaitUntil(absl::Seconds(40), [&] {
      const std::string log = process(cut).Log();
      return absl::StrContains(log, "completion refused: FAILED_PRECONDITION");
    });
    EXPECT_TRUE(refused) << "the cut-off worker's late report was not refused:\n"
                         << process(cut).Log();
    // The refusal changed nothing.
    auto after = GetRun(id);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->tasks(0).attempts_size(), 2);
    EXPECT_EQ(after->result_json(), run->result_json());
    ASSERT_NO_FATAL_FAILURE(ExpectNothingLostNothingTwice());
  }

  // (b) The replica that leads, and that clients reach first, is killed.
  {
    const std::string id = StartRun("steady", "steady-1");
    auto running = WaitForRunning(id, "a");
    ASSERT_TRUE(running.ok()) << running.status();
    process("o1").Signal(SIGKILL);
    ASSERT_TRUE(process("o1").WaitExit(absl::Seconds(5)).has_value());
    const absl::Time killed_at = absl::Now();
    // A new run through the CLI, acknowledged through the survivor.
    const std::string after_kill = StartRun("fan-out", "fan-out-after-kill");
    ASSERT_FALSE(after_kill.empty());
    // A killed leader's term (10 s) runs out, then o2 takes it at its next tick.
    ASSERT_TRUE(
        WaitUntil(absl::Seconds(15),
                  [&] { return absl::StrContains(TimersLeader(), net_->address("o2") + ":"); }))
        << "leader: " << TimersLeader();
    std::cout << "(b) o1 killed; o2 leads " << absl::FormatDuration(absl::Now() - killed_at)
              << " later\n";
    // The lock is taken first, then the grant runs, then the lead is logged.
    EXPECT_TRUE(WaitUntil(absl::Seconds(5), [&] {
      return absl::StrContains(process("o2").Log(), "now leads the timers");
    })) << process("o2").Log();

    for (const std::string& run_id : {id, after_kill}) {
      auto run = WaitForEnd(run_id, absl::Seconds(30));
      ASSERT_TRUE(run.ok()) << run.status();
      EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED);
      ExpectOneAttemptEach(*run);  // no lease was lost with the replica
    }
    ASSERT_NO_FATAL_FAILURE(ExpectNothingLostNothingTwice());
    // A supervisor brings o1 back: it follows.
    ASSERT_NO_FATAL_FAILURE(StartOrchestrator("o1"));
  }

  // (c) PostgreSQL restarts, down for longer than a lease.
  {
    const std::string id = StartRun("through-outage", "through-outage-1");
    auto running = WaitForRunning(id, "hold");
    ASSERT_TRUE(running.ok()) << running.status();
    const std::string holder = FindTask(*running, "hold")->attempts(0).worker_name();
    const size_t o1_before = process("o1").Log().size();
    const size_t o2_before = process("o2").Log().size();
    ASSERT_TRUE(pg_->Stop().ok());
    const absl::Time stopped_at = absl::Now();
    for (const char* o : {"o1", "o2"}) {
      EXPECT_TRUE(WaitUntil(absl::Seconds(10), [&] { return Health(o) == "NOT_SERVING"; }))
          << o << ": " << Health(o);
    }
    std::cout << "(c) PostgreSQL stopped; both replicas NOT_SERVING "
              << absl::FormatDuration(absl::Now() - stopped_at) << " later\n";
    // Past the lease: every running attempt's lease has run out by now.
    absl::SleepFor(stopped_at + kLease + absl::Milliseconds(1500) - absl::Now());
    ASSERT_TRUE(pg_->Start().ok()) << ReadLog(pg_->log_path());
    const absl::Time started_at = absl::Now();
    for (const char* o : {"o1", "o2"}) {
      EXPECT_TRUE(WaitUntil(absl::Seconds(15), [&] { return Health(o) == "SERVING"; }))
          << o << ": " << Health(o);
    }
    std::cout << "(c) PostgreSQL down " << absl::FormatDuration(started_at - stopped_at)
              << "; both replicas SERVING " << absl::FormatDuration(absl::Now() - started_at)
              << " after it was back\n";

    auto run = WaitForEnd(id, absl::Seconds(30));
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_COMPLETED);
    const v1::TaskRun& hold = run->tasks(0);
    ASSERT_EQ(hold.attempts_size(), 1) << "the outage cost the task its lease:\n"
                                       << run->DebugString();
    EXPECT_EQ(hold.attempts(0).state(), v1::ATTEMPT_STATE_SUCCEEDED);
    EXPECT_EQ(hold.attempts(0).worker_name(), holder);
    // The leader took over again once the database was back, and granted.
    EXPECT_THAT(process("o1").Log().substr(o1_before) + process("o2").Log().substr(o2_before),
                HasSubstr("granted 1 running attempt(s) a fresh lease"));
    ASSERT_NO_FATAL_FAILURE(ExpectNothingLostNothingTwice());
  }
  std::cout << "whole test: " << absl::FormatDuration(absl::Now() - test_start) << "\n";
}

}  // namespace
}  // namespace baton::testing
