// Pure tests of the rules that move runs forward: attempt outcomes, task
// inputs, the end of a run, its result, and bounded error messages.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "orchestrator/engine/run_rules.h"

namespace baton::engine {

using model::AttemptState;
using model::FlowRunState;
using model::TaskRunState;

namespace {

using json = nlohmann::json;
using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kTruncated[] = "... (truncated)";

// True when `s` is well-formed UTF-8 (no cut sequence).
bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const size_t len = lead < 0x80           ? 1
                       : (lead >> 5) == 0x6  ? 2
                       : (lead >> 4) == 0xE  ? 3
                       : (lead >> 3) == 0x1E ? 4
                                             : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

// Field by field, so that new fields of ReportedOutcome keep their defaults.
ReportedOutcome Success(std::string result_json) {
  ReportedOutcome outcome;
  outcome.succeeded = true;
  outcome.result_json = std::move(result_json);
  return outcome;
}

ReportedOutcome Failure(std::string error) {
  ReportedOutcome outcome;
  outcome.succeeded = false;
  outcome.error = std::move(error);
  return outcome;
}

// --- DecideAttempt ---

TEST(DecideAttemptTest, SuccessCompletesWithTheParsedResult) {
  AttemptDecision d = DecideAttempt(Success(R"({"rows": 3, "names": ["a", "b"]})"));
  EXPECT_EQ(d.attempt_state, AttemptState::kSucceeded);
  EXPECT_EQ(d.task_state, TaskRunState::kCompleted);
  EXPECT_EQ(d.result, json({{"rows", 3}, {"names", {"a", "b"}}}));
  EXPECT_EQ(d.error, "");
}

TEST(DecideAttemptTest, AnyJsonValueIsAResult) {
  EXPECT_EQ(DecideAttempt(Success("42")).result, json(42));
  EXPECT_EQ(DecideAttempt(Success("\"text\"")).result, json("text"));
  EXPECT_EQ(DecideAttempt(Success("[1,2]")).result, json({1, 2}));
  AttemptDecision null_result = DecideAttempt(Success("null"));
  EXPECT_EQ(null_result.task_state, TaskRunState::kCompleted);
  EXPECT_TRUE(null_result.result.is_null());
}

TEST(DecideAttemptTest, FailureFailsWithTheReportedError) {
  AttemptDecision d = DecideAttempt(Failure("connection refused"));
  EXPECT_EQ(d.attempt_state, AttemptState::kFailed);
  EXPECT_EQ(d.task_state, TaskRunState::kFailed);
  EXPECT_TRUE(d.result.is_null());
  EXPECT_EQ(d.error, "connection refused");
}

TEST(DecideAttemptTest, FailureIgnoresAnyResult) {
  ReportedOutcome outcome = Failure("boom");
  outcome.result_json = R"({"partial": true})";
  AttemptDecision d = DecideAttempt(outcome);
  EXPECT_EQ(d.task_state, TaskRunState::kFailed);
  EXPECT_TRUE(d.result.is_null());
}

TEST(DecideAttemptTest, FailureWithoutAMessageGetsOne) {
  AttemptDecision d = DecideAttempt(Failure(""));
  EXPECT_EQ(d.task_state, TaskRunState::kFailed);
  EXPECT_EQ(d.error, "handler failed without a message");
}

TEST(DecideAttemptTest, InvalidJsonResultIsAFailure) {
  for (const char* bad : {"{", "not json", "{\"a\": }", ""}) {
    AttemptDecision d = DecideAttempt(Success(bad));
    EXPECT_EQ(d.attempt_state, AttemptState::kFailed) << bad;
    EXPECT_EQ(d.task_state, TaskRunState::kFailed) << bad;
    EXPECT_TRUE(d.result.is_null()) << bad;
    EXPECT_EQ(d.error, "result is not valid JSON") << bad;
  }
}

TEST(DecideAttemptTest, ResultHoldingANulCharacterIsAFailure) {
  // Valid JSON, but PostgreSQL's jsonb cannot store U+0000.
  for (const char* nul : {R"({"out": "a\u0000b"})", R"(["\u0000"])", R"({"k\u0000": 1})",
                          R"({"deep": [{"x": "\u0000"}]})", R"("\u0000")"}) {
    AttemptDecision d = DecideAttempt(Success(nul));
    EXPECT_EQ(d.attempt_state, AttemptState::kFailed) << nul;
    EXPECT_EQ(d.task_state, TaskRunState::kFailed) << nul;
    EXPECT_TRUE(d.result.is_null()) << nul;
    EXPECT_EQ(d.error, "result contains the character U+0000 (NUL), which cannot be stored") << nul;
  }
}

TEST(DecideAttemptTest, EscapedBackslashBeforeU0000IsJustText) {
  AttemptDecision d = DecideAttempt(Success(R"({"path": "C:\\u0000"})"));
  EXPECT_EQ(d.task_state, TaskRunState::kCompleted);
  EXPECT_EQ(d.result["path"], "C:\\u0000");
}

TEST(DecideAttemptTest, ResultAtTheBoundIsAccepted) {
  // A JSON string of exactly kMaxResultBytes serialized bytes.
  const std::string at_bound = "\"" + std::string(kMaxResultBytes - 2, 'x') + "\"";
  ASSERT_EQ(at_bound.size(), kMaxResultBytes);
  AttemptDecision d = DecideAttempt(Success(at_bound));
  EXPECT_EQ(d.task_state, TaskRunState::kCompleted);
  EXPECT_EQ(d.result.get<std::string>().size(), kMaxResultBytes - 2);
}

TEST(DecideAttemptTest, ResultOverTheBoundIsAFailureSayingSo) {
  const std::string over = "\"" + std::string(kMaxResultBytes - 1, 'x') + "\"";
  ASSERT_EQ(over.size(), kMaxResultBytes + 1);
  AttemptDecision d = DecideAttempt(Success(over));
  EXPECT_EQ(d.attempt_state, AttemptState::kFailed);
  EXPECT_EQ(d.task_state, TaskRunState::kFailed);
  EXPECT_TRUE(d.result.is_null());
  EXPECT_EQ(d.error, absl::StrCat("result of ", kMaxResultBytes + 1, " bytes exceeds the bound of ",
                                  kMaxResultBytes, " bytes"));
}

TEST(DecideAttemptTest, LongErrorIsTruncatedOnAUtf8Boundary) {
  // A two-byte character straddles the bound.
  std::string error(kMaxErrorMessageBytes - 1, 'e');
  error += "\xC3\xA9";  // é
  error += std::string(100, 'z');
  AttemptDecision d = DecideAttempt(Failure(error));
  EXPECT_EQ(d.task_state, TaskRunState::kFailed);
  EXPECT_TRUE(IsValidUtf8(d.error));
  EXPECT_EQ(d.error, std::string(kMaxErrorMessageBytes - 1, 'e') + kTruncated);
}

// --- BoundErrorMessage ---

TEST(BoundErrorMessageTest, ShortMessagesAreUnchanged) {
  EXPECT_EQ(BoundErrorMessage(""), "");
  EXPECT_EQ(BoundErrorMessage("boom"), "boom");
  const std::string at_bound(kMaxErrorMessageBytes, 'a');
  EXPECT_EQ(BoundErrorMessage(at_bound), at_bound);
}

TEST(BoundErrorMessageTest, NulCharactersAreWrittenOut) {
  EXPECT_EQ(BoundErrorMessage(std::string("bad\0nul\0", 8)), "bad\\0nul\\0");
}

TEST(BoundErrorMessageTest, OneByteOverIsCutAndMarked) {
  const std::string over(kMaxErrorMessageBytes + 1, 'a');
  EXPECT_EQ(BoundErrorMessage(over), std::string(kMaxErrorMessageBytes, 'a') + kTruncated);
}

TEST(BoundErrorMessageTest, NeverCutsInsideAMultiByteCharacter) {
  // Each character of 2, 3 and 4 bytes, placed so that it starts at every
  // offset before the bound that makes it straddle the bound.
  for (const std::string ch : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
    for (size_t before = 1; before < ch.size(); ++before) {
      std::string message(kMaxErrorMessageBytes - before, 'a');
      message += ch;
      message += std::string(50, 'b');
      const std::string bounded = BoundErrorMessage(message);
      SCOPED_TRACE(
          absl::StrCat(ch.size(), "-byte character, ", before, " byte(s) before the bound"));
      EXPECT_TRUE(IsValidUtf8(bounded));
      EXPECT_EQ(bounded, std::string(kMaxErrorMessageBytes - before, 'a') + kTruncated);
    }
  }
}

TEST(BoundErrorMessageTest, KeepsACharacterThatEndsExactlyAtTheBound) {
  std::string message(kMaxErrorMessageBytes - 3, 'a');
  message += "\xE2\x82\xAC";  // € ends exactly at the bound
  message += "tail";
  const std::string bounded = BoundErrorMessage(message);
  EXPECT_TRUE(IsValidUtf8(bounded));
  EXPECT_EQ(bounded, std::string(kMaxErrorMessageBytes - 3, 'a') + "\xE2\x82\xAC" + kTruncated);
}

TEST(BoundErrorMessageTest, AllMultiByteMessageStaysValid) {
  std::string message;
  while (message.size() <= kMaxErrorMessageBytes + 10) message += "\xF0\x9F\x98\x80";
  const std::string bounded = BoundErrorMessage(message);
  EXPECT_TRUE(IsValidUtf8(bounded));
  EXPECT_THAT(bounded, EndsWith(kTruncated));
  EXPECT_LE(bounded.size(), kMaxErrorMessageBytes + sizeof(kTruncated) - 1);
  EXPECT_GT(bounded.size(), kMaxErrorMessageBytes - 4);
}

// --- BuildTaskInput ---

TEST(BuildTaskInputTest, HasParamsAndUpstreamResultsByName) {
  const json params = {{"items", {1, 2, 3}}, {"source", "s3"}};
  const std::map<std::string, json> upstream = {{"extract", {{"rows", 3}}}, {"clean", json("ok")}};
  EXPECT_EQ(
      BuildTaskInput(params, upstream),
      json({{"params", params}, {"upstream", {{"extract", {{"rows", 3}}}, {"clean", "ok"}}}}));
}

TEST(BuildTaskInputTest, RootTaskHasAnEmptyUpstreamObject) {
  const json input = BuildTaskInput(json::object(), {});
  ASSERT_TRUE(input.is_object());
  EXPECT_EQ(input.size(), 2u);
  EXPECT_TRUE(input.at("params").is_object());
  EXPECT_TRUE(input.at("upstream").is_object());
  EXPECT_TRUE(input.at("upstream").empty());
}

TEST(BuildTaskInputTest, NullUpstreamResultIsKept) {
  const json input = BuildTaskInput(json::object(), {{"a", json()}});
  ASSERT_TRUE(input["upstream"].contains("a"));
  EXPECT_TRUE(input["upstream"]["a"].is_null());
}

// --- DecideRunEnd ---

TaskStateView Task(std::string name, TaskRunState state, std::string error = "") {
  TaskStateView view;
  view.name = std::move(name);
  view.state = state;
  view.error = std::move(error);
  return view;
}

TEST(DecideRunEndTest, AnyOpenTaskMeansNoEndYet) {
  for (TaskRunState open : {TaskRunState::kPending, TaskRunState::kReady, TaskRunState::kRunning,
                            TaskRunState::kAwaitingRetry}) {
    EXPECT_FALSE(DecideRunEnd({Task("a", TaskRunState::kCompleted), Task("b", open),
                               Task("c", TaskRunState::kFailed, "boom")})
                     .has_value())
        << Name(open);
  }
}

TEST(DecideRunEndTest, AllCompletedIsCompleted) {
  std::optional<RunEnd> end =
      DecideRunEnd({Task("a", TaskRunState::kCompleted), Task("b", TaskRunState::kCompleted)});
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kCompleted);
  EXPECT_EQ(end->error, "");
}

TEST(DecideRunEndTest, FailedTaskFailsTheRunNamingItAndItsError) {
  std::optional<RunEnd> end = DecideRunEnd({Task("extract", TaskRunState::kCompleted),
                                            Task("load", TaskRunState::kFailed, "disk full")});
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kFailed);
  EXPECT_EQ(end->error, "task \"load\" FAILED: disk full");
}

