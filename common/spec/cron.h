// Cron schedules with IANA time zones and a written daylight-saving rule.
//
// Syntax: five fields "minute hour day-of-month month day-of-week", each a
// list of `*`, values, ranges `a-b` and steps `*/n` or `a-b/n` (or `a/n`:
// from a to the field's end); month names JAN..DEC and weekday names SUN..SAT
// (case-insensitive), weekday 7 also meaning Sunday; macros @yearly
// (@annually), @monthly, @weekly, @daily (@midnight), @hourly. When both
// day-of-month and day-of-week are restricted, a day matches if either
// matches (classic cron).
//
// Daylight-saving rule (see NextFire):
//  - a local time that does not exist (spring forward) fires once, at the
//    first instant after the gap;
//  - a local time that occurs twice (fall back) fires once, at its first
//    occurrence — except for schedules whose hour field is `*` (every hour),
//    which fire at both occurrences, so that `*/15 * * * *` keeps firing every
//    15 real minutes through both changes.
//
// Pure; thread-safe.
#pragma once

#include <bitset>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/limits.h"

namespace baton::cron {

inline constexpr size_t kMaxExpressionLength = kMaxCronExpressionLength;  // common/base/limits.h
// NextFire looks at most this far past `after` (local calendar years).
inline constexpr int kMaxSearchYears = 30;

struct CronSpec {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days_of_month;         // bits 1..31
  std::bitset<13> months;                // bits 1..12
  std::bitset<7> days_of_week;           // bit 0 = Sunday
  bool day_of_month_restricted = false;  // the field was not `*`
  bool day_of_week_restricted = false;
  bool every_hour = false;  // the hour field is `*`
  std::string text;         // as given
};

// Parses `text`. INVALID_ARGUMENT names the expression, the field and its
// 1-based character position in `text`, what was wrong and what was
// expected, e.g.
//   cron "*/0 * * * *": minute field at position 1: step 0; expected a step of 1 or more
//   cron "60 * * * *": minute field at position 1: 60 is out of range; expected 0-59
//   cron "0 0 30 2 *": can never fire: February has no day 30; expected a day that exists
// Too long (> kMaxExpressionLength), wrong field count, unknown names or
// macros, reversed ranges, empty list items are errors too.
absl::StatusOr<CronSpec> ParseCron(absl::string_view text);

// Resolves an IANA time zone name ("Europe/Madrid", "UTC") from the system's
// tzdata. INVALID_ARGUMENT `time zone "Mars/Olympus": unknown; expected an
// IANA name such as Europe/Madrid` for an unknown name or one longer than 64.
absl::StatusOr<absl::TimeZone> LoadZone(absl::string_view name);

// The first fire time strictly after `after`, by the daylight-saving rule
// above; nullopt if there is none within kMaxSearchYears. Properties:
// NextFire(t) > t; every instant u in [t, NextFire(t)) has the same answer;
// successive answers strictly increase.
std::optional<absl::Time> NextFire(const CronSpec& spec, const absl::TimeZone& zone,
                                   absl::Time after);

// The next `count` fire times after `after` (fewer if the schedule ends).
std::vector<absl::Time> NextFires(const CronSpec& spec, const absl::TimeZone& zone,
                                  absl::Time after, int count);

// Whether the UTC offset of `zone` differs between the two instants (marks a
// daylight-saving change between successive fire times in previews).
bool OffsetChanged(const absl::TimeZone& zone, absl::Time a, absl::Time b);

}  // namespace baton::cron
