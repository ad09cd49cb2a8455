#include "tests/chaos/fault_plan.h"

#include "absl/strings/str_cat.h"

namespace baton::chaos {
namespace {

// Gaps between faults, and how long each kind holds.
constexpr absl::Duration kGapLow = absl::Seconds(3);
constexpr absl::Duration kGapHigh = absl::Seconds(8);

struct HoldRange {
  absl::Duration low;
  absl::Duration high;
};

HoldRange Holds(FaultKind kind) {
  switch (kind) {
    case FaultKind::kWorkerKill:
      return {absl::Milliseconds(500), absl::Seconds(5)};
    case FaultKind::kReplicaKill:
      return {absl::Seconds(1), absl::Seconds(6)};
    case FaultKind::kPgRestartFast:
    case FaultKind::kPgRestartImmediate:
      return {absl::Milliseconds(500), absl::Seconds(8)};
    case FaultKind::kPgTerminate:
      return {absl::ZeroDuration(), absl::ZeroDuration()};
    case FaultKind::kReadOnly:
      return {absl::Seconds(5), absl::Seconds(20)};
    case FaultKind::kBlackhole:
      return {absl::Seconds(5), absl::Seconds(25)};
    case FaultKind::kWorkerStop:
    case FaultKind::kWorkerNetCut:
    case FaultKind::kReplicaStop:
      return {absl::Seconds(3), absl::Seconds(15)};
  }
  return {};
}

}  // namespace

absl::string_view Name(FaultKind kind) {
  switch (kind) {
    case FaultKind::kWorkerKill:
      return "worker-kill";
    case FaultKind::kWorkerStop:
      return "worker-stop";
    case FaultKind::kWorkerNetCut:
      return "worker-netcut";
    case FaultKind::kReplicaKill:
      return "replica-kill";
    case FaultKind::kReplicaStop:
      return "replica-stop";
    case FaultKind::kPgRestartFast:
      return "pg-restart-fast";
    case FaultKind::kPgRestartImmediate:
      return "pg-restart-immediate";
    case FaultKind::kPgTerminate:
      return "pg-terminate";
    case FaultKind::kReadOnly:
      return "db-read-only";
    case FaultKind::kBlackhole:
      return "db-blackhole";
  }
  return "?";
}

std::string Describe(const Fault& fault) {
  std::string text = absl::StrCat(Name(fault.kind), " ", fault.target);
  if (fault.hold > absl::ZeroDuration()) {
    absl::StrAppend(&text, " for ", absl::FormatDuration(fault.hold));
  }
  return text;
}

FaultPlan::FaultPlan(uint64_t seed, std::vector<std::string> workers,
                     std::vector<std::string> replicas)
    : random_(seed), workers_(std::move(workers)), replicas_(std::move(replicas)) {}

// Millisecond steps with integer arithmetic: the same on every standard library.
absl::Duration FaultPlan::Between(absl::Duration low, absl::Duration high) {
  const uint64_t span = static_cast<uint64_t>(absl::ToInt64Milliseconds(high - low)) + 1;
  return low + absl::Milliseconds(static_cast<int64_t>(random_() % span));
}

const std::string& FaultPlan::Pick(const std::vector<std::string>& from) {
  return from[random_() % from.size()];
}

std::string FaultPlan::TargetFor(FaultKind kind) {
  static const std::vector<std::string> kSessions = {"all", "lock", "pooled"};
  switch (kind) {
    case FaultKind::kWorkerKill: {
      std::vector<std::string> choices = workers_;
      choices.push_back("busy");
      return Pick(choices);
    }
    case FaultKind::kWorkerStop:
    case FaultKind::kWorkerNetCut:
      return Pick(workers_);
    case FaultKind::kReplicaKill:
    case FaultKind::kReplicaStop:
      return Pick(replicas_);
    case FaultKind::kBlackhole: {
      std::vector<std::string> choices = replicas_;
      choices.push_back("both");
      return Pick(choices);
    }
    case FaultKind::kPgTerminate:
      return Pick(kSessions);
    case FaultKind::kPgRestartFast:
    case FaultKind::kPgRestartImmediate:
    case FaultKind::kReadOnly:
      return "postgres";
  }
  return "";
}

Fault FaultPlan::Next() {
  if (round_.empty()) {
    round_.assign(std::begin(kAllFaultKinds), std::end(kAllFaultKinds));
    for (size_t i = round_.size() - 1; i > 0; --i) {  // Fisher-Yates
      std::swap(round_[i], round_[random_() % (i + 1)]);
    }
  }
  Fault fault;
  fault.kind = round_.back();
  round_.pop_back();
  fault.gap_before = Between(kGapLow, kGapHigh);
  fault.target = TargetFor(fault.kind);
  const HoldRange range = Holds(fault.kind);
  fault.hold = Between(range.low, range.high);
  return fault;
}

}  // namespace baton::chaos
