// The text rules of attempt logs: cleaning, masking, splitting a byte stream
// into bounded lines, and the worker's per-attempt bound. (Masking itself:
// secret_mask_test.cc.)
#include "common/base/log_text.h"

#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/attempt_log.h"
#include "worker/task_context.h"

namespace baton {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(CleanLogText, KeepsValidTextAndRepairsTheRest) {
  EXPECT_EQ(CleanLogText("plain ü text"), "plain ü text");
  EXPECT_EQ(CleanLogText(std::string("a\0b", 3)), "ab");
  EXPECT_EQ(CleanLogText("bad \xff byte"), "bad \xEF\xBF\xBD byte");  // U+FFFD
}

TEST(CleanLogText, CutsLongLinesOnACharacterBoundaryAndMarksThem) {
  const std::string long_line = std::string(kMaxLogLineBytes - 13, 'x') + "ééééééééééé";
  const std::string cut = CleanLogText(long_line);
  EXPECT_LE(cut.size(), kMaxLogLineBytes);
  EXPECT_TRUE(absl::EndsWith(cut, kTruncatedMark));
  const std::string kept = cut.substr(0, cut.size() - (sizeof(kTruncatedMark) - 1));
  EXPECT_EQ(CleanLogText(kept), kept);  // no broken character left behind
  const std::string fits(kMaxLogLineBytes, 'y');
  EXPECT_EQ(CleanLogText(fits), fits);
}

TEST(LineSplitter, JoinsChunksIntoLinesAndKeepsTheTail) {
  LineSplitter split;
  EXPECT_THAT(split.Feed("hel"), IsEmpty());
  EXPECT_THAT(split.Feed("lo\nwor"), ElementsAre("hello"));
  EXPECT_THAT(split.Feed("ld\r\n\nlast"), ElementsAre("world", ""));
  EXPECT_THAT(split.Finish(), ElementsAre("last"));
  EXPECT_THAT(split.Finish(), IsEmpty());
}

TEST(LineSplitter, EmitsOverlongLinesInBoundedPieces) {
  LineSplitter split(4);
  EXPECT_THAT(split.Feed("abcdefghij\nxy"), ElementsAre("abcd", "efgh", "ij"));
  EXPECT_THAT(split.Feed("zw"), IsEmpty());
  EXPECT_THAT(split.Feed("v"), ElementsAre("xyzw"));
  EXPECT_THAT(split.Finish(), ElementsAre("v"));
}

TEST(LogNames, AcceptOnlyTheDocumentedValues) {
  for (const char* level : {"debug", "info", "warn", "error"}) EXPECT_TRUE(IsLogLevel(level));
  EXPECT_FALSE(IsLogLevel("INFO"));
  for (const char* stream : {"log", "stdout", "stderr"}) EXPECT_TRUE(IsLogStream(stream));
  EXPECT_FALSE(IsLogStream("stdin"));
}

TEST(AttemptLog, MasksKeepsAndCountsWhatGoesOverTheBound) {
  worker::AttemptLog log({"s3cr3t"});
  EXPECT_EQ(log.Add("log", "info", "token s3cr3t"), "token ***");
  for (int i = 1; i < kMaxLogLinesPerAttempt + 5; ++i) log.Add("stdout", "info", "x");
  worker::AttemptLog::Pending first = log.Take();
  ASSERT_EQ(first.lines.size(), static_cast<size_t>(kMaxLogLinesPerAttempt));
  EXPECT_EQ(first.lines[0].message, "token ***");
  EXPECT_EQ(first.lines[0].stream, "log");
  EXPECT_EQ(first.dropped, 5);
  log.CountLost(7);
  log.Add("stdout", "info", "over the bound");
  worker::AttemptLog::Pending second = log.Take();
  EXPECT_THAT(second.lines, IsEmpty());
  EXPECT_EQ(second.dropped, 8);
}

TEST(AttemptLog, MasksBeforeItCutsALongLine) {
  const std::string secret = "Zq7vKx9pW2mR5vT8nL3hJ6";
  worker::AttemptLog log({secret});
  // Unmasked, the cut would fall 10 characters into the secret.
  const size_t room = kMaxLogLineBytes - (sizeof(kTruncatedMark) - 1);
  const std::string before(room - 10, 'x');
  EXPECT_EQ(log.Add("stdout", "info", before + secret + std::string(100, 'y')),
            before + "***" + std::string(7, 'y') + kTruncatedMark);
}

TEST(AttemptLog, BoundsBytesToo) {
  worker::AttemptLog log;
  const std::string big(kMaxLogLineBytes, 'b');
  const int fit = static_cast<int>(kMaxLogBytesPerAttempt / kMaxLogLineBytes);
  for (int i = 0; i < fit + 2; ++i) log.Add("stdout", "info", big);
  worker::AttemptLog::Pending pending = log.Take();
  EXPECT_EQ(pending.lines.size(), static_cast<size_t>(fit));
  EXPECT_EQ(pending.dropped, 2);
}

TEST(TaskContext, LogsWithLevelsAndRedactsTheRunsSecrets) {
  worker::TaskContext ctx({"run", "flow", "task", 1, 1, "h", "corr"}, nlohmann::json::object(),
                          absl::InfiniteFuture(), {{"TOKEN", "tok-123"}, {"PLAIN", "visible"}},
                          {"TOKEN"});
  ctx.Warn("using tok-123 and visible");
  ctx.LogOutput("stderr", "tok-123 on stderr");
  EXPECT_EQ(ctx.Redact("error: tok-123"), "error: ***");
  worker::AttemptLog::Pending pending = ctx.log().Take();
  ASSERT_EQ(pending.lines.size(), 2u);
  EXPECT_EQ(pending.lines[0].level, "warn");
  EXPECT_EQ(pending.lines[0].message, "using *** and visible");
  EXPECT_EQ(pending.lines[1].stream, "stderr");
  EXPECT_EQ(pending.lines[1].message, "*** on stderr");
}

}  // namespace
}  // namespace baton
