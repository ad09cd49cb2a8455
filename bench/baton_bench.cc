// baton-bench: pushes N independent tasks through a running orchestrator and
// its workers, then reports throughput and latencies from the timestamps the
// orchestrator recorded.
//   baton-bench --address HOST:PORT --tasks 5000 [--runs 5] [--workers 2] [--json]
// Exit code: 0 every run COMPLETED; 1 an error or the wait timed out; 3 some
// run ended other than COMPLETED. bench/run.sh starts the processes around it.
#include <unistd.h>

#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_client.h"
#include "bench/bench_report.h"
#include "common/base/cli_flags.h"
#include "nlohmann/json.hpp"

namespace baton::bench {
namespace {

constexpr int kMaxTasksPerRun = 1000;  // the flow limit (common/spec/flow.h)
constexpr int kMaxRuns = 1000;         // ListRuns returns at most 1000

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitRunFailed = 3;

struct BenchOptions {
  std::string address = "127.0.0.1:7233";
  int tasks = 1000;
  int runs = 0;      // 0: as few as the flow limit allows
  std::string flow;  // empty: a fresh name per invocation
  std::string handler = "noop";
  std::string queue = "default";
  std::string task_config = "{}";
  int workers = 0;  // wait for this many ONLINE workers first
  absl::Duration workers_timeout = absl::Seconds(30);
  absl::Duration start_interval = absl::ZeroDuration();
  absl::Duration timeout = absl::Minutes(3);
  absl::Duration rpc_timeout = absl::Seconds(30);
  absl::Duration check_interval = absl::Milliseconds(50);
  bool json = false;
};

void AddOptions(CLI::App& app, BenchOptions& o) {
  app.add_option("--address", o.address, "orchestrator address host:port")
      ->envname("BATON_ADDRESS")
      ->capture_default_str();
  app.add_option("-n,--tasks", o.tasks, "tasks in total")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--runs", o.runs, "runs to spread them over (0: ceil(tasks / 1000))")
      ->check(CLI::Range(0, kMaxRuns));
  app.add_option("--flow", o.flow, "flow name (default: bench-<tasks per run>-<time>-<pid>)");
  app.add_option("--handler", o.handler, "handler of every task")->capture_default_str();
  app.add_option("--queue", o.queue, "queue of every task")->capture_default_str();
  app.add_option("--task-config", o.task_config, "config object of every task (JSON)")
      ->capture_default_str();
  app.add_option("--workers", o.workers, "first wait for this many ONLINE workers");
  AddDurationOption(app, "--workers-timeout", &o.workers_timeout, "longest wait for --workers");
  AddDurationOption(app, "--start-interval", &o.start_interval,
                    "pause between StartRun calls (0: back to back)");
  AddDurationOption(app, "--timeout", &o.timeout, "longest wait for all runs to end");
  AddDurationOption(app, "--rpc-timeout", &o.rpc_timeout, "deadline of each call");
  AddDurationOption(app, "--check-interval", &o.check_interval,
                    "how often to look whether the runs ended");
  app.add_flag("--json", o.json, "print the report as JSON");
}

absl::StatusOr<BenchConfig> MakeConfig(const BenchOptions& o) {
  BenchConfig c;
  c.address = o.address;
  c.handler = o.handler;
  c.tasks = o.tasks;
  c.runs = o.runs > 0 ? o.runs : (o.tasks + kMaxTasksPerRun - 1) / kMaxTasksPerRun;
  if (c.runs > kMaxRuns || o.tasks % c.runs != 0 || o.tasks / c.runs > kMaxTasksPerRun) {
    return absl::InvalidArgumentError(absl::StrCat("--tasks ", o.tasks, " --runs ", c.runs,
                                                   ": expected tasks to be a multiple of runs, "
                                                   "with at most ",
                                                   kMaxTasksPerRun, " tasks per run and at most ",
                                                   kMaxRuns, " runs"));
  }
  c.tasks_per_run = o.tasks / c.runs;
  c.flow = o.flow.empty() ? absl::StrCat("bench-", c.tasks_per_run, "-",
                                         absl::ToUnixSeconds(absl::Now()), "-", getpid())
                          : o.flow;
  return c;
}

absl::StatusOr<std::string> FlowJson(const BenchConfig& c, const BenchOptions& o) {
  nlohmann::json config = nlohmann::json::parse(o.task_config, nullptr, false);
  if (!config.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--task-config \"", o.task_config, "\": expected a JSON object"));
  }
  nlohmann::json tasks = nlohmann::json::array();
  for (int i = 0; i < c.tasks_per_run; ++i) {
    tasks.push_back({{"name", absl::StrFormat("t%04d", i)},
                     {"handler", c.handler},
                     {"queue", o.queue},
                     {"config", config}});
  }
  return nlohmann::json{{"name", c.flow},
                        {"description", absl::StrCat("baton-bench: ", c.tasks_per_run,
                                                     " independent ", c.handler, " tasks")},
                        {"tasks", tasks}}
      .dump();
}

