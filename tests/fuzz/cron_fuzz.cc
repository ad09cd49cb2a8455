// libFuzzer target: ParseCron takes any bytes without crashing, and every
// schedule it accepts fires after a fixed instant in UTC and Europe/Madrid,
// within the search bound, by an answer that holds until that fire time.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/time/civil_time.h"
#include "common/spec/cron.h"

namespace {

void Fail(const char* what, const baton::cron::CronSpec& spec) {
  std::fprintf(stderr, "cron \"%s\": %s\n", spec.text.c_str(), what);
  std::abort();
}

void CheckNextFire(const baton::cron::CronSpec& spec, const absl::TimeZone& zone) {
  // Madrid's repeated hour on 2026-10-25, so overlaps are exercised every time.
  static const absl::Time kAfter =
      absl::FromCivil(absl::CivilSecond(2026, 10, 25, 0, 30, 0), absl::UTCTimeZone());
  const std::optional<absl::Time> next = baton::cron::NextFire(spec, zone, kAfter);
  // The parser rejects schedules that can never fire; the rest fire within
  // eight years (February 29 around 2100).
  if (!next.has_value()) Fail("accepted but never fires", spec);
  if (*next <= kAfter) Fail("fires at or before `after`", spec);
  if (*next > kAfter + absl::Hours(24 * 366 * (baton::cron::kMaxSearchYears + 1))) {
    Fail("fires past the search bound", spec);
  }
  if (baton::cron::NextFire(spec, zone, *next - absl::Microseconds(1)) != next) {
    Fail("answer changes before the fire time", spec);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const absl::TimeZone kMadrid = [] {
    absl::StatusOr<absl::TimeZone> zone = baton::cron::LoadZone("Europe/Madrid");
    if (!zone.ok()) std::abort();  // tzdata missing: the run would prove nothing
    return *zone;
  }();
  const absl::StatusOr<baton::cron::CronSpec> spec =
      baton::cron::ParseCron(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!spec.ok()) {
    if (spec.status().message().empty()) std::abort();
    return 0;
  }
  CheckNextFire(*spec, absl::UTCTimeZone());
  CheckNextFire(*spec, kMadrid);
  return 0;
}
