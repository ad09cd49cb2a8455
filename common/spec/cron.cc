// Fire times: matching local civil minutes mapped to instants by the
// daylight-saving rule in cron.h. The parser is in cron_parse.cc.
#include "common/spec/cron.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"

namespace baton::cron {
namespace {

constexpr size_t kMaxZoneNameLength = 64;
// Longer than any repeated stretch of local time in current tzdata (1 hour
// almost everywhere, 3 hours at Antarctica/Casey), so the walk below starts
// early enough to see the second occurrence of a civil time before `after`,
// and runs far enough past the best candidate to see any earlier instant.
constexpr int kOverlapMinutes = 4 * 60;

int WeekdayBit(absl::Weekday weekday) {
  // absl counts from Monday = 0; cron from Sunday = 0.
  return (static_cast<int>(weekday) + 1) % 7;
}

bool DayMatches(const CronSpec& spec, absl::CivilDay day) {
  const bool dom = spec.days_of_month[day.day()];
  const bool dow = spec.days_of_week[WeekdayBit(absl::GetWeekday(day))];
  if (spec.day_of_month_restricted && spec.day_of_week_restricted) return dom || dow;
  return dom && dow;
}

// The first civil minute >= `c` that the schedule selects, if one lies in a
// year <= `last_year`. Jumps whole months, days and hours that do not match,
// so a year costs at most a few hundred steps.
std::optional<absl::CivilMinute> NextMatch(const CronSpec& spec, absl::CivilMinute c,
                                           absl::civil_year_t last_year) {
  while (c.year() <= last_year) {
    if (!spec.months[c.month()]) {
      c = absl::CivilMinute(absl::CivilMonth(c) + 1);
    } else if (!DayMatches(spec, absl::CivilDay(c))) {
      c = absl::CivilMinute(absl::CivilDay(c) + 1);
    } else if (!spec.hours[c.hour()]) {
      c = absl::CivilMinute(absl::CivilHour(c) + 1);
    } else if (!spec.minutes[c.minute()]) {
      c += 1;
    } else {
      return c;
    }
  }
  return std::nullopt;
}

// The earliest instant after `after` at which civil minute `c` fires.
std::optional<absl::Time> FireAfter(const CronSpec& spec, const absl::TimeZone& zone,
                                    absl::CivilMinute c, absl::Time after) {
  const absl::TimeZone::TimeInfo info = zone.At(absl::CivilSecond(c));
  absl::Time first = info.pre;
  if (info.kind == absl::TimeZone::TimeInfo::SKIPPED) first = info.trans;
  if (first > after) return first;
  if (info.kind == absl::TimeZone::TimeInfo::REPEATED && spec.every_hour && info.post > after) {
    return info.post;
  }
  return std::nullopt;
}

bool PlausibleZoneName(absl::string_view name) {
  // cctz opens the name as a path below the zoneinfo folder: keep it there.
  if (name.empty() || name.size() > kMaxZoneNameLength || name == "localtime") return false;
  for (char ch : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '/' && ch != '_' &&
        ch != '-' && ch != '+') {
      return false;
    }
  }
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || part == "..") return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<absl::TimeZone> LoadZone(absl::string_view name) {
  absl::TimeZone zone;
  if (PlausibleZoneName(name) && absl::LoadTimeZone(std::string(name), &zone)) return zone;
  const absl::string_view shown = name.substr(0, kMaxZoneNameLength);
  return absl::InvalidArgumentError(
      absl::StrCat("time zone \"", absl::CHexEscape(shown), name.size() > shown.size() ? "..." : "",
                   "\": unknown; expected an IANA name such as Europe/Madrid"));
}

std::optional<absl::Time> NextFire(const CronSpec& spec, const absl::TimeZone& zone,
                                   absl::Time after) {
  if (after == absl::InfiniteFuture() || after == absl::InfinitePast()) return std::nullopt;
  const absl::CivilMinute now(zone.At(after).cs);
  const absl::civil_year_t last_year = now.year() + kMaxSearchYears;
  std::optional<absl::Time> best;
  absl::CivilMinute best_civil;
  for (auto c = NextMatch(spec, now - kOverlapMinutes, last_year); c.has_value();
       c = NextMatch(spec, *c + 1, last_year)) {
    // Local time only runs backwards inside an overlap, so later civil
    // minutes cannot fire before `best` any more.
    if (best.has_value() && *c - best_civil > kOverlapMinutes) break;
    const std::optional<absl::Time> fire = FireAfter(spec, zone, *c, after);
    if (fire.has_value() && (!best.has_value() || *fire < *best)) {
      best = fire;
      best_civil = absl::CivilMinute(zone.At(*fire).cs);
    }
  }
  return best;
}

std::vector<absl::Time> NextFires(const CronSpec& spec, const absl::TimeZone& zone,
                                  absl::Time after, int count) {
  std::vector<absl::Time> fires;
  fires.reserve(std::clamp(count, 0, 1024));
  while (static_cast<int>(fires.size()) < count) {
    const std::optional<absl::Time> next = NextFire(spec, zone, after);
    if (!next.has_value()) break;
    fires.push_back(*next);
    after = *next;
  }
  return fires;
}

bool OffsetChanged(const absl::TimeZone& zone, absl::Time a, absl::Time b) {
  return zone.At(a).offset != zone.At(b).offset;
}

}  // namespace baton::cron
