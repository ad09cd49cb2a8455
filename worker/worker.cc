#include "worker/worker.h"

#include <google/protobuf/util/time_util.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/base/backoff.h"
#include "common/base/error_types.h"
#include "common/base/log_text.h"
#include "common/base/logging.h"
#include "spdlog/spdlog.h"
#include "worker/attempt_runner.h"
#include "worker/lease_presumption.h"
#include "worker/orchestrator_client.h"

namespace baton::worker {
namespace {

using google::protobuf::util::TimeUtil;

// HTTP/2 pings, so a replica that stopped answering (frozen, its host gone)
// is left within twice this, even mid-poll.
constexpr absl::Duration kKeepalive = absl::Seconds(4);
constexpr int kMaxCompletionTries = 8;
// One AppendLogs request carries about this many message bytes at most.
constexpr size_t kMaxLogRequestBytes = 1 << 20;
// After cancelling handlers at the end of a drain, how long to wait for them.
constexpr absl::Duration kCancelGrace = absl::Seconds(10);

std::string DefaultName() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, ":", getpid());
}

bool IsTransient(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsAborted(s) ||
         absl::IsResourceExhausted(s) || absl::IsInternal(s) || absl::IsUnknown(s);
}

void ToProto(const LogEntry& in, v1::LogLine* out) {
  *out->mutable_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(in.time));
  out->set_stream(in.stream);
  out->set_level(in.level);
  out->set_message(in.message);
}

absl::Duration ToAbsl(const google::protobuf::Duration& d) {
  return absl::Milliseconds(TimeUtil::DurationToMilliseconds(d));
}

// For WorkerHooks::attempt_finished.
std::string Outcome(const v1::CompleteAttemptRequest& completion) {
  if (!completion.has_error()) return "succeeded";
  if (completion.error().type() == kExecutionTimeoutErrorType) return "timed_out";
  if (completion.error().type() == kCancelledErrorType) return "cancelled";
  return "failed";
}

}  // namespace

struct Worker::Impl {
  // Why the runtime stopped a handler; decides the error type it reports.
  enum class StopReason { kNone, kExecutionTimeout, kCancelled, kLeaseLost, kShutdown };

  struct Running {
    std::shared_ptr<TaskContext> ctx;
    v1::AttemptRef ref;
    absl::Time lease_confirmed_at;                                // lease granted or last extended
    absl::Duration heartbeat_timeout = absl::InfiniteDuration();  // per task, if set
    StopReason stop = StopReason::kNone;
  };

  WorkerOptions options;
  std::map<std::string, Handler> handlers;
  std::unique_ptr<OrchestratorClient> client;

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool polling_done = false;
  bool finished = false;  // the drain is over, whatever still runs is abandoned
  absl::Status refused;   // why the orchestrator will never take this worker
  std::string worker_id;
  absl::Duration heartbeat_interval = absl::Seconds(10);
  absl::Duration lease_duration = absl::Seconds(30);
  // When an orchestrator last answered a heartbeat that its database was
  // unavailable (the outage rule, lease_presumption.h).
  absl::Time database_answer_at = absl::InfinitePast();
  std::deque<v1::Lease> queued;
  std::map<int64_t, Running> running;  // by task run id
  std::mutex ship_mu;  // one log shipment at a time: an attempt's lines stay in order

  using LogSource = std::pair<v1::AttemptRef, std::shared_ptr<TaskContext>>;

  // Sleeps up to `d` unless stopping; returns false when stopping.
  bool SleepUnlessStopping(absl::Duration d) {
    std::unique_lock<std::mutex> lock(mu);
    return !cv.wait_for(lock, absl::ToChronoMilliseconds(d), [this] { return stopping; });
  }

  int FreeSlots() {
    std::lock_guard<std::mutex> lock(mu);
    return options.slots - static_cast<int>(queued.size() + running.size());
  }

  bool EnsureRegistered(int& failures);
  void PollLoop();
  void PollOnce(int& failures);
  struct Taken {
    v1::Lease lease;
    bool cancel = false;  // acknowledged with a CANCEL directive
  };
  std::vector<Taken> Acknowledge(std::vector<v1::Lease> leases);
  void Accept(std::vector<Taken> taken);
  void SlotLoop();
  void Execute(const v1::Lease& lease);
  void Report(const v1::CompleteAttemptRequest& completion);
  void HeartbeatLoop();
  void LogShipLoop();
  void ShipLogs(const std::vector<LogSource>& sources);
  void SendLogs(const v1::AppendLogsRequest& request,
                const std::vector<std::pair<TaskContext*, int>>& counts);
  absl::Duration HeartbeatEvery();
  void EnforceDeadlines();
  void HeartbeatOnce();
  void Stop(Running& r, StopReason why, const std::string& reason);
  void Drain();
};

