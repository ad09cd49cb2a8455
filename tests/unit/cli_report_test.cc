// CSV and Markdown output of `baton run list` and `baton run get`, and the
// --since/--until parser: pure functions, no server.
#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_split.h"
#include "cli/report.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace baton::cli {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using ::testing::Not;

google::protobuf::Timestamp At(const std::string& rfc3339) {
  google::protobuf::Timestamp t;
  EXPECT_TRUE(TimeUtil::FromString(rfc3339, &t)) << rfc3339;
  return t;
}

google::protobuf::Duration Millis(int64_t ms) { return TimeUtil::MillisecondsToDuration(ms); }

v1::Run EndedRun() {
  v1::Run run;
  run.set_id("6f1c2a8e-0000-4000-8000-000000000001");
  run.set_flow_name("basic-etl");
  run.set_flow_version(2);
  run.set_state(v1::FLOW_RUN_STATE_COMPLETED);
  run.set_parameters_json(R"({"items":[1,2],"note":"a|b"})");
  run.set_result_json(R"({"count":2})");
  *run.mutable_created_at() = At("2024-05-01T12:00:00Z");
  *run.mutable_started_at() = At("2024-05-01T12:00:00.250Z");
  *run.mutable_ended_at() = At("2024-05-01T12:00:01.7509Z");
  *run.mutable_duration() = Millis(1500) + TimeUtil::NanosecondsToDuration(900000);
  run.set_deployment_id("6f1c2a8e-0000-4000-8000-0000000000d1");
  *run.mutable_scheduled_time() = At("2024-05-01T12:00:00Z");
  run.set_late(true);
  run.add_tags("nightly");
  run.add_tags("team,data");
  return run;
}

v1::Run RunWithTasks() {
  v1::Run run = EndedRun();
  v1::TaskRun* extract = run.add_tasks();
  extract->set_name("extract");
  extract->set_state(v1::TASK_RUN_STATE_COMPLETED);
  extract->set_attempt_count(2);
  *extract->mutable_started_at() = At("2024-05-01T12:00:00.300Z");
  *extract->mutable_ended_at() = At("2024-05-01T12:00:01Z");
  *extract->mutable_duration() = Millis(700);
  extract->set_result_json("[1,2]");
  v1::Attempt* first = extract->add_attempts();
  first->set_number(1);
  first->set_state(v1::ATTEMPT_STATE_FAILED);
  first->set_worker_name("w1");
  *first->mutable_leased_at() = At("2024-05-01T12:00:00.300Z");
  *first->mutable_ended_at() = At("2024-05-01T12:00:00.400Z");
  first->set_error("connection reset | retrying\nline two");
  *first->mutable_retry_delay() = Millis(250);
  first->set_log_lines(2000);
  first->set_log_lines_dropped(31);
  v1::Attempt* second = extract->add_attempts();
  second->set_number(2);
  second->set_state(v1::ATTEMPT_STATE_SUCCEEDED);
  second->set_worker_name("w2");
  *second->mutable_leased_at() = At("2024-05-01T12:00:00.650Z");
  *second->mutable_ended_at() = At("2024-05-01T12:00:01Z");
  second->set_log_lines(4);
  v1::TaskRun* load = run.add_tasks();
  load->set_name("load");
  load->set_state(v1::TASK_RUN_STATE_FAILED);
  load->set_attempt_count(1);
  load->set_error("disk \"full\", giving up");
  return run;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(CsvField, PlainTextIsUnquoted) { EXPECT_EQ(CsvField("basic-etl"), "basic-etl"); }

TEST(CsvField, QuotesFieldsWithCommaQuoteOrLineBreak) {
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("cr\r"), "\"cr\r\"");
  EXPECT_EQ(CsvField(""), "");
}

TEST(FormatCsv, HeaderAndRowsEndInLf) {
  EXPECT_EQ(FormatCsv({{"a", "b"}, {"1", "x,y"}}), "a,b\n1,\"x,y\"\n");
}

TEST(MarkdownCell, EscapesPipesAndBackslashesAndFlattensLines) {
  EXPECT_EQ(MarkdownCell("a|b"), "a\\|b");
  EXPECT_EQ(MarkdownCell("dir\\|x"), "dir\\\\\\|x");
  EXPECT_EQ(MarkdownCell("one\r\ntwo"), "one two");
}

TEST(FormatMarkdownTable, HeaderThenSeparatorThenRows) {
  EXPECT_EQ(FormatMarkdownTable({{"a", "b"}, {"1", "x|y"}}),
            "| a | b |\n|---|---|\n| 1 | x\\|y |\n");
}

