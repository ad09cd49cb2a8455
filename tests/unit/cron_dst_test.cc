// The daylight-saving rule of cron.h in four zones, against the 2026 changes
// of the system's tzdata (checked first, so a tzdata update that moves a
// change fails with a clear message rather than a puzzling fire time):
//   Europe/Madrid        2026-03-29 02:00 -> 03:00    2026-10-25 03:00 -> 02:00
//   America/New_York     2026-03-08 02:00 -> 03:00    2026-11-01 02:00 -> 01:00
//   Australia/Lord_Howe  2026-10-04 02:00 -> 02:30    2026-04-05 02:00 -> 01:30
//   America/Santiago     2026-09-06 00:00 -> 01:00    2026-04-05 00:00 -> 04-04 23:00
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "common/spec/cron.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::cron {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), absl::UTCTimeZone());
}

CronSpec Parse(absl::string_view text) {
  absl::StatusOr<CronSpec> spec = ParseCron(text);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : CronSpec{};
}

struct LocalTime {
  int hour;
  int minute;
  std::string Daily() const { return absl::StrFormat("%d %d * * *", minute, hour); }
};

struct Change {
  absl::Time at;      // the instant of the change
  int offset_before;  // seconds east of UTC
  int offset_after;
  LocalTime local;         // a local time in the gap, or in the repeated stretch
  absl::Time first_local;  // when `local` first occurs on the day of a fall-back
};

struct ZoneCase {
  const char* zone;
  Change spring;
  Change fall;
};

void PrintTo(const ZoneCase& c, std::ostream* os) { *os << c.zone; }

const ZoneCase kZoneCases[] = {
    {"Europe/Madrid",
     {Utc(2026, 3, 29, 1), 3600, 7200, {2, 30}, absl::Time()},
     {Utc(2026, 10, 25, 1), 7200, 3600, {2, 30}, Utc(2026, 10, 25, 0, 30)}},
    {"America/New_York",
     {Utc(2026, 3, 8, 7), -5 * 3600, -4 * 3600, {2, 30}, absl::Time()},
     {Utc(2026, 11, 1, 6), -4 * 3600, -5 * 3600, {1, 30}, Utc(2026, 11, 1, 5, 30)}},
    {"Australia/Lord_Howe",
     {Utc(2026, 10, 3, 15, 30), 37800, 39600, {2, 15}, absl::Time()},
     {Utc(2026, 4, 4, 15), 39600, 37800, {1, 45}, Utc(2026, 4, 4, 14, 45)}},
    {"America/Santiago",
     {Utc(2026, 9, 6, 4), -4 * 3600, -3 * 3600, {0, 30}, absl::Time()},
     {Utc(2026, 4, 5, 3), -3 * 3600, -4 * 3600, {23, 30}, Utc(2026, 4, 5, 2, 30)}},
};

class CronDstTest : public ::testing::TestWithParam<ZoneCase> {
 protected:
  void SetUp() override {
    absl::StatusOr<absl::TimeZone> zone = LoadZone(GetParam().zone);
    ASSERT_TRUE(zone.ok()) << zone.status();
    zone_ = *zone;
    for (const Change& change : {GetParam().spring, GetParam().fall}) {
      ASSERT_EQ(zone_.At(change.at - absl::Seconds(1)).offset, change.offset_before)
          << "tzdata no longer has this change: " << change.at;
      ASSERT_EQ(zone_.At(change.at).offset, change.offset_after)
          << "tzdata no longer has this change: " << change.at;
    }
  }

  // The same local time on the day after the one `t` falls on (no change then).
  absl::Time NextDay(absl::Time t, LocalTime local) const {
    const absl::CivilDay day = absl::CivilDay(zone_.At(t).cs) + 1;
    return absl::FromCivil(
        absl::CivilMinute(day.year(), day.month(), day.day(), local.hour, local.minute), zone_);
  }

  std::vector<absl::Duration> Gaps(const std::vector<absl::Time>& fires) const {
    std::vector<absl::Duration> gaps;
    for (size_t i = 1; i < fires.size(); ++i) gaps.push_back(fires[i] - fires[i - 1]);
    return gaps;
  }

  absl::TimeZone zone_;
};

