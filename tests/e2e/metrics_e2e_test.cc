// Prometheus metrics of a real cluster: the orchestrator's and a worker's
// /metrics scraped over HTTP before and after two runs, one that completes
// and one whose exec task fails twice (one retry).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// GET http://<address>/metrics with HTTP/1.0 (the server closes after the
// reply); every socket operation bounded by 5 s. Returns the body, or "" on
// any failure.
std::string HttpGetMetrics(const std::string& address) {
  const size_t colon = address.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  if (inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr) != 1) return "";
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  std::string reply;
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buffer[8192];
    for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;) reply.append(buffer, n);
  }
  close(fd);
  const size_t body = reply.find("\r\n\r\n");
  if (reply.rfind("HTTP/1.", 0) != 0 || reply.find(" 200 ") > reply.find("\r\n") ||
      body == std::string::npos) {
    ADD_FAILURE() << "GET http://" << address << "/metrics: " << reply.substr(0, 200);
    return "";
  }
  return reply.substr(body + 4);
}

// The text exposition format: `name{k="v",...} value` lines; comments skipped.
// Label values here never hold quotes or commas.
std::vector<Sample> ParseMetrics(const std::string& text) {
  std::vector<Sample> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    Sample s;
    std::string series(line.substr(0, space));
    if (!absl::SimpleAtod(line.substr(space + 1), &s.value)) continue;
    const size_t brace = series.find('{');
    s.name = series.substr(0, brace);
    if (brace != std::string::npos) {
      const std::string inner = series.substr(brace + 1, series.size() - brace - 2);
      for (absl::string_view pair : absl::StrSplit(inner, ',', absl::SkipEmpty())) {
        std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
        s.labels[kv.first] = kv.second.substr(1, kv.second.size() - 2);
      }
    }
    samples.push_back(std::move(s));
  }
  return samples;
}

class Scrape {
 public:
  explicit Scrape(const std::string& address) : samples_(ParseMetrics(HttpGetMetrics(address))) {}

  // Sum of the samples named `name` that carry every label of `labels`.
  double Sum(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    double sum = 0;
    for (const Sample& s : samples_) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) {
        auto it = s.labels.find(k);
        match = match && it != s.labels.end() && it->second == v;
      }
      if (match) sum += s.value;
    }
    return sum;
  }

  bool Has(const std::string& name) const {
    for (const Sample& s : samples_) {
      if (s.name == name) return true;
    }
    return false;
  }

 private:
  std::vector<Sample> samples_;
};

std::string ReadAddress(const std::string& path) {
  std::string address;
  WaitUntil(absl::Seconds(30), [&] {
    std::ifstream in(path);
    return static_cast<bool>(std::getline(in, address)) && !address.empty();
  });
  return address;
}

constexpr const char* kCompletes = R"(
name: two-noops
tasks:
  - {name: first, handler: noop}
  - {name: second, handler: noop, depends_on: [first]}
)";

constexpr const char* kFailsTwice = R"(
name: fails-twice
tasks:
  - name: broken
    handler: exec
    config: {command: sh, args: ["-c", "exit 3"]}
    retry: {retries: 1, delay: 100ms}
)";