TEST(DurationSeconds, ThreeDecimalsTruncatedAndEmptyWhenUnset) {
  EXPECT_EQ(DurationSeconds(Millis(1500) + TimeUtil::NanosecondsToDuration(999999), true), "1.500");
  EXPECT_EQ(DurationSeconds(Millis(42), true), "0.042");
  EXPECT_EQ(DurationSeconds(Millis(3723004), true), "3723.004");
  EXPECT_EQ(DurationSeconds(Millis(0), true), "0.000");
  EXPECT_EQ(DurationSeconds(Millis(5), false), "");
}

TEST(RunListCsv, HeaderNamesTheColumns) {
  v1::ListRunsResponse none;
  EXPECT_EQ(RunListCsv(none),
            "run_id,flow,version,state,created_at,started_at,ended_at,duration_seconds,"
            "deployment_id,scheduled_time,late,tags\n");
}

TEST(RunListCsv, EndedRunHasEveryColumnAndQuotedTags) {
  v1::ListRunsResponse runs;
  *runs.add_runs() = EndedRun();
  EXPECT_EQ(Lines(RunListCsv(runs))[1],
            "6f1c2a8e-0000-4000-8000-000000000001,basic-etl,2,COMPLETED,"
            "2024-05-01T12:00:00.000Z,2024-05-01T12:00:00.250Z,2024-05-01T12:00:01.750Z,1.500,"
            "6f1c2a8e-0000-4000-8000-0000000000d1,2024-05-01T12:00:00.000Z,true,"
            "\"nightly;team,data\"");
}

TEST(RunListCsv, RunningRunLeavesEndAndDurationEmpty) {
  v1::ListRunsResponse runs;
  v1::Run* run = runs.add_runs();
  run->set_id("r1");
  run->set_flow_name("f");
  run->set_flow_version(1);
  run->set_state(v1::FLOW_RUN_STATE_RUNNING);
  *run->mutable_created_at() = At("2024-05-01T12:00:00Z");
  *run->mutable_started_at() = At("2024-05-01T12:00:01Z");
  EXPECT_EQ(Lines(RunListCsv(runs))[1],
            "r1,f,1,RUNNING,2024-05-01T12:00:00.000Z,2024-05-01T12:00:01.000Z,,,,,false,");
}

TEST(RunListMarkdown, SameColumnsAsCsvInAGitHubTable) {
  v1::ListRunsResponse runs;
  *runs.add_runs() = EndedRun();
  const std::vector<std::string> lines = Lines(RunListMarkdown(runs));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "| run_id | flow | version | state | created_at | started_at | ended_at | "
            "duration_seconds | deployment_id | scheduled_time | late | tags |");
  EXPECT_EQ(lines[1], "|---|---|---|---|---|---|---|---|---|---|---|---|");
  EXPECT_THAT(lines[2], HasSubstr("| COMPLETED |"));
  EXPECT_THAT(lines[2], HasSubstr("| 1.500 |"));
  EXPECT_THAT(lines[2], HasSubstr("| nightly;team,data |"));
}

TEST(RunTasksCsv, OneRowPerTaskWithWholeErrorsQuoted) {
  const std::vector<std::string> lines = Lines(RunTasksCsv(RunWithTasks()));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "run_id,task,state,attempts,started_at,ended_at,duration_seconds,worker,result,error");
  EXPECT_EQ(lines[1],
            "6f1c2a8e-0000-4000-8000-000000000001,extract,COMPLETED,2,2024-05-01T12:00:00.300Z,"
            "2024-05-01T12:00:01.000Z,0.700,w2,\"[1,2]\",");
  EXPECT_EQ(lines[2],
            "6f1c2a8e-0000-4000-8000-000000000001,load,FAILED,1,,,,,,"
            "\"disk \"\"full\"\", giving up\"");
}