TEST_P(CronDstTest, LocalTimeInTheGapFiresOnceAtTheEndOfTheGap) {
  const Change& spring = GetParam().spring;
  const CronSpec spec = Parse(spring.local.Daily());
  const std::vector<absl::Time> fires = NextFires(spec, zone_, spring.at - absl::Hours(12), 2);
  EXPECT_THAT(fires, ElementsAre(spring.at, NextDay(spring.at, spring.local)));
  EXPECT_THAT(NextFire(spec, zone_, spring.at - absl::Microseconds(1)), Optional(spring.at));
}

TEST_P(CronDstTest, LocalTimeInTheRepeatedStretchFiresOnceAtItsFirstOccurrence) {
  const Change& fall = GetParam().fall;
  ASSERT_LT(fall.first_local, fall.at);
  const CronSpec spec = Parse(fall.local.Daily());
  const std::vector<absl::Time> fires = NextFires(spec, zone_, fall.at - absl::Hours(12), 2);
  EXPECT_THAT(fires, ElementsAre(fall.first_local, NextDay(fall.at, fall.local)));
  EXPECT_GT(fires[1] - fires[0], absl::Hours(23));
}

TEST_P(CronDstTest, EveryFifteenMinutesKeepsRealTimeThroughBothChanges) {
  const CronSpec spec = Parse("*/15 * * * *");
  for (const Change& change : {GetParam().spring, GetParam().fall}) {
    const std::vector<absl::Time> fires = NextFires(spec, zone_, change.at - absl::Hours(3), 24);
    ASSERT_EQ(fires.size(), 24u);
    EXPECT_LT(fires.front(), change.at);
    EXPECT_GT(fires.back(), change.at + absl::Hours(2));
    EXPECT_THAT(Gaps(fires), ::testing::Each(absl::Minutes(15))) << change.at;
    EXPECT_THAT(fires, ::testing::Contains(change.at));
  }
}

TEST_P(CronDstTest, EveryMinuteKeepsRealTimeThroughBothChanges) {
  const CronSpec spec = Parse("* * * * *");
  for (const Change& change : {GetParam().spring, GetParam().fall}) {
    const std::vector<absl::Time> fires = NextFires(spec, zone_, change.at - absl::Hours(1), 150);
    ASSERT_EQ(fires.size(), 150u);
    EXPECT_THAT(Gaps(fires), ::testing::Each(absl::Minutes(1))) << change.at;
  }
}

TEST_P(CronDstTest, FixedHourWithEveryMinuteFiresOnceInTheGapAndOnlyFirstInTheRepeat) {
  // Hour field not `*`: the repeated stretch is not run twice.
  const Change& fall = GetParam().fall;
  const CronSpec spec = Parse(absl::StrFormat("*/5 %d * * *", fall.local.hour));
  const std::vector<absl::Time> fires = NextFires(spec, zone_, fall.at - absl::Hours(6), 13);
  ASSERT_EQ(fires.size(), 13u);
  const auto gaps = Gaps(fires);
  EXPECT_THAT(std::vector<absl::Duration>(gaps.begin(), gaps.begin() + 11),
              ::testing::Each(absl::Minutes(5)));
  EXPECT_GT(gaps.back(), absl::Hours(22));
  EXPECT_LT(fires[11], fall.at);

  // Every minute of the missing hour collapses onto the end of the gap.
  const Change& spring = GetParam().spring;
  const absl::CivilHour gap_hour(absl::CivilMinute(zone_.At(spring.at - absl::Seconds(1)).cs) + 1);
  const CronSpec in_gap = Parse(absl::StrFormat("* %d * * *", gap_hour.hour()));
  EXPECT_THAT(NextFire(in_gap, zone_, spring.at - absl::Hours(2)), Optional(spring.at));
}

TEST_P(CronDstTest, OffsetChangedAcrossEachChangeOnly) {
  for (const Change& change : {GetParam().spring, GetParam().fall}) {
    EXPECT_TRUE(OffsetChanged(zone_, change.at - absl::Seconds(1), change.at));
    EXPECT_TRUE(OffsetChanged(zone_, change.at - absl::Hours(20), change.at + absl::Hours(20)));
    EXPECT_FALSE(OffsetChanged(zone_, change.at, change.at + absl::Hours(20)));
    EXPECT_FALSE(OffsetChanged(zone_, change.at - absl::Hours(20), change.at - absl::Seconds(1)));
  }
}

