#include "common/spec/deployment.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/spec/cron.h"

namespace baton {
namespace {

constexpr int kMaxFires = 1000;

bool IsInfinite(absl::Duration d) {
  return d == absl::InfiniteDuration() || d == -absl::InfiniteDuration();
}

// Up to `count` fires of a cron schedule after `after`, within start..end.
std::vector<absl::Time> CronFires(const ScheduleSpec& schedule, absl::Time after, size_t count) {
  absl::StatusOr<cron::CronSpec> spec = cron::ParseCron(schedule.cron);
  absl::StatusOr<absl::TimeZone> zone = cron::LoadZone(schedule.timezone);
  if (!spec.ok() || !zone.ok()) return {};  // a spec no parser accepted
  // Just before start, so that a fire exactly at start is found.
  absl::Time from = schedule.start > after ? schedule.start - absl::Nanoseconds(1) : after;
  std::vector<absl::Time> fires;
  while (fires.size() < count) {
    std::optional<absl::Time> next = cron::NextFire(*spec, *zone, from);
    if (!next.has_value() || *next > schedule.end) break;
    if (*next >= schedule.start) fires.push_back(*next);
    from = *next;
  }
  return fires;
}

// The smallest k with anchor + k * interval > t (>= t unless `strict`), or
// nullopt when t is too far from the anchor to count.
std::optional<int64_t> FirstIndex(absl::Time anchor, absl::Duration interval, absl::Time t,
                                  bool strict) {
  absl::Duration offset = t - anchor;
  if (IsInfinite(offset)) return std::nullopt;
  absl::Duration rest;
  int64_t k = absl::IDivDuration(offset, interval, &rest);  // truncated
  if (rest < absl::ZeroDuration()) {
    --k;
    rest += interval;
  }
  // Now anchor + k * interval <= t < anchor + (k + 1) * interval.
  return rest == absl::ZeroDuration() && !strict ? k : k + 1;
}

// Up to `count` fires of an interval schedule after `after`, within
// start..end: anchor + k * interval for integers k, negative ones too.
std::vector<absl::Time> IntervalFires(const ScheduleSpec& schedule, absl::Time after,
                                      size_t count) {
  const absl::Duration interval = schedule.interval;
  if (interval <= absl::ZeroDuration() || after == absl::InfiniteFuture()) {
    return {};
  }
  std::optional<int64_t> k;
  if (after != absl::InfinitePast()) {
    k = FirstIndex(schedule.anchor, interval, after, /*strict=*/true);
    if (!k.has_value()) return {};
  }
  if (schedule.start != absl::InfinitePast()) {
    std::optional<int64_t> from_start =
        FirstIndex(schedule.anchor, interval, schedule.start, false);
    if (!from_start.has_value()) return {};
    k = std::max(k.value_or(*from_start), *from_start);
  }
  if (!k.has_value()) return {};  // no first fire after the infinite past
  std::vector<absl::Time> fires;
  for (absl::Time fire = schedule.anchor + interval * *k;
       fires.size() < count && fire <= schedule.end; fire += interval) {
    fires.push_back(fire);
  }
  return fires;
}

}  // namespace

absl::string_view Name(OverlapPolicy policy) {
  switch (policy) {
    case OverlapPolicy::kAllow:
      return "allow";
    case OverlapPolicy::kSkip:
      return "skip";
    case OverlapPolicy::kBufferOne:
      return "buffer_one";
    case OverlapPolicy::kCancelPrevious:
      return "cancel_previous";
  }
  return "allow";
}

absl::string_view Name(CatchUpPolicy::Kind kind) {
  switch (kind) {
    case CatchUpPolicy::Kind::kSkip:
      return "skip";
    case CatchUpPolicy::Kind::kLatest:
      return "latest";
    case CatchUpPolicy::Kind::kAll:
      return "all";
  }
  return "skip";
}

std::vector<absl::Time> NextDeploymentFires(const DeploymentSpec& spec, absl::Time after,
                                            int count) {
  if (count <= 0) return {};
  const size_t wanted = static_cast<size_t>(std::min(count, kMaxFires));
  std::vector<absl::Time> fires;
  for (const ScheduleSpec& schedule : spec.schedules) {
    std::vector<absl::Time> own = schedule.cron.empty() ? IntervalFires(schedule, after, wanted)
                                                        : CronFires(schedule, after, wanted);
    fires.insert(fires.end(), own.begin(), own.end());
  }
  std::sort(fires.begin(), fires.end());
  fires.erase(std::unique(fires.begin(), fires.end()), fires.end());
  if (fires.size() > wanted) fires.resize(wanted);
  return fires;
}

}  // namespace baton
