// Pure tests of cron parsing and fire times: exact error messages, UTC
// schedules, and properties of NextFire over random instants and zones.
#include "common/spec/cron.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::cron {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

template <size_t N>
std::vector<int> Values(const std::bitset<N>& bits) {
  std::vector<int> values;
  for (size_t i = 0; i < N; ++i) {
    if (bits[i]) values.push_back(static_cast<int>(i));
  }
  return values;
}

std::vector<int> Span(int low, int high) {
  std::vector<int> values;
  for (int v = low; v <= high; ++v) values.push_back(v);
  return values;
}

CronSpec Parse(absl::string_view text) {
  absl::StatusOr<CronSpec> spec = ParseCron(text);
  if (!spec.ok()) {
    ADD_FAILURE() << "cron \"" << text << "\": " << spec.status();
    return CronSpec{};
  }
  return *std::move(spec);
}

// The error message for `text`, which must be rejected as INVALID_ARGUMENT.
std::string ErrorOf(absl::string_view text) {
  absl::StatusOr<CronSpec> spec = ParseCron(text);
  if (spec.ok()) return "<parsed>";
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << spec.status();
  return std::string(spec.status().message());
}

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

absl::TimeZone Zone(absl::string_view name) {
  absl::StatusOr<absl::TimeZone> zone = LoadZone(name);
  EXPECT_TRUE(zone.ok()) << zone.status();
  return zone.ok() ? *zone : absl::UTCTimeZone();
}

// ---- Parsing: valid expressions ----

TEST(ParseCronTest, EveryMinuteSelectsEverything) {
  const CronSpec spec = Parse("* * * * *");
  EXPECT_EQ(spec.minutes.count(), 60u);
  EXPECT_EQ(spec.hours.count(), 24u);
  EXPECT_THAT(Values(spec.days_of_month), ElementsAreArray(Span(1, 31)));
  EXPECT_THAT(Values(spec.months), ElementsAreArray(Span(1, 12)));
  EXPECT_EQ(spec.days_of_week.count(), 7u);
  EXPECT_FALSE(spec.day_of_month_restricted);
  EXPECT_FALSE(spec.day_of_week_restricted);
  EXPECT_TRUE(spec.every_hour);
  EXPECT_EQ(spec.text, "* * * * *");
}

TEST(ParseCronTest, SingleValuesPerField) {
  const CronSpec spec = Parse("5 4 3 2 1");
  EXPECT_THAT(Values(spec.minutes), ElementsAre(5));
  EXPECT_THAT(Values(spec.hours), ElementsAre(4));
  EXPECT_THAT(Values(spec.days_of_month), ElementsAre(3));
  EXPECT_THAT(Values(spec.months), ElementsAre(2));
  EXPECT_THAT(Values(spec.days_of_week), ElementsAre(1));
  EXPECT_TRUE(spec.day_of_month_restricted);
  EXPECT_TRUE(spec.day_of_week_restricted);
  EXPECT_FALSE(spec.every_hour);
}

TEST(ParseCronTest, ListsRangesAndSteps) {
  EXPECT_THAT(Values(Parse("1,2,5-7 * * * *").minutes), ElementsAre(1, 2, 5, 6, 7));
  EXPECT_THAT(Values(Parse("*/15 * * * *").minutes), ElementsAre(0, 15, 30, 45));
  EXPECT_THAT(Values(Parse("10-30/10 * * * *").minutes), ElementsAre(10, 20, 30));
  EXPECT_THAT(Values(Parse("5/20 * * * *").minutes), ElementsAre(5, 25, 45));
  EXPECT_THAT(Values(Parse("0 */6 * * *").hours), ElementsAre(0, 6, 12, 18));
  EXPECT_THAT(Values(Parse("0 0 */10 * *").days_of_month), ElementsAre(1, 11, 21, 31));
  EXPECT_THAT(Values(Parse("0 0 1 */4 *").months), ElementsAre(1, 5, 9));
  EXPECT_THAT(Values(Parse("0 0 * * */2").days_of_week), ElementsAre(0, 2, 4, 6));
  EXPECT_THAT(Values(Parse("0,59 0-2,23 * * *").hours), ElementsAre(0, 1, 2, 23));
  EXPECT_THAT(Values(Parse("*/60 * * * *").minutes), ElementsAre(0));
  EXPECT_THAT(Values(Parse("07 * * * *").minutes), ElementsAre(7));
}