INSTANTIATE_TEST_SUITE_P(Zones, CronDstTest, ::testing::ValuesIn(kZoneCases),
                         [](const ::testing::TestParamInfo<ZoneCase>& info) {
                           std::string name = info.param.zone;
                           for (char& ch : name) {
                             if (ch == '/') ch = '_';
                           }
                           return name;
                         });

TEST(CronDstMadridTest, NineOClockIsSevenUtcInSummerAndEightInWinter) {
  const absl::TimeZone madrid = *LoadZone("Europe/Madrid");
  const CronSpec spec = Parse("0 9 * * *");
  EXPECT_THAT(NextFire(spec, madrid, Utc(2026, 7, 1)), Optional(Utc(2026, 7, 1, 7)));
  EXPECT_THAT(NextFire(spec, madrid, Utc(2026, 1, 15)), Optional(Utc(2026, 1, 15, 8)));
  const std::vector<absl::Time> spring = NextFires(spec, madrid, Utc(2026, 3, 27), 4);
  EXPECT_THAT(spring, ElementsAre(Utc(2026, 3, 27, 8), Utc(2026, 3, 28, 8), Utc(2026, 3, 29, 7),
                                  Utc(2026, 3, 30, 7)));
  EXPECT_FALSE(OffsetChanged(madrid, spring[0], spring[1]));
  EXPECT_TRUE(OffsetChanged(madrid, spring[1], spring[2]));
  EXPECT_THAT(NextFires(spec, madrid, Utc(2026, 10, 24), 3),
              ElementsAre(Utc(2026, 10, 24, 7), Utc(2026, 10, 25, 8), Utc(2026, 10, 26, 8)));
}

TEST(CronDstMadridTest, HourlyFiresEachRealHourThroughBothChanges) {
  const absl::TimeZone madrid = *LoadZone("Europe/Madrid");
  // 01:00 CET, then 02:00 does not exist: 03:00 CEST, one hour later.
  EXPECT_THAT(NextFires(Parse("@hourly"), madrid, Utc(2026, 3, 28, 23, 30), 3),
              ElementsAre(Utc(2026, 3, 29, 0), Utc(2026, 3, 29, 1), Utc(2026, 3, 29, 2)));
  // 02:00 CEST, 02:00 CET, 03:00 CET.
  EXPECT_THAT(NextFires(Parse("@hourly"), madrid, Utc(2026, 10, 24, 23, 30), 3),
              ElementsAre(Utc(2026, 10, 25, 0), Utc(2026, 10, 25, 1), Utc(2026, 10, 25, 2)));
}

TEST(CronDstSantiagoTest, MidnightOnTheSpringForwardDayFiresAtOneLocal) {
  const absl::TimeZone santiago = *LoadZone("America/Santiago");
  const std::vector<absl::Time> fires =
      NextFires(Parse("0 0 * * *"), santiago, Utc(2026, 9, 4, 12), 3);
  // 00:00 -04, then 01:00 -03 (00:00 does not exist on 09-06), then 00:00 -03.
  EXPECT_THAT(fires, ElementsAre(Utc(2026, 9, 5, 4), Utc(2026, 9, 6, 4), Utc(2026, 9, 7, 3)));
  const absl::CivilSecond local(santiago.At(fires[1]).cs);
  EXPECT_EQ(local, absl::CivilSecond(2026, 9, 6, 1, 0, 0));
}

TEST(CronDstSantiagoTest, MidnightAfterTheFallBackExistsOnce) {
  const absl::TimeZone santiago = *LoadZone("America/Santiago");
  // 23:00-23:59 on 04-04 repeats; midnight of 04-05 comes after both, at -04.
  EXPECT_THAT(NextFires(Parse("0 0 * * *"), santiago, Utc(2026, 4, 4, 12), 2),
              ElementsAre(Utc(2026, 4, 5, 4), Utc(2026, 4, 6, 4)));
}

}  // namespace
}  // namespace baton::cron