TEST(DecideRunEndTest, FailureWithoutErrorStillNamesTheTask) {
  std::optional<RunEnd> end = DecideRunEnd({Task("load", TaskRunState::kFailed)});
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kFailed);
  EXPECT_EQ(end->error, "task \"load\" FAILED");
}

TEST(DecideRunEndTest, SkippedBehindAFailureNamesOnlyTheFailure) {
  std::optional<RunEnd> end =
      DecideRunEnd({Task("a", TaskRunState::kFailed, "boom"),
                    Task("b", TaskRunState::kSkipped, "upstream task run 1 FAILED"),
                    Task("c", TaskRunState::kSkipped, "upstream task run 1 FAILED")});
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kFailed);
  EXPECT_EQ(end->error, "task \"a\" FAILED: boom");
}

TEST(DecideRunEndTest, SkippedTasksWithoutAFailureStillFailTheRun) {
  std::optional<RunEnd> end =
      DecideRunEnd({Task("a", TaskRunState::kCompleted), Task("b", TaskRunState::kSkipped)});
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kFailed);
  EXPECT_EQ(end->error, "tasks were skipped");
}

TEST(DecideRunEndTest, CancelledAndTimedOutTasksFailTheRunNamingEach) {
  std::optional<RunEnd> end =
      DecideRunEnd({Task("a", TaskRunState::kCancelled), Task("b", TaskRunState::kCompleted),
                    Task("c", TaskRunState::kTimedOut, "no result within 30s")});
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->state, FlowRunState::kFailed);
  EXPECT_EQ(end->error, "task \"a\" CANCELLED; task \"c\" TIMED_OUT: no result within 30s");
}

