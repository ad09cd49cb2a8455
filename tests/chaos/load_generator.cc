#include "tests/chaos/load_generator.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "tests/chaos/soak_flows.h"

namespace baton::chaos {
namespace {

constexpr int kKeyedCalls = 4;
constexpr absl::Duration kCancelAfter = absl::Seconds(2);

// Sleeps up to `d`, in steps, returning early once `stop` is set.
void SleepUnlessStopped(absl::Duration d, const std::atomic<bool>& stop) {
  const absl::Time until = absl::Now() + d;
  while (!stop.load() && absl::Now() < until) {
    absl::SleepFor(std::min(absl::Milliseconds(100), until - absl::Now()));
  }
}

std::string FirstLine(const std::string& text) {
  return std::string(absl::StripAsciiWhitespace(text.substr(0, text.find('\n'))));
}

}  // namespace

LoadGenerator::LoadGenerator(const SoakCluster& cluster, uint64_t seed, std::string tag)
    : cluster_(cluster), random_(seed), tag_(std::move(tag)) {}

LoadGenerator::~LoadGenerator() { Stop(); }

void LoadGenerator::Start() {
  thread_ = std::thread([this] { Run(); });
}

void LoadGenerator::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<Submit> LoadGenerator::Submits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return submits_;
}

std::vector<CallRecord> LoadGenerator::Calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

size_t LoadGenerator::Draw(size_t n) { return static_cast<size_t>(random_() % n); }

testing::CliResult LoadGenerator::Cli(const std::string& what, std::vector<std::string> args) {
  CallRecord call{absl::Now(), absl::Now(), what, ""};
  testing::CliResult result = cluster_.Cli(std::move(args));
  call.end = absl::Now();
  if (result.exit_code != 0) {
    call.error = absl::StrCat("exit ", result.exit_code, ": ", FirstLine(result.err));
  }
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(std::move(call));
  return result;
}

void LoadGenerator::Run() {
  while (!stop_.load()) {
    // Drawn before the submit, whatever its outcome: the seed fixes the load.
    const absl::Duration pause = absl::Milliseconds(1000 + static_cast<int64_t>(Draw(1001)));
    SubmitOne();
    CancelDue();
    SleepUnlessStopped(pause, stop_);
  }
}

void LoadGenerator::SubmitOne() {
  int total = 0;
  for (const SoakFlow& f : SoakFlows()) total += f.weight;
  int pick = static_cast<int>(Draw(static_cast<size_t>(total)));
  const SoakFlow* flow = nullptr;
  for (const SoakFlow& f : SoakFlows()) {
    if (flow == nullptr && pick < f.weight) flow = &f;
    pick -= f.weight;
  }
  const bool keyed = Draw(2) == 0;
  const bool repeat = Draw(7) == 0;
  const bool primary_down = Draw(5) < 2;

  Submit s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.seq = static_cast<int>(submits_.size()) + 1;
  }
  s.flow = flow->name;
  s.correlation_id = absl::StrCat(tag_, "-", s.seq);
  if (keyed) s.idempotency_key = absl::StrCat(tag_, "-key-", s.seq);
  if (s.flow == "chaos-breaker") {
    s.params = {absl::StrCat("q=s", s.seq),
                absl::StrCat("primary_down=", primary_down ? "true" : "false")};
  }
  s.submitted_at = absl::Now();
  const int calls = keyed ? kKeyedCalls : 1;
  for (int i = 0; i < calls && !Call(s); ++i) {
    if (i + 1 < calls) absl::SleepFor(absl::Seconds(1));
  }
  // The same key once more: it must name the same run.
  if (keyed && repeat && !s.acked_run_ids.empty()) Call(s);

  std::lock_guard<std::mutex> lock(mu_);
  submits_.push_back(s);
  if (s.flow == "chaos-cancel" && !s.acked_run_ids.empty()) {
    cancels_.emplace_back(absl::Now() + kCancelAfter, submits_.size() - 1);
  }
}

bool LoadGenerator::Call(Submit& submit) {
  std::vector<std::string> args = {
      "-o", "json", "run", "start", submit.flow, "--correlation-id", submit.correlation_id};
  if (!submit.idempotency_key.empty()) {
    args.insert(args.end(), {"--idempotency-key", submit.idempotency_key});
  }
  for (const std::string& p : submit.params) args.insert(args.end(), {"-p", p});
  ++submit.calls;
  const testing::CliResult started = Cli("run start " + submit.flow, args);
  const nlohmann::json out = nlohmann::json::parse(started.out, nullptr, false);
  if (started.exit_code == 0 && out.is_object() && out.contains("run") &&
      out["run"].contains("id")) {
    submit.acked_run_ids.push_back(out["run"]["id"].get<std::string>());
    return true;
  }
  submit.last_error = absl::StrCat("exit ", started.exit_code, ": ", FirstLine(started.err));
  return false;
}

void LoadGenerator::CancelDue() {
  for (auto it = cancels_.begin(); it != cancels_.end();) {
    if (it->first > absl::Now()) {
      ++it;
      continue;
    }
    std::string run_id;
    {
      std::lock_guard<std::mutex> lock(mu_);
      run_id = submits_[it->second].acked_run_ids.front();
    }
    testing::CliResult cancelled;
    for (int i = 0; i < 3; ++i) {
      cancelled =
          Cli("run cancel " + run_id, {"run", "cancel", run_id, "--reason", "chaos soak cancel"});
      if (cancelled.exit_code == 0 || absl::StrContains(cancelled.err, "FAILED_PRECONDITION")) {
        break;
      }
      absl::SleepFor(absl::Seconds(1));
    }
    std::lock_guard<std::mutex> lock(mu_);
    Submit& s = submits_[it->second];
    s.cancel_acked = cancelled.exit_code == 0;
    s.cancel_error = cancelled.exit_code == 0 ? "" : FirstLine(cancelled.err);
    it = cancels_.erase(it);
  }
}

}  // namespace baton::chaos