bool Worker::Impl::EnsureRegistered(int& failures) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!worker_id.empty()) return true;
  }
  v1::RegisterWorkerRequest request;
  request.set_name(options.name);
  for (const auto& q : options.queues) request.add_queues(q);
  for (const auto& [k, v] : options.labels) (*request.mutable_labels())[k] = v;
  for (const auto& [name, handler] : handlers) request.add_handlers(name);
  request.set_slots(options.slots);
  request.set_version("0.1.0");
  auto registered = client->Register(request);
  if (absl::IsUnauthenticated(registered.status()) ||
      absl::IsPermissionDenied(registered.status()) ||
      absl::IsInvalidArgument(registered.status())) {
    // Retrying cannot help (credentials refused, or a registration the
    // orchestrator will never take: a bad name, no handlers): stop, and let
    // Run() say why.
    spdlog::error("register with {}: {}", options.orchestrator, registered.status().ToString());
    std::lock_guard<std::mutex> lock(mu);
    refused = registered.status();
    stopping = true;
    cv.notify_all();
    return false;
  }
  if (!registered.ok()) {
    const absl::Duration delay = BackoffDelay(
        {absl::Milliseconds(200), 2.0, options.max_backoff, 0.2}, ++failures, UnitRandom());
    spdlog::warn("register with {}: {}; retrying in {}", options.orchestrator,
                 registered.status().ToString(), absl::FormatDuration(delay));
    SleepUnlessStopping(delay);
    return false;
  }
  failures = 0;
  std::lock_guard<std::mutex> lock(mu);
  worker_id = registered->worker_id();
  heartbeat_interval = ToAbsl(registered->heartbeat_interval());
  lease_duration = ToAbsl(registered->lease_duration());
  spdlog::info("registered as worker {} ({} slots, queues: {})", worker_id, options.slots,
               absl::StrJoin(options.queues, ","));
  cv.notify_all();
  return true;
}

void Worker::Impl::PollLoop() {
  int failures = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [this] {
        return stopping || options.slots > static_cast<int>(queued.size() + running.size());
      });
      if (stopping) break;
    }
    if (EnsureRegistered(failures)) PollOnce(failures);
  }
  std::lock_guard<std::mutex> lock(mu);
  polling_done = true;
  cv.notify_all();
}

void Worker::Impl::PollOnce(int& failures) {
  std::string id;
  {
    std::lock_guard<std::mutex> lock(mu);
    id = worker_id;
  }
  auto leases = client->Poll(id, FreeSlots(), options.poll_wait);
  if (leases.ok()) {
    failures = 0;
    Accept(Acknowledge(*std::move(leases)));
    return;
  }
  if (absl::IsCancelled(leases.status())) return;
  if (absl::IsNotFound(leases.status())) {  // the orchestrator forgot us: register again
    std::lock_guard<std::mutex> lock(mu);
    worker_id.clear();
    return;
  }
  const absl::Duration delay = BackoffDelay(
      {absl::Milliseconds(200), 2.0, options.max_backoff, 0.2}, ++failures, UnitRandom());
  spdlog::warn("poll: {}; retrying in {}", leases.status().ToString(), absl::FormatDuration(delay));
  SleepUnlessStopping(delay);
}

// The delivery rule, worker side: a lease is acknowledged (its first
// heartbeat) before its handler starts, so a lease that was redelivered
// because this worker was too slow to take it never runs twice. Transient
// failures are retried until the leases' delivery deadline; leases that
// could not be acknowledged are dropped (the orchestrator leases them again
// without spending an attempt).
std::vector<Worker::Impl::Taken> Worker::Impl::Acknowledge(std::vector<v1::Lease> leases) {
  if (leases.empty()) return {};
  std::vector<v1::AttemptRef> refs;
  absl::Time deliver_by = absl::InfiniteFuture();
  for (const v1::Lease& lease : leases) {
    refs.push_back(lease.attempt());
    deliver_by =
        std::min(deliver_by,
                 absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(lease.lease_expires_at())));
  }
  std::string id;
  {
    std::lock_guard<std::mutex> lock(mu);
    id = worker_id;
  }
  absl::StatusOr<std::vector<v1::AttemptDirective>> directives;
  for (int tries = 1;; ++tries) {
    const absl::Duration call =
        HeartbeatCallDeadline(deliver_by - absl::Now(), options.rpc_timeout);
    directives = client->Heartbeat(id, refs, call);
    if (directives.ok() || !IsTransient(directives.status())) break;
    const absl::Duration delay =
        BackoffDelay({absl::Milliseconds(50), 2.0, absl::Seconds(1), 0.2}, tries, UnitRandom());
    if (absl::Now() + delay >= deliver_by || !SleepUnlessStopping(delay)) break;
  }
  if (!directives.ok()) {
    spdlog::warn("acknowledging {} lease(s): {}; leaving them to be leased again", leases.size(),
                 directives.status().ToString());
    return {};
  }
  std::vector<Taken> taken;
  for (size_t i = 0; i < leases.size() && i < directives->size(); ++i) {
    const v1::AttemptDirective& d = (*directives)[i];
    if (d.action() == v1::AttemptDirective::LEASE_LOST) {
      spdlog::warn("task run {} attempt {}: not taken: {}", d.attempt().task_run_id(),
                   d.attempt().attempt(), d.reason());
      continue;
    }
    taken.push_back({std::move(leases[i]), d.action() == v1::AttemptDirective::CANCEL});
  }
  return taken;
}