TEST(DecideRunEndTest, ErrorOfManyFailuresIsBounded) {
  std::vector<TaskStateView> tasks;
  for (int i = 0; i < 50; ++i) {
    tasks.push_back(Task(absl::StrCat("t", i), TaskRunState::kFailed, std::string(500, 'x')));
  }
  std::optional<RunEnd> end = DecideRunEnd(tasks);
  ASSERT_TRUE(end.has_value());
  EXPECT_THAT(end->error, AllOf(StartsWith("task \"t0\" FAILED: xxx"), EndsWith(kTruncated)));
  EXPECT_LE(end->error.size(), kMaxErrorMessageBytes + sizeof(kTruncated) - 1);
}

// --- BuildRunResult ---

TEST(BuildRunResultTest, SingleResultTaskGivesItsResultAsIs) {
  EXPECT_EQ(BuildRunResult({"load"}, {{"extract", json(1)}, {"load", {{"loaded", 5}}}}),
            json({{"loaded", 5}}));
}

TEST(BuildRunResultTest, SeveralResultTasksGiveAnObjectByName) {
  EXPECT_EQ(BuildRunResult({"b", "c"}, {{"a", json(1)}, {"b", json(2)}, {"c", json("three")}}),
            json({{"b", 2}, {"c", "three"}}));
}

TEST(BuildRunResultTest, MissingResultsAreNull) {
  EXPECT_TRUE(BuildRunResult({"load"}, {}).is_null());
  EXPECT_EQ(BuildRunResult({"b", "c"}, {{"b", json(2)}}), json({{"b", 2}, {"c", nullptr}}));
}

TEST(BuildRunResultTest, NoResultTasksGiveAnEmptyObject) {
  const json result = BuildRunResult({}, {{"a", json(1)}});
  EXPECT_TRUE(result.is_object());
  EXPECT_TRUE(result.empty());
  EXPECT_THAT(result.dump(), Not(HasSubstr("a")));
}

}  // namespace
}  // namespace baton::engine
