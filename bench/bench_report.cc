#include "bench/bench_report.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/str_format.h"

namespace baton::bench {
namespace {

using google::protobuf::util::TimeUtil;

struct Samples {
  std::vector<int64_t> ready_to_start;
  std::vector<int64_t> start_to_end;
  std::vector<int64_t> ready_to_end;
  std::vector<int64_t> ends;
  std::map<std::pair<std::string, int64_t>, int> batches;  // (worker, leased_at) -> attempts
  int64_t first_ready = std::numeric_limits<int64_t>::max();
  int64_t last_end = std::numeric_limits<int64_t>::min();
};

bool IsTerminal(v1::FlowRunState s) {
  return s == v1::FLOW_RUN_STATE_COMPLETED || s == v1::FLOW_RUN_STATE_FAILED ||
         s == v1::FLOW_RUN_STATE_CANCELLED || s == v1::FLOW_RUN_STATE_TIMED_OUT;
}

int64_t Us(const google::protobuf::Timestamp& t) { return TimeUtil::TimestampToMicroseconds(t); }

void AddTask(const v1::TaskRun& t, Samples& s, BenchReport& report) {
  report.tasks_completed += t.state() == v1::TASK_RUN_STATE_COMPLETED;
  report.tasks_retried += t.attempt_count() > 1;
  for (const auto& a : t.attempts()) ++s.batches[{a.worker_id(), Us(a.leased_at())}];
  if (t.has_ready_at()) s.first_ready = std::min(s.first_ready, Us(t.ready_at()));
  if (t.has_ready_at() && t.has_started_at()) {
    s.ready_to_start.push_back(Us(t.started_at()) - Us(t.ready_at()));
  }
  if (!t.has_ended_at()) return;
  ++report.tasks_ended;
  s.ends.push_back(Us(t.ended_at()));
  s.last_end = std::max(s.last_end, Us(t.ended_at()));
  if (t.has_started_at()) s.start_to_end.push_back(Us(t.ended_at()) - Us(t.started_at()));
  if (t.has_ready_at()) s.ready_to_end.push_back(Us(t.ended_at()) - Us(t.ready_at()));
}

std::string LatencyRow(const char* name, const LatencySummary& l) {
  return absl::StrFormat("  %-20s %9.1f %9.1f %9.1f %9.1f %9.1f %8d\n", name, l.p50_ms, l.p90_ms,
                         l.p99_ms, l.max_ms, l.mean_ms, l.count);
}

nlohmann::json LatencyJson(const LatencySummary& l) {
  return {{"count", l.count}, {"p50", l.p50_ms}, {"p90", l.p90_ms},
          {"p99", l.p99_ms},  {"max", l.max_ms}, {"mean", l.mean_ms}};
}

}  // namespace

void Analyze(const std::vector<v1::Run>& runs, BenchReport& report) {
  Samples s;
  for (const auto& run : runs) {
    report.runs_ended += IsTerminal(run.state());
    report.runs_completed += run.state() == v1::FLOW_RUN_STATE_COMPLETED;
    for (const auto& t : run.tasks()) AddTask(t, s, report);
  }
  if (s.last_end > s.first_ready) {
    report.wall_s = static_cast<double>(s.last_end - s.first_ready) / 1e6;
    report.tasks_per_s = report.tasks_completed / report.wall_s;
  }
  report.steady_tasks_per_s = SteadyRate(s.ends, 10, 90);
  int attempts = 0;
  for (const auto& [key, size] : s.batches) {
    attempts += size;
    report.max_batch = std::max(report.max_batch, size);
  }
  report.lease_batches = static_cast<int>(s.batches.size());
  if (!s.batches.empty()) report.mean_batch = static_cast<double>(attempts) / s.batches.size();
  report.ready_to_start = Summarize(std::move(s.ready_to_start));
  report.start_to_end = Summarize(std::move(s.start_to_end));
  report.ready_to_end = Summarize(std::move(s.ready_to_end));
}

void PrintTable(const BenchReport& r, std::ostream& out) {
  const BenchConfig& c = r.config;
  out << absl::StrFormat("baton-bench: %d %s task(s) in %d run(s) of %d, flow %s, at %s\n", c.tasks,
                         c.handler, c.runs, c.tasks_per_run, c.flow, c.address);
  if (!r.error.empty()) out << "  NOT FINISHED: " << r.error << "\n";
  out << absl::StrFormat("  %-20s %d / %d (%d ended, %d retried)\n", "tasks completed",
                         r.tasks_completed, c.tasks, r.tasks_ended, r.tasks_retried)
      << absl::StrFormat("  %-20s %d / %d\n", "runs completed", r.runs_completed, c.runs)
      << absl::StrFormat("  %-20s %.3f s  (first ready_at to last ended_at, database clock)\n",
                         "wall time", r.wall_s)
      << absl::StrFormat("  %-20s %.1f tasks/s\n", "throughput", r.tasks_per_s)
      << absl::StrFormat("  %-20s %.1f tasks/s  (between 10%% and 90%% of task ends)\n",
                         "steady throughput", r.steady_tasks_per_s)
      << absl::StrFormat("  %-20s %d lease transactions, %.1f attempts each (max %d)\n",
                         "lease batches", r.lease_batches, r.mean_batch, r.max_batch)
      << absl::StrFormat("  %-20s %.3f s  (client clock, all StartRun calls)\n", "submit",
                         r.submit_s)
      << absl::StrFormat("  %-20s %.3f s  (client clock, first StartRun to all runs ended)\n",
                         "client wall", r.client_wall_s)
      << "\n"
      << absl::StrFormat("  %-20s %9s %9s %9s %9s %9s %8s\n", "latency (ms)", "p50", "p90", "p99",
                         "max", "mean", "tasks")
      << LatencyRow("ready -> start", r.ready_to_start)
      << LatencyRow("start -> end", r.start_to_end) << LatencyRow("ready -> end", r.ready_to_end);
}

nlohmann::json ToJson(const BenchReport& r) {
  const BenchConfig& c = r.config;
  return {
      {"config",
       {{"address", c.address},
        {"flow", c.flow},
        {"handler", c.handler},
        {"tasks", c.tasks},
        {"runs", c.runs},
        {"tasks_per_run", c.tasks_per_run}}},
      {"finished", r.error.empty()},
      {"error", r.error},
      {"runs_ended", r.runs_ended},
      {"runs_completed", r.runs_completed},
      {"tasks_ended", r.tasks_ended},
      {"tasks_completed", r.tasks_completed},
      {"tasks_retried", r.tasks_retried},
      {"lease_batches", {{"count", r.lease_batches}, {"mean", r.mean_batch}, {"max", r.max_batch}}},
      {"wall_s", r.wall_s},
      {"tasks_per_s", r.tasks_per_s},
      {"steady_tasks_per_s", r.steady_tasks_per_s},
      {"submit_s", r.submit_s},
      {"client_wall_s", r.client_wall_s},
      {"latency_ms",
       {{"ready_to_start", LatencyJson(r.ready_to_start)},
        {"start_to_end", LatencyJson(r.start_to_end)},
        {"ready_to_end", LatencyJson(r.ready_to_end)}}}};
}

}  // namespace baton::bench