absl::StatusOr<std::vector<std::string>> StartRuns(BenchClient& client, const BenchConfig& c,
                                                   absl::Duration interval) {
  std::vector<std::string> ids;
  for (int i = 0; i < c.runs; ++i) {
    if (i > 0 && interval > absl::ZeroDuration()) absl::SleepFor(interval);
    auto id = client.StartRun(c.flow);
    if (!id.ok()) return id.status();
    ids.push_back(*id);
  }
  return ids;
}

bool IsTerminal(v1::FlowRunState s) {
  return s == v1::FLOW_RUN_STATE_COMPLETED || s == v1::FLOW_RUN_STATE_FAILED ||
         s == v1::FLOW_RUN_STATE_CANCELLED || s == v1::FLOW_RUN_STATE_TIMED_OUT;
}

// Returns when all `count` runs of the flow ended, or DEADLINE_EXCEEDED.
absl::Status WaitForRuns(BenchClient& client, const BenchConfig& c, absl::Time deadline,
                         absl::Duration interval) {
  int ended = 0;
  while (true) {
    auto runs = client.ListRuns(c.flow, c.runs);
    if (!runs.ok()) return runs.status();
    ended = 0;
    for (const auto& run : *runs) ended += IsTerminal(run.state());
    if (ended == c.runs) return absl::OkStatus();
    if (absl::Now() + interval > deadline) break;
    absl::SleepFor(interval);
  }
  return absl::DeadlineExceededError(
      absl::StrCat(c.runs - ended, " of ", c.runs, " run(s) still not ended at the deadline"));
}

absl::StatusOr<std::vector<v1::Run>> FetchRuns(BenchClient& client,
                                               const std::vector<std::string>& ids) {
  std::vector<v1::Run> runs;
  for (const auto& id : ids) {
    auto run = client.GetRun(id);
    if (!run.ok()) return run.status();
    runs.push_back(*std::move(run));
  }
  return runs;
}

// Runs the benchmark and fills `report`. An error before any run started
// leaves the report empty; a timed-out wait still reports what ended.
absl::Status RunBenchmark(BenchClient& client, const BenchOptions& o, BenchReport& report) {
  const BenchConfig& c = report.config;
  if (o.workers > 0) {
    if (auto s = client.WaitForWorkers(o.workers, absl::Now() + o.workers_timeout); !s.ok()) {
      return s;
    }
  }
  auto content = FlowJson(c, o);
  if (!content.ok()) return content.status();
  if (auto flow = client.ApplyFlow(c.flow + ".json", *content); !flow.ok()) return flow.status();
  std::cerr << "baton-bench: starting " << c.runs << " run(s) of " << c.tasks_per_run
            << " task(s) of flow " << c.flow << "\n";
  const absl::Time start = absl::Now();
  auto ids = StartRuns(client, c, o.start_interval);
  if (!ids.ok()) return ids.status();
  report.submit_s = absl::ToDoubleSeconds(absl::Now() - start);
  absl::Status waited = WaitForRuns(client, c, start + o.timeout, o.check_interval);
  report.client_wall_s = absl::ToDoubleSeconds(absl::Now() - start);
  if (!waited.ok()) report.error = waited.ToString();
  auto runs = FetchRuns(client, *ids);
  if (!runs.ok()) return runs.status();
  Analyze(*runs, report);
  return waited;
}

int Main(int argc, char** argv) {
  CLI::App app{"baton-bench: throughput and latency of independent tasks through Baton"};
  BenchOptions options;
  AddOptions(app, options);
  CLI11_PARSE(app, argc, argv);
  auto config = MakeConfig(options);
  if (!config.ok()) {
    std::cerr << "baton-bench: " << config.status().message() << "\n";
    return kExitError;
  }
  BenchClient client(options.address, options.rpc_timeout);
  BenchReport report;
  report.config = *config;
  absl::Status s = RunBenchmark(client, options, report);
  if (!s.ok() && report.error.empty()) {
    std::cerr << "baton-bench: " << s.ToString() << "\n";
    return kExitError;
  }
  if (options.json) {
    std::cout << ToJson(report).dump(2) << "\n";
  } else {
    PrintTable(report, std::cout);
  }
  if (!s.ok()) return kExitError;
  return report.runs_completed == config->runs ? kExitOk : kExitRunFailed;
}

}  // namespace
}  // namespace baton::bench

int main(int argc, char** argv) { return baton::bench::Main(argc, argv); }