void Worker::Impl::Accept(std::vector<Taken> taken) {
  if (taken.empty()) return;
  std::lock_guard<std::mutex> lock(mu);
  const absl::Time now = absl::Now();
  for (auto& [lease, cancel] : taken) {
    Running r{MakeContext(lease, now), lease.attempt(), now};
    if (lease.has_heartbeat_timeout()) {
      r.heartbeat_timeout = ToAbsl(lease.heartbeat_timeout());
    }
    if (cancel) Stop(r, StopReason::kCancelled, "cancelled: the run is being cancelled");
    running[lease.attempt().task_run_id()] = std::move(r);
    queued.push_back(std::move(lease));
  }
  cv.notify_all();
}

void Worker::Impl::SlotLoop() {
  while (true) {
    v1::Lease lease;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock,
              [this] { return !queued.empty() || (polling_done && running.empty()) || finished; });
      if (queued.empty() || finished) return;
      lease = std::move(queued.front());
      queued.pop_front();
    }
    Execute(lease);
  }
}

void Worker::Impl::Execute(const v1::Lease& lease) {
  const int64_t id = lease.attempt().task_run_id();
  std::shared_ptr<TaskContext> ctx;
  std::string wid;
  {
    std::lock_guard<std::mutex> lock(mu);
    ctx = running.at(id).ctx;
    wid = worker_id;
  }
  auto it = handlers.find(lease.handler());
  // Every line logged on this thread while the handler runs carries these.
  ScopedLogContext context({{"run", lease.run_id()},
                            {"task", lease.task_name()},
                            {"attempt", std::to_string(lease.attempt().attempt())},
                            {"correlation_id", lease.correlation_id()}});
  spdlog::info("{} started", lease.handler());
  const absl::Time start = absl::Now();
  v1::CompleteAttemptRequest completion =
      RunAttempt(it == handlers.end() ? nullptr : &it->second, *ctx, lease, wid);
  if (completion.has_error()) {
    std::lock_guard<std::mutex> lock(mu);
    switch (running.at(id).stop) {
      case StopReason::kExecutionTimeout:
        completion.mutable_error()->set_type(kExecutionTimeoutErrorType);
        break;
      case StopReason::kCancelled:
        completion.mutable_error()->set_type(kCancelledErrorType);
        break;
      case StopReason::kLeaseLost:
        completion.mutable_error()->set_type(kLeaseLostErrorType);
        break;
      default:
        break;
    }
  }
  if (options.hooks.attempt_finished) options.hooks.attempt_finished(Outcome(completion));
  spdlog::info("{} {} after {}", lease.handler(), completion.has_error() ? "failed" : "succeeded",
               absl::FormatDuration(absl::Now() - start));
  ShipLogs({{lease.attempt(), ctx}});  // the last lines land before the outcome
  Report(completion);
  std::lock_guard<std::mutex> lock(mu);
  running.erase(id);
  cv.notify_all();
}

