// Pure tests of the scheduling decisions: which fire times get a scheduled run
// (ahead of time and after downtime, under each catch-up policy), the bounds
// of one planning step, the overlap table and when a run counts as late. The
// clock is fake: every `now` is an absl::Time built here, and schedules are
// NextFireFn lambdas. No database, no sleeps.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/spec/deployment.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestrator/engine/schedule_rules.h"

namespace baton::engine {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Kind = CatchUpPolicy::Kind;

// 2026-03-10 hh:mm:ss UTC.
absl::Time At(int hh, int mm, int ss = 0, int day = 10) {
  return absl::FromCivil(absl::CivilSecond(2026, 3, day, hh, mm, ss), absl::UTCTimeZone());
}

// Fires at anchor + k * period; the first one strictly after `after`.
NextFireFn Every(absl::Duration period, absl::Time anchor = absl::UnixEpoch()) {
  return [period, anchor](absl::Time after) -> std::optional<absl::Time> {
    absl::Duration rem;
    int64_t k = absl::IDivDuration(after - anchor, period, &rem);
    if (rem < absl::ZeroDuration()) --k;  // floor for `after` before the anchor
    return anchor + (k + 1) * period;
  };
}

NextFireFn EveryMinute() { return Every(absl::Minutes(1)); }
NextFireFn EveryHour() { return Every(absl::Hours(1)); }
NextFireFn DailyAt0900Utc() { return Every(absl::Hours(24), absl::UnixEpoch() + absl::Hours(9)); }

// Exactly these fire times (ascending), then none.
NextFireFn Listed(std::vector<absl::Time> fires, int* calls = nullptr) {
  return [fires, calls](absl::Time after) -> std::optional<absl::Time> {
    if (calls != nullptr) ++*calls;
    for (absl::Time t : fires) {
      if (t > after) return t;
    }
    return std::nullopt;
  };
}

CatchUpPolicy Skip() { return CatchUpPolicy{Kind::kSkip, 10, absl::Hours(24)}; }
CatchUpPolicy Latest() { return CatchUpPolicy{Kind::kLatest, 10, absl::Hours(24)}; }
CatchUpPolicy All(int max, absl::Duration within) { return CatchUpPolicy{Kind::kAll, max, within}; }

// The fires from `first` to `last` inclusive, `step` apart.
std::vector<absl::Time> Range(absl::Time first, absl::Time last, absl::Duration step) {
  std::vector<absl::Time> out;
  for (absl::Time t = first; t <= last; t += step) out.push_back(t);
  return out;
}

std::vector<absl::Time> SkippedTimes(const FirePlan& plan) {
  std::vector<absl::Time> out;
  for (const SkippedFire& s : plan.skipped) out.push_back(s.at);
  return out;
}

void ExpectAscendingUnique(const std::vector<absl::Time>& times) {
  for (size_t i = 1; i < times.size(); ++i) {
    EXPECT_LT(times[i - 1], times[i]) << "at index " << i;
  }
}

// What a scheduler that keeps calling PlanFires with the returned cursor
// (same `now`) ends up with, until a step considers no fire.
struct Drained {
  std::vector<absl::Time> created;  // in creation order
  std::vector<absl::Time> skipped_listed;
  int64_t skipped_unlisted = 0;
  int steps = 0;
  absl::Time cursor;
};

Drained Drain(const NextFireFn& next, absl::Time cursor, absl::Time now, absl::Duration horizon,
              absl::Duration late_after, const CatchUpPolicy& catch_up) {
  Drained d;
  d.cursor = cursor;
  for (int guard = 0; guard < 100; ++guard) {
    FirePlan plan = PlanFires(next, d.cursor, now, horizon, late_after, catch_up);
    ++d.steps;
    d.created.insert(d.created.end(), plan.create.begin(), plan.create.end());
    for (const SkippedFire& s : plan.skipped) d.skipped_listed.push_back(s.at);
    d.skipped_unlisted += plan.skipped_unlisted;
    const bool moved = plan.cursor != d.cursor;
    EXPECT_GE(plan.cursor, d.cursor) << "the cursor never moves back";
    d.cursor = plan.cursor;
    if (!moved) return d;
  }
  ADD_FAILURE() << "planning did not settle within 100 steps";
  return d;
}

// --- PlanFires: no downtime ---

TEST(PlanFiresTest, EveryMinuteCreatesTheTenFiresInTheHorizon) {
  const absl::Time now = At(12, 0);
  FirePlan plan = PlanFires(EveryMinute(), now, now, absl::Minutes(10), absl::Minutes(5), Skip());
  EXPECT_THAT(plan.create, ElementsAreArray(Range(At(12, 1), At(12, 10), absl::Minutes(1))));
  EXPECT_THAT(plan.skipped, IsEmpty());
  EXPECT_EQ(plan.skipped_unlisted, 0);
  EXPECT_EQ(plan.cursor, At(12, 10));
}

TEST(PlanFiresTest, HorizonEndIsIncludedAndNowIsExcludedWhenItIsTheCursor) {
  const absl::Time now = At(12, 0);
  // A fire exactly at `now` was handled by the step that set the cursor to it.
  FirePlan plan = PlanFires(EveryMinute(), now, now, absl::Minutes(2), absl::Minutes(5), Skip());
  EXPECT_THAT(plan.create, ElementsAre(At(12, 1), At(12, 2)));
  // The horizon end is inclusive; 1 us short of a fire excludes it.
  plan = PlanFires(EveryMinute(), now, now, absl::Minutes(2) - absl::Microseconds(1),
                   absl::Minutes(5), Skip());
  EXPECT_THAT(plan.create, ElementsAre(At(12, 1)));
  EXPECT_EQ(plan.cursor, At(12, 1));
}

TEST(PlanFiresTest, PlanningAgainFromTheReturnedCursorCreatesNothingNew) {
  const absl::Time now = At(12, 0);
  FirePlan first = PlanFires(EveryMinute(), now, now, absl::Minutes(10), absl::Minutes(5), Skip());
  FirePlan again =
      PlanFires(EveryMinute(), first.cursor, now, absl::Minutes(10), absl::Minutes(5), Skip());
  EXPECT_THAT(again.create, IsEmpty());
  EXPECT_THAT(again.skipped, IsEmpty());
  EXPECT_EQ(again.skipped_unlisted, 0);
  EXPECT_EQ(again.cursor, first.cursor);
}

TEST(PlanFiresTest, ALaterNowCreatesOnlyTheNewFires) {
  const absl::Time now = At(12, 0);
  FirePlan first = PlanFires(EveryMinute(), now, now, absl::Minutes(10), absl::Minutes(5), Skip());
  const absl::Time later = now + absl::Minutes(5) + absl::Seconds(30);
  FirePlan next =
      PlanFires(EveryMinute(), first.cursor, later, absl::Minutes(10), absl::Minutes(5), Skip());
  EXPECT_THAT(next.create, ElementsAreArray(Range(At(12, 11), At(12, 15), absl::Minutes(1))));
  EXPECT_THAT(next.skipped, IsEmpty());
  EXPECT_EQ(next.cursor, At(12, 15));
}

TEST(PlanFiresTest, DailyAt0900CreatesOneRunPerDayInTheHorizon) {
  const absl::Time now = At(10, 0);  // 2026-03-10 10:00, after today's fire
  FirePlan plan = PlanFires(DailyAt0900Utc(), now, now, absl::Hours(48), absl::Minutes(5), Skip());
  EXPECT_THAT(plan.create, ElementsAre(At(9, 0, 0, 11), At(9, 0, 0, 12)));
  EXPECT_EQ(plan.cursor, At(9, 0, 0, 12));
}

// Invariant 5 from the planner's side: a scheduler stepping every 7 minutes of
// fake time for a day, each step from the cursor the previous one returned,
// creates each hourly fire exactly once.
TEST(PlanFiresTest, SteppingThroughADayCreatesEachHourlyFireOnce) {
  const absl::Time start = At(0, 0);
  absl::Time cursor = start;
  std::vector<absl::Time> created;
  for (absl::Time now = start; now < start + absl::Hours(24); now += absl::Minutes(7)) {
    FirePlan plan =
        PlanFires(EveryHour(), cursor, now, absl::Minutes(10), absl::Minutes(5), Skip());
    EXPECT_THAT(plan.skipped, IsEmpty()) << "nothing is missed when no step is skipped";
    for (absl::Time t : plan.create) {
      EXPECT_LE(t, now + absl::Minutes(10));
      EXPECT_GT(t, now - absl::Minutes(5)) << "created ahead of time, not late";
    }
    created.insert(created.end(), plan.create.begin(), plan.create.end());
    cursor = plan.cursor;
  }
  // The last step is at 23:55, horizon 10 min: the fires 01:00 .. 24:00.
  EXPECT_THAT(created, ElementsAreArray(Range(At(1, 0), At(0, 0, 0, 11), absl::Hours(1))));
}

// --- PlanFires: catch-up after downtime ---
//
// The orchestrator was down from 09:00 to 12:00; the schedule fires every 10
// minutes, late_after is 5 min, horizon 10 min. Missed: 09:10 .. 11:50 (17
// fires, all before 11:55). On time: 12:00 (now) and 12:10 (in the horizon).

class CatchUpTest : public ::testing::Test {
 protected:
  const absl::Time now_ = At(12, 0);
  const absl::Time cursor_ = now_ - absl::Hours(3);
  const absl::Duration horizon_ = absl::Minutes(10);
  const absl::Duration late_after_ = absl::Minutes(5);
  const NextFireFn every10_ = Every(absl::Minutes(10));
  const std::vector<absl::Time> missed_ = Range(At(9, 10), At(11, 50), absl::Minutes(10));
  const std::vector<absl::Time> on_time_ = {At(12, 0), At(12, 10)};