TEST(RunMarkdown, HeadingMetadataTasksAndAttempts) {
  const std::string md = RunMarkdown(RunWithTasks());
  const std::vector<std::string> lines = Lines(md);
  EXPECT_EQ(lines[0], "# Run 6f1c2a8e-0000-4000-8000-000000000001");
  EXPECT_EQ(lines[1], "| field | value |");
  EXPECT_EQ(lines[2], "|---|---|");
  EXPECT_THAT(md, HasSubstr("| flow | basic-etl |\n| version | 2 |\n| state | COMPLETED |\n"));
  EXPECT_THAT(md, HasSubstr("| duration | 1.5s |"));
  EXPECT_THAT(md, HasSubstr("| parameters | {\"items\":[1,2],\"note\":\"a\\|b\"} |"));
  EXPECT_THAT(md, HasSubstr("| tags | nightly, team,data |"));
  EXPECT_THAT(md, HasSubstr("| late | yes |"));
  EXPECT_THAT(md, HasSubstr("| error | - |"));
  EXPECT_THAT(md, HasSubstr("| result | {\"count\":2} |"));
  EXPECT_THAT(md, HasSubstr("\n## Tasks\n\n| task | state | attempts | started | ended | duration "
                            "| worker | result or error |\n|---|---|---|---|---|---|---|---|\n"));
  EXPECT_THAT(md, HasSubstr("| extract | COMPLETED | 2 | 2024-05-01T12:00:00.300Z | "
                            "2024-05-01T12:00:01.000Z | 700ms | w2 | [1,2] |"));
  EXPECT_THAT(md, HasSubstr("| load | FAILED | 1 | - | - | - | - | error: disk \"full\", "
                            "giving up |"));
  EXPECT_THAT(md, HasSubstr("\n## Attempts\n\n| task | attempt | state | worker | started | ended "
                            "| duration | error | retry delay | log lines |\n"));
  EXPECT_THAT(md, HasSubstr("| extract | 1 | FAILED | w1 | 2024-05-01T12:00:00.300Z | "
                            "2024-05-01T12:00:00.400Z | 100ms | connection reset \\| retrying "
                            "line two | 250ms | 2000 (+31 dropped) |"));
  EXPECT_THAT(md, HasSubstr("| extract | 2 | SUCCEEDED | w2 | 2024-05-01T12:00:00.650Z | "
                            "2024-05-01T12:00:01.000Z | 350ms | - | - | 4 |"));
}

TEST(RunMarkdown, RunWithoutTasksHasOnlyTheMetadata) {
  v1::Run run;
  run.set_id("r1");
  run.set_state(v1::FLOW_RUN_STATE_PENDING);
  const std::string md = RunMarkdown(run);
  EXPECT_THAT(md, HasSubstr("| started | - |"));
  EXPECT_THAT(md, HasSubstr("| deployment | - |"));
  EXPECT_THAT(md, HasSubstr("| late | no |"));
  EXPECT_THAT(md, Not(HasSubstr("## Tasks")));
  EXPECT_THAT(md, Not(HasSubstr("## Attempts")));
}

TEST(RunMarkdown, LongTextIsCut) {
  v1::Run run = EndedRun();
  run.set_error(std::string(1000, 'x'));
  const std::string md = RunMarkdown(run);
  EXPECT_THAT(md, HasSubstr("| error | " + std::string(kMarkdownCellMax - 3, 'x') + "... |"));
}

class ParseTimeBoundTest : public ::testing::Test {
 protected:
  const absl::Time now_ = absl::FromUnixSeconds(1714564800);  // 2024-05-01T12:00:00Z
};

TEST_F(ParseTimeBoundTest, DurationIsThatLongBeforeNow) {
  EXPECT_EQ(*ParseTimeBound("--since", "1h", now_), now_ - absl::Hours(1));
  EXPECT_EQ(*ParseTimeBound("--since", "90s", now_), now_ - absl::Seconds(90));
  EXPECT_EQ(*ParseTimeBound("--since", "1h30m", now_), now_ - absl::Minutes(90));
  EXPECT_EQ(*ParseTimeBound("--since", "0s", now_), now_);
}

TEST_F(ParseTimeBoundTest, DaysAreAccepted) {
  EXPECT_EQ(*ParseTimeBound("--since", "7d", now_), now_ - absl::Hours(7 * 24));
  EXPECT_EQ(*ParseTimeBound("--since", "1.5d", now_), now_ - absl::Hours(36));
}

TEST_F(ParseTimeBoundTest, Rfc3339IsThatInstant) {
  EXPECT_EQ(*ParseTimeBound("--until", "2024-04-30T10:00:00Z", now_),
            absl::FromUnixSeconds(1714471200));
  EXPECT_EQ(*ParseTimeBound("--until", "2024-04-30T12:00:00.5+02:00", now_),
            absl::FromUnixSeconds(1714471200) + absl::Milliseconds(500));
}

TEST_F(ParseTimeBoundTest, RejectsNegativeAndUnknownWithTheFlagName) {
  for (const std::string bad : {"-1h", "yesterday", "", "1x", "2024-13-01T00:00:00Z", "inf"}) {
    absl::StatusOr<absl::Time> t = ParseTimeBound("--until", bad, now_);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("--until \"" + bad + "\""));
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("RFC 3339"));
  }
}

}  // namespace
}  // namespace baton::cli