// The outage rule, worker side: while the orchestrator answers that it cannot
// use its database, nobody can expire the attempt either, so those answers do
// not count against the tries; the report is retried until it lands or the
// worker's drain is over.
void Worker::Impl::Report(const v1::CompleteAttemptRequest& completion) {
  const auto& ref = completion.attempt();
  int counted = 0;
  for (int tries = 1; counted < kMaxCompletionTries; ++tries) {
    absl::Status s = client->Complete(completion);
    if (s.ok()) return;
    if (!IsTransient(s)) {
      spdlog::warn("task run {} attempt {}: completion refused: {}", ref.task_run_id(),
                   ref.attempt(), s.ToString());
      return;
    }
    if (!OrchestratorLostItsDatabase(s)) ++counted;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (finished) break;
    }
    const absl::Duration delay = BackoffDelay({absl::Milliseconds(200), 2.0, absl::Seconds(5), 0.2},
                                              std::min(tries, 16), UnitRandom());
    spdlog::warn("task run {} attempt {}: reporting failed: {}; retrying in {}", ref.task_run_id(),
                 ref.attempt(), s.ToString(), absl::FormatDuration(delay));
    absl::SleepFor(delay);
  }
  spdlog::error(
      "task run {} attempt {}: giving up reporting; the lease will expire and the "
      "orchestrator will run the task again",
      ref.task_run_id(), ref.attempt());
}

void Worker::Impl::HeartbeatLoop() {
  // Ticks often enough to stop handlers at their deadline and to honour the
  // shortest heartbeat timeout among running attempts.
  constexpr absl::Duration kTick = absl::Milliseconds(100);
  absl::Time last = absl::Now();
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu);
      const auto done = [this] { return finished || (polling_done && running.empty()); };
      if (cv.wait_for(lock, absl::ToChronoMilliseconds(kTick), done)) return;
    }
    EnforceDeadlines();
    if (absl::Now() - last < HeartbeatEvery()) continue;
    HeartbeatOnce();
    last = absl::Now();
  }
}

void Worker::Impl::LogShipLoop() {
  while (true) {
    std::vector<LogSource> sources;
    {
      std::unique_lock<std::mutex> lock(mu);
      const auto done = [this] { return finished || (polling_done && running.empty()); };
      if (cv.wait_for(lock, absl::ToChronoMilliseconds(options.log_flush_interval), done)) return;
      for (const auto& [id, r] : running) sources.emplace_back(r.ref, r.ctx);
    }
    ShipLogs(sources);
  }
}

