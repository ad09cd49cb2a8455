#include "worker/log_shipper.h"

#include <google/protobuf/util/time_util.h>

#include <string>
#include <utility>

#include "common/base/log_text.h"
#include "spdlog/spdlog.h"

namespace baton::worker {
namespace {

using google::protobuf::util::TimeUtil;

// One AppendLogs request carries about this many message bytes at most.
constexpr size_t kMaxLogRequestBytes = 1 << 20;

void ToProto(const LogEntry& in, v1::LogLine* out) {
  *out->mutable_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(in.time));
  out->set_stream(in.stream);
  out->set_level(in.level);
  out->set_message(in.message);
}

}  // namespace

LogShipper::LogShipper(OrchestratorClient& client, const Registration& registration,
                       AttemptRegistry& registry, absl::Duration flush_interval)
    : client_(client),
      registration_(registration),
      registry_(registry),
      flush_interval_(flush_interval) {}

void LogShipper::Run() {
  while (!registry_.AwaitWorkEnded(flush_interval_)) {
    std::vector<Source> sources;
    registry_.ForEach([&](HeldAttempt& a) { sources.push_back({a.ref, a.ctx}); });
    Ship(sources);
  }
}

void LogShipper::Ship(const std::vector<Source>& sources) {
  absl::MutexLock ship_lock(&ship_mu_);
  v1::AppendLogsRequest request;
  request.set_worker_id(registration_.worker_id());
  std::vector<std::pair<TaskContext*, int>> counts;  // lines per batch in `request`
  size_t bytes = 0;
  const auto flush = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(ship_mu_) {
    if (request.attempts_size() > 0) Send(request, counts);
    request.clear_attempts();
    counts.clear();
    bytes = 0;
  };
  for (const Source& source : sources) {
    AttemptLog::Pending pending = source.ctx->log().Take();
    if (pending.lines.empty() && pending.dropped == 0) continue;
    v1::AttemptLogs* batch = nullptr;
    const auto start_batch = [&] {
      batch = request.add_attempts();
      *batch->mutable_attempt() = source.ref;
      counts.emplace_back(source.ctx.get(), 0);
    };
    start_batch();
    for (const LogEntry& line : pending.lines) {
      if (bytes + line.message.size() > kMaxLogRequestBytes) {
        flush();
        start_batch();
      } else if (batch->lines_size() >= kMaxLogLinesPerBatch) {
        start_batch();
      }
      ToProto(line, batch->add_lines());
      ++counts.back().second;
      bytes += line.message.size();
    }
    // Lines are dropped after the kept ones (the bound) or were lost before
    // them; either way the count goes with the attempt's last batch.
    batch->set_dropped(pending.dropped);
  }
  flush();
}

void LogShipper::Send(const v1::AppendLogsRequest& request,
                      const std::vector<std::pair<TaskContext*, int>>& counts) {
  if (request.worker_id().empty()) return;
  auto response = client_.AppendLogs(request);
  if (!response.ok()) {
    spdlog::warn("shipping log lines: {}", response.status().ToString());
    for (size_t i = 0; i < counts.size(); ++i) {
      const int batch_dropped = request.attempts(static_cast<int>(i)).dropped();
      counts[i].first->log().CountLost(counts[i].second + batch_dropped);
    }
    return;
  }
  for (int i = 0; i < response->results_size(); ++i) {
    const v1::AppendLogsResult& r = response->results(i);
    if (!r.refused().empty()) {
      spdlog::debug("log lines of task run {} attempt {} refused: {}",
                    request.attempts(i).attempt().task_run_id(),
                    request.attempts(i).attempt().attempt(), r.refused());
    }
  }
}

}  // namespace baton::worker