  FirePlan Plan(const CatchUpPolicy& p) {
    return PlanFires(every10_, cursor_, now_, horizon_, late_after_, p);
  }

  void ExpectPlanned(const FirePlan& plan, const CatchUpPolicy& p) {
    ExpectAscendingUnique(plan.create);
    ExpectAscendingUnique(SkippedTimes(plan));
    EXPECT_EQ(plan.cursor, At(12, 10)) << "the last fire considered";
    EXPECT_EQ(plan.skipped_unlisted, 0);
    // Every fire in (cursor, now + horizon] is either created or skipped, once.
    std::vector<absl::Time> all = plan.create;
    for (absl::Time t : SkippedTimes(plan)) all.push_back(t);
    std::sort(all.begin(), all.end());
    EXPECT_THAT(all, ElementsAreArray(Range(At(9, 10), At(12, 10), absl::Minutes(10))));
    // Planning again from the new cursor at the same now: nothing new.
    FirePlan again = PlanFires(every10_, plan.cursor, now_, horizon_, late_after_, p);
    EXPECT_THAT(again.create, IsEmpty());
    EXPECT_THAT(again.skipped, IsEmpty());
  }
};

TEST_F(CatchUpTest, SkipSkipsEveryMissedFireAndCreatesTheOnTimeOnes) {
  const CatchUpPolicy p = Skip();
  FirePlan plan = Plan(p);
  EXPECT_THAT(plan.create, ElementsAreArray(on_time_));
  EXPECT_THAT(SkippedTimes(plan), ElementsAreArray(missed_));
  for (const SkippedFire& s : plan.skipped) {
    EXPECT_THAT(s.reason, AllOf(HasSubstr("missed"), HasSubstr("catch_up policy skip")));
  }
  ExpectPlanned(plan, p);
}

TEST_F(CatchUpTest, LatestCreatesOnlyTheLatestMissedFire) {
  const CatchUpPolicy p = Latest();
  FirePlan plan = Plan(p);
  EXPECT_THAT(plan.create, ElementsAre(At(11, 50), At(12, 0), At(12, 10)));
  std::vector<absl::Time> dropped(missed_.begin(), missed_.end() - 1);
  EXPECT_THAT(SkippedTimes(plan), ElementsAreArray(dropped));
  for (const SkippedFire& s : plan.skipped) {
    EXPECT_THAT(s.reason, AllOf(HasSubstr("missed"), HasSubstr("catch_up policy latest")));
  }
  ExpectPlanned(plan, p);
}

TEST_F(CatchUpTest, AllCreatesTheMostRecentMissedFiresWithinTheWindowUpToMax) {
  // Window: fires at or after 11:00. 09:10 .. 10:50 are older; of the six in
  // the window (11:00 .. 11:50) the five most recent run.
  const CatchUpPolicy p = All(5, absl::Hours(1));
  FirePlan plan = Plan(p);
  EXPECT_THAT(plan.create, ElementsAre(At(11, 10), At(11, 20), At(11, 30), At(11, 40), At(11, 50),
                                       At(12, 0), At(12, 10)));
  ASSERT_EQ(plan.skipped.size(), 12u);
  for (size_t i = 0; i < 11; ++i) {
    EXPECT_EQ(plan.skipped[i].at, missed_[i]);
    EXPECT_THAT(plan.skipped[i].reason, HasSubstr("older than catch_up within 1h"));
  }
  EXPECT_EQ(plan.skipped[11].at, At(11, 0));
  EXPECT_THAT(plan.skipped[11].reason,
              AllOf(HasSubstr("catch_up policy all"), HasSubstr("at most the 5 most recent")));
  ExpectPlanned(plan, p);
}

TEST_F(CatchUpTest, AllWithAWideWindowAndLargeMaxRunsEveryMissedFire) {
  const CatchUpPolicy p = All(100, absl::Hours(24));
  FirePlan plan = Plan(p);
  std::vector<absl::Time> expected = missed_;
  expected.insert(expected.end(), on_time_.begin(), on_time_.end());
  EXPECT_THAT(plan.create, ElementsAreArray(expected));
  EXPECT_THAT(plan.skipped, IsEmpty());
  ExpectPlanned(plan, p);
}

TEST_F(CatchUpTest, AllWithAWindowBoundaryOnAFireKeepsThatFire) {
  // now - within = 11:00 exactly: 11:00 is not older than the window.
  FirePlan plan = Plan(All(100, absl::Hours(1)));
  EXPECT_THAT(plan.create, ElementsAre(At(11, 0), At(11, 10), At(11, 20), At(11, 30), At(11, 40),
                                       At(11, 50), At(12, 0), At(12, 10)));
  EXPECT_EQ(plan.skipped.size(), 11u);
  EXPECT_EQ(plan.skipped.back().at, At(10, 50));
}

TEST(CatchUpBoundaryTest, AFireExactlyLateAfterAgoIsCreatedAndOneMicrosecondOlderIsMissed) {
  const std::vector<absl::Time> fires = {At(12, 0)};
  const absl::Time cursor = At(11, 0);
  FirePlan plan =
      PlanFires(Listed(fires), cursor, At(12, 5), absl::Minutes(10), absl::Minutes(5), Skip());
  EXPECT_THAT(plan.create, ElementsAre(At(12, 0)));
  EXPECT_THAT(plan.skipped, IsEmpty());

  plan = PlanFires(Listed(fires), cursor, At(12, 5) + absl::Microseconds(1), absl::Minutes(10),
                   absl::Minutes(5), Skip());
  EXPECT_THAT(plan.create, IsEmpty());
  EXPECT_THAT(SkippedTimes(plan), ElementsAre(At(12, 0)));
  EXPECT_EQ(plan.cursor, At(12, 0));
}

TEST(CatchUpBoundaryTest, DailyJobAfterThreeDaysDownRunsOnlyTheLatestMissedDay) {
  // Like examples/04-scheduling: daily at 09:00 UTC, catch_up latest. Down from
  // 03-07 10:00 to 03-10 10:00: missed 03-08, 03-09 and 03-10 at 09:00.
  const absl::Time now = At(10, 0);
  FirePlan plan = PlanFires(DailyAt0900Utc(), now - absl::Hours(72), now, absl::Minutes(10),
                            absl::Minutes(5), Latest());
  EXPECT_THAT(plan.create, ElementsAre(At(9, 0, 0, 10)));
  EXPECT_THAT(SkippedTimes(plan), ElementsAre(At(9, 0, 0, 8), At(9, 0, 0, 9)));
  EXPECT_EQ(plan.cursor, At(9, 0, 0, 10));
}

// --- PlanFires: bounds ---

TEST(PlanFiresBoundsTest, ManyOnTimeFiresAreSplitAcrossStepsWithoutLossOrDuplicates) {
  // Every second for 3 h ahead: 10800 fires, more than one step may look at.
  const absl::Time now = At(12, 0);
  const NextFireFn every_second = Every(absl::Seconds(1));
  FirePlan first = PlanFires(every_second, now, now, absl::Hours(3), absl::Minutes(5), Skip());
  ASSERT_EQ(first.create.size(), static_cast<size_t>(kMaxFiresPerPlan));
  EXPECT_EQ(first.cursor, now + absl::Seconds(kMaxFiresPerPlan));
  EXPECT_EQ(first.cursor, first.create.back());

  FirePlan second =
      PlanFires(every_second, first.cursor, now, absl::Hours(3), absl::Minutes(5), Skip());
  EXPECT_EQ(second.create.size(), 10800u - kMaxFiresPerPlan);
  EXPECT_EQ(second.cursor, now + absl::Hours(3));

  std::vector<absl::Time> all = first.create;
  all.insert(all.end(), second.create.begin(), second.create.end());
  EXPECT_EQ(all, Range(now + absl::Seconds(1), now + absl::Hours(3), absl::Seconds(1)));

  FirePlan third =
      PlanFires(every_second, second.cursor, now, absl::Hours(3), absl::Minutes(5), Skip());
  EXPECT_THAT(third.create, IsEmpty());
  EXPECT_EQ(third.cursor, second.cursor);
}

TEST(PlanFiresBoundsTest, SkipsBeyondTheListedMaximumAreCountedAndNoneIsLostAcrossSteps) {
  // Every second, down for 5 h, late_after 5 min, horizon 0: the fires in
  // (now - 5h, now - 5m) are missed (17699), those in [now - 5m, now] (301)
  // are on time.
  const absl::Time now = At(12, 0);
  const NextFireFn every_second = Every(absl::Seconds(1));
  FirePlan first = PlanFires(every_second, now - absl::Hours(5), now, absl::ZeroDuration(),
                             absl::Minutes(5), Skip());
  EXPECT_THAT(first.create, IsEmpty());
  ASSERT_EQ(first.skipped.size(), static_cast<size_t>(kMaxListedSkips));
  EXPECT_EQ(first.skipped_unlisted, kMaxFiresPerPlan - kMaxListedSkips);
  EXPECT_EQ(first.cursor, now - absl::Hours(5) + absl::Seconds(kMaxFiresPerPlan));
  // The listed ones are the first (oldest) ones.
  EXPECT_EQ(first.skipped.front().at, now - absl::Hours(5) + absl::Seconds(1));
  EXPECT_EQ(first.skipped.back().at, now - absl::Hours(5) + absl::Seconds(kMaxListedSkips));

  Drained d =
      Drain(every_second, first.cursor, now, absl::ZeroDuration(), absl::Minutes(5), Skip());
  EXPECT_EQ(static_cast<int64_t>(first.skipped.size()) + first.skipped_unlisted +
                static_cast<int64_t>(d.skipped_listed.size()) + d.skipped_unlisted,
            17699);
  EXPECT_EQ(d.created, Range(now - absl::Minutes(5), now, absl::Seconds(1)));
  EXPECT_EQ(d.cursor, now);
}

TEST(PlanFiresBoundsTest, NextFireReturningNulloptEndsPlanning) {
  const absl::Time now = At(12, 0);
  int calls = 0;
  const std::vector<absl::Time> fires = {At(12, 1), At(12, 2), At(12, 3)};
  FirePlan plan =
      PlanFires(Listed(fires, &calls), now, now, absl::Hours(24), absl::Minutes(5), Skip());
  EXPECT_THAT(plan.create, ElementsAreArray(fires));
  EXPECT_EQ(plan.cursor, At(12, 3));
  EXPECT_EQ(calls, 4) << "three fires, then one nullopt, then no more asking";

  FirePlan again = PlanFires(Listed(fires), plan.cursor, now + absl::Hours(1), absl::Hours(24),
                             absl::Minutes(5), Skip());
  EXPECT_THAT(again.create, IsEmpty());
  EXPECT_THAT(again.skipped, IsEmpty());
  EXPECT_EQ(again.cursor, plan.cursor);
}

TEST(PlanFiresBoundsTest, AScheduleThatNeverFiresPlansNothing) {
  const absl::Time now = At(12, 0);
  int calls = 0;
  NextFireFn never = [&calls](absl::Time) -> std::optional<absl::Time> {
    ++calls;
    return std::nullopt;
  };
  for (const CatchUpPolicy& p : {Skip(), Latest(), All(5, absl::Hours(1))}) {
    FirePlan plan =
        PlanFires(never, now - absl::Hours(3), now, absl::Hours(1), absl::Minutes(5), p);
    EXPECT_THAT(plan.create, IsEmpty());
    EXPECT_THAT(plan.skipped, IsEmpty());
    EXPECT_EQ(plan.skipped_unlisted, 0);
    EXPECT_EQ(plan.cursor, now - absl::Hours(3)) << "the cursor stays where it was";
  }
  EXPECT_EQ(calls, 3);
}

// Downtime longer than one step can look at (every second, 5 h down): the
// catch-up policy must hold over the whole downtime, not per step.
TEST(PlanFiresBoundsTest, LatestCreatesOneMissedFireEvenWhenTheDowntimeSpansSeveralSteps) {
  const absl::Time now = At(12, 0);
  Drained d = Drain(Every(absl::Seconds(1)), now - absl::Hours(5), now, absl::ZeroDuration(),
                    absl::Minutes(5), Latest());
  std::vector<absl::Time> expected = {now - absl::Minutes(5) - absl::Seconds(1)};
  for (absl::Time t : Range(now - absl::Minutes(5), now, absl::Seconds(1))) expected.push_back(t);
  EXPECT_EQ(d.created, expected);
  EXPECT_EQ(static_cast<int64_t>(d.skipped_listed.size()) + d.skipped_unlisted, 17698);
  EXPECT_EQ(d.cursor, now);
}

TEST(PlanFiresBoundsTest, AllCreatesAtMostMaxMissedFiresEvenWhenTheWindowSpansSeveralSteps) {
  const absl::Time now = At(12, 0);
  Drained d = Drain(Every(absl::Seconds(1)), now - absl::Hours(5), now, absl::ZeroDuration(),
                    absl::Minutes(5), All(10, absl::Hours(24)));
  std::vector<absl::Time> expected =
      Range(now - absl::Minutes(5) - absl::Seconds(10), now, absl::Seconds(1));
  EXPECT_EQ(d.created, expected);
  EXPECT_EQ(static_cast<int64_t>(d.skipped_listed.size()) + d.skipped_unlisted, 17699 - 10);
}

// --- DecideOverlap ---

struct OverlapCase {
  OverlapPolicy policy;
  int active_runs;
  bool earlier_waiting;
  OverlapAction expected;
};

std::string ActionName(OverlapAction a) {
  switch (a) {
    case OverlapAction::kStart:
      return "start";
    case OverlapAction::kWait:
      return "wait";
    case OverlapAction::kSkip:
      return "skip";
    case OverlapAction::kStartAndCancelPrevious:
      return "start_and_cancel_previous";
  }
  return "?";
}

TEST(DecideOverlapTest, FullTable) {
  using P = OverlapPolicy;
  using A = OverlapAction;
  const std::vector<OverlapCase> table = {
      // Nothing active, nothing waiting: every policy starts it.
      {P::kAllow, 0, false, A::kStart},
      {P::kSkip, 0, false, A::kStart},
      {P::kBufferOne, 0, false, A::kStart},
      {P::kCancelPrevious, 0, false, A::kStart},
      // allow: always starts.
      {P::kAllow, 0, true, A::kStart},
      {P::kAllow, 1, false, A::kStart},
      {P::kAllow, 1, true, A::kStart},
      // skip: skipped while a run is active.
      {P::kSkip, 0, true, A::kStart},
      {P::kSkip, 1, false, A::kSkip},
      {P::kSkip, 1, true, A::kSkip},
      // buffer_one: the first one waits behind the active run; a second is skipped.
      {P::kBufferOne, 0, true, A::kSkip},
      {P::kBufferOne, 1, false, A::kWait},
      {P::kBufferOne, 1, true, A::kSkip},
      // cancel_previous: the active runs are cancelled and this one starts.
      {P::kCancelPrevious, 0, true, A::kStart},
      {P::kCancelPrevious, 1, false, A::kStartAndCancelPrevious},
      {P::kCancelPrevious, 1, true, A::kStartAndCancelPrevious},
  };
  for (const OverlapCase& c : table) {
    // "1+": one active run and several behave alike.
    for (int active : c.active_runs == 0 ? std::vector<int>{0} : std::vector<int>{1, 2, 7}) {
      EXPECT_EQ(ActionName(DecideOverlap(c.policy, active, c.earlier_waiting)),
                ActionName(c.expected))
          << "policy " << Name(c.policy) << ", active " << active << ", earlier_waiting "
          << c.earlier_waiting;
    }
  }
}

// --- IsLate ---

TEST(IsLateTest, ExactlyLateAfterIsNotLateOneMicrosecondMoreIs) {
  const absl::Time scheduled = At(9, 0);
  const absl::Duration late_after = absl::Minutes(5);
  EXPECT_FALSE(IsLate(scheduled, scheduled, late_after));
  EXPECT_FALSE(IsLate(scheduled, scheduled + absl::Minutes(4), late_after));
  EXPECT_FALSE(IsLate(scheduled, scheduled + late_after, late_after));
  EXPECT_TRUE(IsLate(scheduled, scheduled + late_after + absl::Microseconds(1), late_after));
  EXPECT_TRUE(IsLate(scheduled, scheduled + absl::Hours(1), late_after));
}

TEST(IsLateTest, ZeroLateAfterMakesAnyDelayLate) {
  const absl::Time scheduled = At(9, 0);
  EXPECT_FALSE(IsLate(scheduled, scheduled, absl::ZeroDuration()));
  EXPECT_TRUE(IsLate(scheduled, scheduled + absl::Microseconds(1), absl::ZeroDuration()));
}

TEST(IsLateTest, StartingEarlyIsNotLate) {
  const absl::Time scheduled = At(9, 0);
  EXPECT_FALSE(IsLate(scheduled, scheduled - absl::Seconds(1), absl::Minutes(5)));
}

}  // namespace
}  // namespace baton::engine