TEST(MetricsEndToEnd, CountersMoveByWhatTheRunsDid) {
  ClusterOptions options;
  const std::string orchestrator_file = ::testing::TempDir() + "/metrics-orchestrator.addr";
  std::remove(orchestrator_file.c_str());
  options.extra_orchestrator_args = {"--metrics-address", "127.0.0.1:0", "--metrics-ready-file",
                                     orchestrator_file};
  TestCluster cluster("metrics", options);
  const std::string worker_file = cluster.dir() + "/worker-metrics.addr";
  cluster.StartWorker(
      {"--slots", "3", "--metrics-address", "127.0.0.1:0", "--metrics-ready-file", worker_file});
  const std::string orchestrator_metrics = ReadAddress(orchestrator_file);
  const std::string worker_metrics = ReadAddress(worker_file);
  ASSERT_FALSE(orchestrator_metrics.empty());
  ASSERT_FALSE(worker_metrics.empty());
  ASSERT_TRUE(WaitUntil(absl::Seconds(20), [&] {
    return Scrape(orchestrator_metrics).Sum("baton_workers", {{"state", "ONLINE"}}) == 1;
  })) << "the worker never showed as ONLINE";

  const Scrape before(orchestrator_metrics);
  const Scrape worker_before(worker_metrics);
  EXPECT_EQ(before.Sum("baton_database_up"), 1);
  // The only replica leads both background loops.
  EXPECT_EQ(before.Sum("baton_leader", {{"loop", "timers"}}), 1);
  EXPECT_EQ(before.Sum("baton_leader", {{"loop", "scheduler"}}), 1);
  EXPECT_EQ(worker_before.Sum("baton_worker_slots", {{"state", "free"}}), 3);
  EXPECT_EQ(worker_before.Sum("baton_worker_slots", {{"state", "busy"}}), 0);

  const std::string completes = cluster.ApplyAndStart(kCompletes, "two-noops");
  const std::string fails = cluster.ApplyAndStart(kFailsTwice, "fails-twice");
  auto completed = cluster.WaitForRunEnd(completes, absl::Seconds(60));
  auto failed = cluster.WaitForRunEnd(fails, absl::Seconds(60));
  ASSERT_TRUE(completed.ok() && failed.ok()) << completed.status() << " " << failed.status();
  ASSERT_EQ(completed->state(), v1::FLOW_RUN_STATE_COMPLETED);
  ASSERT_EQ(failed->state(), v1::FLOW_RUN_STATE_FAILED);
  // The worker frees a slot just after it has reported.
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] {
    return Scrape(worker_metrics).Sum("baton_worker_slots", {{"state", "free"}}) == 3;
  }));

  const Scrape after(orchestrator_metrics);
  const auto delta = [&](const std::string& name,
                         const std::map<std::string, std::string>& labels = {}) {
    return after.Sum(name, labels) - before.Sum(name, labels);
  };
  EXPECT_EQ(delta("baton_flow_runs", {{"state", "COMPLETED"}}), 1);
  EXPECT_EQ(delta("baton_flow_runs", {{"state", "FAILED"}}), 1);
  EXPECT_EQ(delta("baton_task_runs", {{"state", "COMPLETED"}}), 2);
  EXPECT_EQ(delta("baton_task_runs", {{"state", "FAILED"}}), 1);
  EXPECT_EQ(delta("baton_attempts_total", {{"state", "SUCCEEDED"}}), 2);
  EXPECT_EQ(delta("baton_attempts_total", {{"state", "FAILED"}}), 2);
  EXPECT_EQ(delta("baton_retries_total"), 1);
  EXPECT_EQ(delta("baton_attempt_timeouts_total"), 0);
  EXPECT_EQ(delta("baton_lease_expiries_total"), 0);
  EXPECT_EQ(after.Sum("baton_ready_tasks"), 0);
  EXPECT_EQ(after.Sum("baton_workers", {{"state", "ONLINE"}}), 1);
  EXPECT_EQ(delta("baton_rpc_total",
                  {{"method", "/baton.v1.WorkerService/CompleteAttempt"}, {"code", "OK"}}),
            4);
  EXPECT_GE(delta("baton_rpc_total", {{"method", "/baton.v1.WorkerService/PollLeases"}}), 1);
  // The latest attempt of each of the three task runs, all leased just now.
  EXPECT_EQ(after.Sum("baton_lease_wait_seconds_count"), 3);
  EXPECT_EQ(after.Sum("baton_lease_wait_seconds_bucket", {{"le", "+Inf"}}), 3);
  EXPECT_EQ(after.Sum("baton_lease_wait_seconds_bucket", {{"le", "60"}}), 3);
  EXPECT_GE(after.Sum("baton_lease_wait_seconds_sum"), 0);

  const Scrape worker_after(worker_metrics);
  const auto worker_delta = [&](const std::string& outcome) {
    return worker_after.Sum("baton_worker_attempts_total", {{"outcome", outcome}}) -
           worker_before.Sum("baton_worker_attempts_total", {{"outcome", outcome}});
  };
  EXPECT_EQ(worker_delta("succeeded"), 2);
  EXPECT_EQ(worker_delta("failed"), 2);
  EXPECT_TRUE(worker_after.Has("baton_worker_heartbeat_failures_total"));
  EXPECT_EQ(worker_after.Sum("baton_worker_heartbeat_failures_total"), 0);
}

}  // namespace
}  // namespace baton::testing