// Sends what the attempts logged since their last shipment, in requests of
// bounded size. Lines that cannot be delivered are counted as dropped.
void Worker::Impl::ShipLogs(const std::vector<LogSource>& sources) {
  std::lock_guard<std::mutex> ship_lock(ship_mu);
  v1::AppendLogsRequest request;
  {
    std::lock_guard<std::mutex> lock(mu);
    request.set_worker_id(worker_id);
  }
  std::vector<std::pair<TaskContext*, int>> counts;  // lines per batch in `request`
  size_t bytes = 0;
  const auto flush = [&] {
    if (request.attempts_size() > 0) SendLogs(request, counts);
    request.clear_attempts();
    counts.clear();
    bytes = 0;
  };
  for (const auto& [ref, ctx] : sources) {
    AttemptLog::Pending pending = ctx->log().Take();
    if (pending.lines.empty() && pending.dropped == 0) continue;
    v1::AttemptLogs* batch = nullptr;
    const auto start_batch = [&] {
      batch = request.add_attempts();
      *batch->mutable_attempt() = ref;
      counts.emplace_back(ctx.get(), 0);
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

void Worker::Impl::SendLogs(const v1::AppendLogsRequest& request,
                            const std::vector<std::pair<TaskContext*, int>>& counts) {
  if (request.worker_id().empty()) return;
  auto response = client->AppendLogs(request);
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

absl::Duration Worker::Impl::HeartbeatEvery() {
  std::lock_guard<std::mutex> lock(mu);
  absl::Duration every = heartbeat_interval;
  for (const auto& [id, r] : running) every = std::min(every, r.heartbeat_timeout / 3);
  return every;
}

void Worker::Impl::EnforceDeadlines() {
  std::lock_guard<std::mutex> lock(mu);
  const absl::Time now = absl::Now();
  for (auto& [id, r] : running) {
    if (r.stop == StopReason::kNone && now >= r.ctx->deadline()) {
      Stop(r, StopReason::kExecutionTimeout, "execution timeout exceeded");
    }
  }
}

void Worker::Impl::Stop(Running& r, StopReason why, const std::string& reason) {
  if (r.stop == StopReason::kNone) r.stop = why;
  r.ctx->Cancel(reason);
}

void Worker::Impl::HeartbeatOnce() {
  std::vector<v1::AttemptRef> refs;
  std::string id;
  absl::Duration shortest_lease = absl::InfiniteDuration();
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [task_run_id, r] : running) {
      refs.push_back(r.ref);
      shortest_lease = std::min({shortest_lease, lease_duration, r.heartbeat_timeout});
    }
    id = worker_id;
  }
  if (refs.empty() || id.empty()) return;
  auto directives =
      client->Heartbeat(id, refs, HeartbeatCallDeadline(shortest_lease, options.rpc_timeout));
  std::lock_guard<std::mutex> lock(mu);
  const absl::Time now = absl::Now();
  if (!directives.ok()) {
    if (options.hooks.heartbeat_failed) options.hooks.heartbeat_failed();
    spdlog::warn("heartbeat: {}", directives.status().ToString());
    if (OrchestratorLostItsDatabase(directives.status())) database_answer_at = now;
    for (auto& [task_run_id, r] : running) {
      const absl::Duration lease = std::min(lease_duration, r.heartbeat_timeout);
      if (PresumeLeaseLost(now - r.lease_confirmed_at, now - database_answer_at, lease)) {
        Stop(r, StopReason::kLeaseLost,
             absl::StrCat("lease presumed lost: no heartbeat accepted for ",
                          absl::FormatDuration(now - r.lease_confirmed_at)));
      }
    }
    return;
  }
  for (const auto& d : *directives) {
    auto it = running.find(d.attempt().task_run_id());
    if (it == running.end() || it->second.ref.attempt() != d.attempt().attempt()) continue;
    if (d.action() == v1::AttemptDirective::CONTINUE) {
      it->second.lease_confirmed_at = now;
    } else {
      spdlog::warn("task run {} attempt {}: {}", d.attempt().task_run_id(), d.attempt().attempt(),
                   d.reason());
      if (d.action() == v1::AttemptDirective::CANCEL) {
        Stop(it->second, StopReason::kCancelled, absl::StrCat("cancelled: ", d.reason()));
      } else {
        Stop(it->second, StopReason::kLeaseLost, absl::StrCat("lease lost: ", d.reason()));
      }
    }
  }
}

void Worker::Impl::Drain() {
  std::unique_lock<std::mutex> lock(mu);
  if (!cv.wait_for(lock, absl::ToChronoMilliseconds(options.drain_timeout),
                   [this] { return running.empty(); })) {
    spdlog::warn("drain: {} attempt(s) still running after {}; cancelling them", running.size(),
                 absl::FormatDuration(options.drain_timeout));
    for (auto& [id, r] : running) Stop(r, StopReason::kShutdown, "worker shutting down");
    cv.wait_for(lock, absl::ToChronoMilliseconds(kCancelGrace), [this] { return running.empty(); });
  }
}

Worker::Worker(WorkerOptions options) : impl_(std::make_unique<Impl>()) {
  if (options.name.empty()) options.name = DefaultName();
  impl_->options = std::move(options);
  impl_->client = std::make_unique<OrchestratorClient>(
      rpc::ChannelOptions{impl_->options.orchestrator, impl_->options.security, kKeepalive},
      impl_->options.rpc_timeout);
}

Worker::~Worker() = default;

void Worker::Register(const std::string& name, Handler handler) {
  impl_->handlers[name] = std::move(handler);
}

absl::Status Worker::Run() {
  Impl& w = *impl_;
  if (!w.client->status().ok()) return w.client->status();
  if (w.options.slots < 1 || w.options.slots > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("slots: ", w.options.slots, " is out of range; expected 1..1024"));
  }
  std::vector<std::thread> slots;
  for (int i = 0; i < w.options.slots; ++i) slots.emplace_back([&w] { w.SlotLoop(); });
  std::thread heartbeats([&w] { w.HeartbeatLoop(); });
  std::thread log_shipper([&w] { w.LogShipLoop(); });
  w.PollLoop();  // returns once Stop() was called
  w.Drain();
  bool abandoned = false;
  {
    std::lock_guard<std::mutex> lock(w.mu);
    w.finished = true;
    abandoned = !w.running.empty();
    w.cv.notify_all();
  }
  heartbeats.join();
  log_shipper.join();
  for (auto& t : slots) {
    // A handler that ignored cancellation cannot be joined within a bound.
    if (abandoned)
      t.detach();
    else
      t.join();
  }
  if (abandoned) spdlog::error("drain: abandoned handlers that ignored cancellation");
  std::string id;
  {
    std::lock_guard<std::mutex> lock(w.mu);
    id = w.worker_id;
  }
  if (!id.empty()) {
    absl::Status s = w.client->Deregister(id);
    if (!s.ok()) spdlog::warn("deregister: {}", s.ToString());
  }
  spdlog::info("worker stopped");
  std::lock_guard<std::mutex> lock(w.mu);
  return w.refused;
}

int Worker::BusySlots() const { return impl_->options.slots - impl_->FreeSlots(); }

void Worker::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
    impl_->cv.notify_all();
  }
  impl_->client->CancelPolls();
}

}  // namespace baton::worker