TEST(ParseCronTest, NamesAreCaseInsensitive) {
  EXPECT_THAT(Values(Parse("0 0 * JAN,mar-May *").months), ElementsAre(1, 3, 4, 5));
  EXPECT_THAT(Values(Parse("0 0 * dec *").months), ElementsAre(12));
  EXPECT_THAT(Values(Parse("0 9 * * mon-FRI").days_of_week), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(Values(Parse("0 9 * * Sat,sun").days_of_week), ElementsAre(0, 6));
  EXPECT_THAT(Values(Parse("0 0 * JAN-DEC/3 *").months), ElementsAre(1, 4, 7, 10));
}

TEST(ParseCronTest, SevenIsSunday) {
  EXPECT_THAT(Values(Parse("0 0 * * 7").days_of_week), ElementsAre(0));
  EXPECT_THAT(Values(Parse("0 0 * * 0,7").days_of_week), ElementsAre(0));
  EXPECT_THAT(Values(Parse("0 0 * * 5-7").days_of_week), ElementsAre(0, 5, 6));
  EXPECT_THAT(Values(Parse("0 0 * * 0-7").days_of_week), ElementsAreArray(Span(0, 6)));
  EXPECT_THAT(Values(Parse("0 0 * * 7/2").days_of_week), ElementsAre(0));
}

TEST(ParseCronTest, MacrosExpandToTheirFields) {
  const struct {
    const char* macro;
    const char* fields;
  } cases[] = {{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
               {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
               {"@hourly", "0 * * * *"}, {"  @DAILY\t", "0 0 * * *"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.macro);
    const CronSpec macro = Parse(c.macro);
    const CronSpec fields = Parse(c.fields);
    EXPECT_EQ(macro.minutes, fields.minutes);
    EXPECT_EQ(macro.hours, fields.hours);
    EXPECT_EQ(macro.days_of_month, fields.days_of_month);
    EXPECT_EQ(macro.months, fields.months);
    EXPECT_EQ(macro.days_of_week, fields.days_of_week);
    EXPECT_EQ(macro.day_of_month_restricted, fields.day_of_month_restricted);
    EXPECT_EQ(macro.day_of_week_restricted, fields.day_of_week_restricted);
    EXPECT_EQ(macro.every_hour, fields.every_hour);
    EXPECT_EQ(macro.text, c.macro);
  }
}

TEST(ParseCronTest, WhitespaceSeparatesFieldsAndTextIsKept) {
  const CronSpec spec = Parse("  0\t12   *  * \t MON  ");
  EXPECT_THAT(Values(spec.hours), ElementsAre(12));
  EXPECT_THAT(Values(spec.days_of_week), ElementsAre(1));
  EXPECT_EQ(spec.text, "  0\t12   *  * \t MON  ");
}

TEST(ParseCronTest, RestrictedMeansTheFieldIsNotStar) {
  EXPECT_TRUE(Parse("0 0 */1 * *").day_of_month_restricted);
  EXPECT_TRUE(Parse("0 0 * * 0-7").day_of_week_restricted);
  EXPECT_FALSE(Parse("0 */1 * * *").every_hour);
  EXPECT_TRUE(Parse("*/15 * * * *").every_hour);
  EXPECT_TRUE(Parse("@hourly").every_hour);
  EXPECT_FALSE(Parse("@daily").every_hour);
}

TEST(ParseCronTest, DaysThatExistInSomeSelectedMonthAreAccepted) {
  EXPECT_TRUE(ParseCron("0 0 29 2 *").ok());
  EXPECT_TRUE(ParseCron("0 0 31 1-2 *").ok());
  EXPECT_TRUE(ParseCron("0 0 30 2 MON").ok());  // day-of-week widens the choice
  EXPECT_TRUE(ParseCron("0 0 30,31 * *").ok());
}

// ---- Parsing: invalid expressions ----

TEST(ParseCronErrorTest, MessagesFromTheHeader) {
  EXPECT_EQ(ErrorOf("*/0 * * * *"),
            "cron \"*/0 * * * *\": minute field at position 1: step 0; expected a step of 1 "
            "or more");
  EXPECT_EQ(ErrorOf("60 * * * *"),
            "cron \"60 * * * *\": minute field at position 1: 60 is out of range; expected 0-59");
  EXPECT_EQ(ErrorOf("0 0 30 2 *"),
            "cron \"0 0 30 2 *\": can never fire: February has no day 30; expected a day that "
            "exists");
}

TEST(ParseCronErrorTest, OutOfRangeNamesTheFieldAndPosition) {
  EXPECT_EQ(ErrorOf("0 24 * * *"),
            "cron \"0 24 * * *\": hour field at position 3: 24 is out of range; expected 0-23");
  EXPECT_EQ(ErrorOf("0 0 0 * *"),
            "cron \"0 0 0 * *\": day-of-month field at position 5: 0 is out of range; "
            "expected 1-31");
  EXPECT_EQ(ErrorOf("0 0 * 13 *"),
            "cron \"0 0 * 13 *\": month field at position 7: 13 is out of range; expected "
            "1-12 or JAN-DEC");
  EXPECT_EQ(ErrorOf("0 0 * * 8"),
            "cron \"0 0 * * 8\": day-of-week field at position 9: 8 is out of range; expected "
            "0-7 or SUN-SAT");
  EXPECT_EQ(ErrorOf("0,60 * * * *"),
            "cron \"0,60 * * * *\": minute field at position 3: 60 is out of range; expected "
            "0-59");
  EXPECT_EQ(ErrorOf("  0 99999999999 * * *"),
            "cron \"  0 99999999999 * * *\": hour field at position 5: 99999999999 is out of "
            "range; expected 0-23");
}

TEST(ParseCronErrorTest, ReversedRange) {
  EXPECT_EQ(ErrorOf("5-1 * * * *"),
            "cron \"5-1 * * * *\": minute field at position 1: range 5-1 is reversed; expected "
            "the lower bound first, such as 1-5");
  EXPECT_THAT(ErrorOf("0 0 * * FRI-MON"),
              HasSubstr("day-of-week field at position 9: range FRI-MON is reversed"));
}

TEST(ParseCronErrorTest, WrongNames) {
  EXPECT_EQ(ErrorOf("0 0 * FOO *"),
            "cron \"0 0 * FOO *\": month field at position 7: unknown name \"FOO\"; expected "
            "1-12 or JAN-DEC");
  EXPECT_EQ(ErrorOf("0 0 * MON *"),
            "cron \"0 0 * MON *\": month field at position 7: unknown name \"MON\"; expected "
            "1-12 or JAN-DEC");
  EXPECT_EQ(ErrorOf("0 0 * * MONDAY"),
            "cron \"0 0 * * MONDAY\": day-of-week field at position 9: unknown name "
            "\"MONDAY\"; expected 0-7 or SUN-SAT");
  EXPECT_EQ(ErrorOf("0 MON * * *"),
            "cron \"0 MON * * *\": hour field at position 3: \"MON\" is not a number; expected "
            "0-23");
  EXPECT_THAT(ErrorOf("0 0 * JAN-FOO *"), HasSubstr("unknown name \"FOO\""));
}

TEST(ParseCronErrorTest, BadSteps) {
  EXPECT_EQ(ErrorOf("*/ * * * *"),
            "cron \"*/ * * * *\": minute field at position 1: the step after / is missing; "
            "expected a step of 1 or more");
  EXPECT_THAT(ErrorOf("0 */x * * *"),
              HasSubstr("hour field at position 3: step \"x\" is not a number"));
  EXPECT_THAT(ErrorOf("*/61 * * * *"),
              HasSubstr("step 61 is out of range; expected a step of 1-60"));
  EXPECT_THAT(ErrorOf("0 0 * * */8"), HasSubstr("step 8 is out of range; expected a step of 1-7"));
  EXPECT_THAT(ErrorOf("1/2/3 * * * *"), HasSubstr("step \"2/3\" is not a number"));
}

TEST(ParseCronErrorTest, EmptyItemsAndMissingValues) {
  EXPECT_EQ(ErrorOf("1,,2 * * * *"),
            "cron \"1,,2 * * * *\": minute field at position 3: empty list item; expected a "
            "value, range or step");
  EXPECT_THAT(ErrorOf("0 0 * * 1,"), HasSubstr("day-of-week field at position 11: empty list"));
  EXPECT_THAT(ErrorOf("-5 * * * *"),
              HasSubstr("minute field at position 1: a value is missing; expected 0-59"));
  EXPECT_THAT(ErrorOf("5- * * * *"), HasSubstr("a value is missing"));
  EXPECT_THAT(ErrorOf("/5 * * * *"), HasSubstr("a value is missing"));
}

TEST(ParseCronErrorTest, WrongFieldCount) {
  const std::string expected =
      "expected 5 fields (minute hour day-of-month month day-of-week) or a macro such as @daily";
  EXPECT_EQ(ErrorOf("0 0 * *"), "cron \"0 0 * *\": 4 fields; " + expected);
  EXPECT_EQ(ErrorOf("0 0 * * * *"), "cron \"0 0 * * * *\": 6 fields; " + expected);
  EXPECT_EQ(ErrorOf("daily"), "cron \"daily\": 1 field; " + expected);
  EXPECT_EQ(ErrorOf(""), "cron \"\": empty; " + expected);
  EXPECT_EQ(ErrorOf(" \t "), "cron \" \\t \": empty; " + expected);
}

TEST(ParseCronErrorTest, TooLongIsCheckedFirstAndNotQuotedWhole) {
  const std::string text(10240, '*');
  const std::string message = ErrorOf(text);
  EXPECT_THAT(message, HasSubstr("too long (10240 characters); expected at most 256 characters"));
  EXPECT_LT(message.size(), 200u);
  EXPECT_TRUE(ParseCron(std::string(kMaxExpressionLength - 9, ' ') + "* * * * *").ok());
  EXPECT_THAT(ErrorOf(std::string(kMaxExpressionLength - 8, ' ') + "* * * * *"),
              HasSubstr("too long (257 characters)"));
}

TEST(ParseCronErrorTest, Macros) {
  EXPECT_EQ(ErrorOf("@every"),
            "cron \"@every\": macro at position 1: unknown macro \"@every\"; expected @yearly, "
            "@annually, @monthly, @weekly, @daily, @midnight or @hourly");
  EXPECT_EQ(ErrorOf(" @daily 5"),
            "cron \" @daily 5\": macro at position 2: @daily is followed by more text at "
            "position 9; expected the macro alone");
  EXPECT_THAT(ErrorOf("@"), HasSubstr("unknown macro \"@\""));
}

TEST(ParseCronErrorTest, CanNeverFire) {
  EXPECT_EQ(ErrorOf("0 0 31 4,6,9,11 *"),
            "cron \"0 0 31 4,6,9,11 *\": can never fire: April, June, September and November "
            "have no day 31; expected a day that exists");
  EXPECT_EQ(ErrorOf("0 0 30,31 FEB *"),
            "cron \"0 0 30,31 FEB *\": can never fire: February has no day 30 or 31; expected "
            "a day that exists");
}

TEST(ParseCronErrorTest, OddCharactersAreEscapedInTheMessage) {
  EXPECT_THAT(ErrorOf("0 0 \"\n * *"), HasSubstr("cron \"0 0 \\\"\\n * *\": day-of-month"));
  EXPECT_THAT(ErrorOf(absl::string_view("0 0 \0 * *", 9)), HasSubstr("\"\\x00\" is not a number"));
}

// ---- LoadZone and OffsetChanged ----

TEST(LoadZoneTest, KnownAndUnknownNames) {
  EXPECT_TRUE(LoadZone("Europe/Madrid").ok());
  EXPECT_TRUE(LoadZone("UTC").ok());
  EXPECT_TRUE(LoadZone("Etc/GMT+5").ok());
  EXPECT_EQ(LoadZone("Mars/Olympus").status().message(),
            "time zone \"Mars/Olympus\": unknown; expected an IANA name such as Europe/Madrid");
  for (const char* bad : {"", "../../etc/passwd", "/usr/share/zoneinfo/UTC", "localtime",
                          "Europe//Madrid", "Europe/Madrid "}) {
    EXPECT_EQ(LoadZone(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  const std::string long_name = "Europe/" + std::string(100, 'x');
  EXPECT_THAT(std::string(LoadZone(long_name).status().message()),
              HasSubstr("...\": unknown; expected an IANA name"));
}

TEST(OffsetChangedTest, UtcNeverChangesAndMadridDoesInSpring) {
  EXPECT_FALSE(OffsetChanged(absl::UTCTimeZone(), Utc(2026, 1, 1), Utc(2026, 7, 1)));
  const absl::TimeZone madrid = Zone("Europe/Madrid");
  EXPECT_TRUE(OffsetChanged(madrid, Utc(2026, 1, 1), Utc(2026, 7, 1)));
  EXPECT_FALSE(OffsetChanged(madrid, Utc(2026, 1, 1), Utc(2026, 12, 1)));
}

// ---- NextFire in UTC ----

class NextFireUtcTest : public ::testing::Test {
 protected:
  std::optional<absl::Time> Next(absl::string_view text, absl::Time after) {
    return NextFire(Parse(text), absl::UTCTimeZone(), after);
  }
  std::vector<absl::Time> Fires(absl::string_view text, absl::Time after, int count) {
    return NextFires(Parse(text), absl::UTCTimeZone(), after, count);
  }
};

TEST_F(NextFireUtcTest, EveryMinuteIsStrictlyAfter) {
  EXPECT_THAT(Next("* * * * *", Utc(2026, 5, 1, 10, 0, 30)), Optional(Utc(2026, 5, 1, 10, 1)));
  EXPECT_THAT(Next("* * * * *", Utc(2026, 5, 1, 10, 1)), Optional(Utc(2026, 5, 1, 10, 2)));
  EXPECT_THAT(Next("* * * * *", Utc(2026, 12, 31, 23, 59)), Optional(Utc(2027, 1, 1)));
}

TEST_F(NextFireUtcTest, Hourly) {
  EXPECT_THAT(Next("0 * * * *", Utc(2026, 5, 1, 10, 30)), Optional(Utc(2026, 5, 1, 11)));
  EXPECT_THAT(Next("0 * * * *", Utc(2026, 5, 1, 11)), Optional(Utc(2026, 5, 1, 12)));
  EXPECT_THAT(Next("@hourly", Utc(2026, 5, 1, 23, 0, 1)), Optional(Utc(2026, 5, 2)));
}

TEST_F(NextFireUtcTest, Daily) {
  EXPECT_THAT(Next("30 6 * * *", Utc(2026, 1, 1, 7)), Optional(Utc(2026, 1, 2, 6, 30)));
  EXPECT_THAT(Next("30 6 * * *", Utc(2026, 1, 1, 6, 29, 59)), Optional(Utc(2026, 1, 1, 6, 30)));
  EXPECT_THAT(Fires("@daily", Utc(2026, 2, 27, 12), 3),
              ElementsAre(Utc(2026, 2, 28), Utc(2026, 3, 1), Utc(2026, 3, 2)));
}

TEST_F(NextFireUtcTest, MonthlyOnThe31stSkipsShortMonths) {
  EXPECT_THAT(Fires("0 0 31 * *", Utc(2026, 1, 1), 7),
              ElementsAre(Utc(2026, 1, 31), Utc(2026, 3, 31), Utc(2026, 5, 31), Utc(2026, 7, 31),
                          Utc(2026, 8, 31), Utc(2026, 10, 31), Utc(2026, 12, 31)));
}

TEST_F(NextFireUtcTest, February29thOnlyInLeapYears) {
  EXPECT_THAT(Fires("0 0 29 2 *", Utc(2026, 1, 1), 3),
              ElementsAre(Utc(2028, 2, 29), Utc(2032, 2, 29), Utc(2036, 2, 29)));
  // 2100 is not a leap year: an eight-year wait, within the search bound.
  EXPECT_THAT(Next("0 0 29 2 *", Utc(2096, 3, 1)), Optional(Utc(2104, 2, 29)));
}

TEST_F(NextFireUtcTest, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  // 2026-02-01 is a Sunday: Mondays plus the 1st of each month.
  EXPECT_THAT(Fires("0 0 1 * MON", Utc(2026, 2, 1, 1), 6),
              ElementsAre(Utc(2026, 2, 2), Utc(2026, 2, 9), Utc(2026, 2, 16), Utc(2026, 2, 23),
                          Utc(2026, 3, 1), Utc(2026, 3, 2)));
  // Day-of-month `*`: only Mondays.
  EXPECT_THAT(Fires("0 0 * * MON", Utc(2026, 2, 1, 1), 2),
              ElementsAre(Utc(2026, 2, 2), Utc(2026, 2, 9)));
  // Day-of-week `*`: only the 1st.
  EXPECT_THAT(Fires("0 0 1 * *", Utc(2026, 2, 1, 1), 2),
              ElementsAre(Utc(2026, 3, 1), Utc(2026, 4, 1)));
  // Friday the 13th needs both, which cron cannot say: 13th OR Friday.
  EXPECT_THAT(Fires("0 0 13 * FRI", Utc(2026, 2, 1), 3),
              ElementsAre(Utc(2026, 2, 6), Utc(2026, 2, 13), Utc(2026, 2, 20)));
}

TEST_F(NextFireUtcTest, YearlyAndWeekdayNames) {
  EXPECT_THAT(Fires("@yearly", Utc(2026, 1, 1), 2), ElementsAre(Utc(2027, 1, 1), Utc(2028, 1, 1)));
  EXPECT_THAT(Fires("0 9 * * MON-FRI", Utc(2026, 2, 6, 10), 2),  // Friday after 9:00
              ElementsAre(Utc(2026, 2, 9, 9), Utc(2026, 2, 10, 9)));
}

TEST_F(NextFireUtcTest, NextFiresCount) {
  EXPECT_THAT(Fires("*/10 * * * *", Utc(2026, 1, 1), 0), IsEmpty());
  EXPECT_THAT(Fires("*/10 * * * *", Utc(2026, 1, 1), -3), IsEmpty());
  EXPECT_EQ(Fires("*/10 * * * *", Utc(2026, 1, 1), 100).size(), 100u);
  EXPECT_THAT(Fires("*/20 * * * *", Utc(2026, 1, 1, 0, 5), 4),
              ElementsAre(Utc(2026, 1, 1, 0, 20), Utc(2026, 1, 1, 0, 40), Utc(2026, 1, 1, 1),
                          Utc(2026, 1, 1, 1, 20)));
}

TEST_F(NextFireUtcTest, NoFireWithinTheBound) {
  EXPECT_EQ(NextFire(CronSpec{}, absl::UTCTimeZone(), Utc(2026, 1, 1)), std::nullopt);
  EXPECT_THAT(NextFires(CronSpec{}, absl::UTCTimeZone(), Utc(2026, 1, 1), 3), IsEmpty());
  EXPECT_EQ(Next("* * * * *", absl::InfiniteFuture()), std::nullopt);
}

// ---- Properties over random instants, expressions and zones ----

constexpr const char* kPropertyExpressions[] = {
    "* * * * *",   "*/15 * * * *",    "30 2 * * *",     "0 0 * * *",       "45 1 * * 0",
    "0 9 * * 1-5", "0 0 29 2 *",      "*/7 1-3 * * *",  "0,30 * 1,15 * 5", "@hourly",
    "15 23 * * *", "0 0 1 JAN,JUL *", "*/20 0-2 * * *", "59 * 31 * *"};
constexpr const char* kPropertyZones[] = {"UTC",
                                          "Europe/Madrid",
                                          "America/New_York",
                                          "Australia/Lord_Howe",
                                          "America/Santiago",
                                          "Antarctica/Casey",
                                          "Asia/Kolkata",
                                          "Pacific/Apia"};

// Random instants 1990..2045, half of them within 3 hours of a transition.
std::vector<absl::Time> RandomInstants(const absl::TimeZone& zone, std::mt19937_64& gen,
                                       int count) {
  std::uniform_int_distribution<int64_t> seconds(absl::ToUnixSeconds(Utc(1990, 1, 1)),
                                                 absl::ToUnixSeconds(Utc(2045, 1, 1)));
  std::uniform_int_distribution<int64_t> near(-3 * 3600 * 1000, 3 * 3600 * 1000);
  std::uniform_int_distribution<int> micros(0, 999999);
  std::vector<absl::Time> instants;
  for (int i = 0; i < count; ++i) {
    absl::Time t = absl::FromUnixSeconds(seconds(gen)) + absl::Microseconds(micros(gen));
    absl::TimeZone::CivilTransition transition;
    if (i % 2 == 1 && zone.NextTransition(t, &transition)) {
      t = zone.At(transition.to).trans + absl::Milliseconds(near(gen));
    }
    instants.push_back(t);
  }
  return instants;
}

class NextFirePropertyTest : public ::testing::TestWithParam<const char*> {};

TEST_P(NextFirePropertyTest, AfterConstantUntilNextAndIncreasing) {
  const absl::TimeZone zone = Zone(GetParam());
  std::mt19937_64 gen(20260329);
  std::uniform_real_distribution<double> fraction(0.0, 1.0);
  for (const char* text : kPropertyExpressions) {
    const CronSpec spec = Parse(text);
    for (absl::Time t : RandomInstants(zone, gen, 40)) {
      SCOPED_TRACE(absl::StrCat(text, " in ", GetParam(), " after ", absl::FormatTime(t, zone)));
      const std::optional<absl::Time> next = NextFire(spec, zone, t);
      ASSERT_TRUE(next.has_value());
      ASSERT_GT(*next, t);
      for (double f : {fraction(gen), fraction(gen)}) {
        const absl::Time u = t + absl::Floor((*next - t) * f, absl::Microseconds(1));
        EXPECT_EQ(NextFire(spec, zone, u), next) << absl::FormatTime(u, zone);
      }
      EXPECT_EQ(NextFire(spec, zone, *next - absl::Microseconds(1)), next);
      const std::vector<absl::Time> fires = NextFires(spec, zone, t, 4);
      ASSERT_EQ(fires.size(), 4u);
      EXPECT_EQ(fires[0], *next);
      for (size_t i = 1; i < fires.size(); ++i) EXPECT_LT(fires[i - 1], fires[i]);
    }
  }
}

// An independent reading of the rule: every civil minute near `after`, one
// by one, mapped to its fire instants.
std::optional<absl::Time> BruteForceNext(const CronSpec& spec, const absl::TimeZone& zone,
                                         absl::Time after, int window_minutes) {
  const absl::CivilMinute now(zone.At(after).cs);
  std::optional<absl::Time> best;
  for (absl::CivilMinute c = now - 6 * 60; c <= now + window_minutes; ++c) {
    const absl::CivilDay day(c);
    const bool dom = spec.days_of_month[day.day()];
    const int weekday = (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;
    const bool dow = spec.days_of_week[weekday];
    const bool day_ok =
        spec.day_of_month_restricted && spec.day_of_week_restricted ? dom || dow : dom && dow;
    if (!day_ok || !spec.months[c.month()] || !spec.hours[c.hour()] || !spec.minutes[c.minute()]) {
      continue;
    }
    const absl::TimeZone::TimeInfo info = zone.At(absl::CivilSecond(c));
    std::vector<absl::Time> instants;
    if (info.kind == absl::TimeZone::TimeInfo::SKIPPED) instants.push_back(info.trans);
    if (info.kind != absl::TimeZone::TimeInfo::SKIPPED) instants.push_back(info.pre);
    if (info.kind == absl::TimeZone::TimeInfo::REPEATED && spec.every_hour) {
      instants.push_back(info.post);
    }
    for (absl::Time instant : instants) {
      if (instant > after && (!best || instant < *best)) best = instant;
    }
  }
  return best;
}

TEST_P(NextFirePropertyTest, AgreesWithMinuteByMinuteSearch) {
  const absl::TimeZone zone = Zone(GetParam());
  std::mt19937_64 gen(42);
  // Schedules that fire at least once a day, so two days always hold the answer.
  for (const char* text : {"* * * * *", "*/15 * * * *", "30 2 * * *", "0 0 * * *", "45 1 * * *",
                           "@hourly", "*/20 0-2 * * *", "15 23 * * *", "0,30 1-3 * * *"}) {
    const CronSpec spec = Parse(text);
    for (absl::Time t : RandomInstants(zone, gen, 10)) {
      SCOPED_TRACE(absl::StrCat(text, " in ", GetParam(), " after ", absl::FormatTime(t, zone)));
      EXPECT_EQ(NextFire(spec, zone, t), BruteForceNext(spec, zone, t, 2 * 24 * 60));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Zones, NextFirePropertyTest, ::testing::ValuesIn(kPropertyZones),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& ch : name) {
                             if (!absl::ascii_isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace baton::cron
