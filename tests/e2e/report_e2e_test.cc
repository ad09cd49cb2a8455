// The course's short note on a few runs, one command each: `baton run list`
// and `baton run get` as CSV and Markdown, read back and checked against
// `run get -o json`, and the --since/--until/--deployment filters.
#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::nlohmann::json;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

using Table = std::vector<std::vector<std::string>>;

const std::vector<std::string> kRunListColumns = {
    "run_id",        "flow",           "version",  "state",
    "created_at",    "started_at",     "ended_at", "duration_seconds",
    "deployment_id", "scheduled_time", "late",     "tags"};

// RFC 4180: quoted fields may hold commas, doubled quotes and line breaks.
Table ParseCsv(const std::string& text) {
  Table rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quoted field";
  EXPECT_TRUE(field.empty() && row.empty()) << "last line without a line end";
  return rows;
}

// Cells split on unescaped pipes; `\x` stands for x.
std::vector<std::string> SplitMarkdownRow(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  EXPECT_TRUE(line.size() >= 2 && line.front() == '|' && line.back() == '|') << line;
  for (size_t i = 1; i + 1 < line.size(); ++i) {
    if (line[i] == '\\' && i + 2 < line.size()) {
      cell += line[++i];
    } else if (line[i] == '|') {
      cells.push_back(std::string(absl::StripAsciiWhitespace(cell)));
      cell.clear();
    } else {
      cell += line[i];
    }
  }
  cells.push_back(std::string(absl::StripAsciiWhitespace(cell)));
  return cells;
}

// The first table in `text` from its header on, without the `|---|` row.
Table ParseMarkdownTable(const std::vector<std::string>& lines, size_t header) {
  Table rows = {SplitMarkdownRow(lines.at(header))};
  std::string separator = "|";
  for (size_t i = 0; i < rows[0].size(); ++i) separator += "---|";
  EXPECT_EQ(lines.at(header + 1), separator);
  for (size_t i = header + 2; i < lines.size() && !lines[i].empty() && lines[i][0] == '|'; ++i) {
    rows.push_back(SplitMarkdownRow(lines[i]));
  }
  return rows;
}

std::vector<std::string> Lines(const std::string& text) { return absl::StrSplit(text, '\n'); }

// The row of `table` whose first cell is `key`, or an empty row.
std::vector<std::string> RowOf(const Table& table, const std::string& key) {
  for (const auto& row : table) {
    if (!row.empty() && row[0] == key) return row;
  }
  ADD_FAILURE() << "no row " << key;
  return {};
}

double JsonSeconds(const json& duration) {  // proto JSON: "1.234567s"
  std::string text = duration.get<std::string>();
  double seconds = -1;
  EXPECT_TRUE(absl::SimpleAtod(text.substr(0, text.size() - 1), &seconds)) << text;
  return seconds;
}

absl::Time ParseRfc3339(const std::string& text) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &error)) << text << ": " << error;
  return t;
}

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

class ReportEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.StartWorker({"--slots", "2"}, ExampleWorkerBinary());
    CliResult applied = cluster_.Cli({"flow", "apply", "-f", Example("01-basic-flow/flow.yaml")});
    ASSERT_EQ(applied.exit_code, 0) << applied.err;
  }

  static std::string Example(const std::string& path) { return SourceDir() + "/examples/" + path; }

  // Starts a basic-etl run with `args`, waits for its end, returns its id.
  std::string RunEtl(std::vector<std::string> args) {
    std::vector<std::string> cli = {"-o", "json", "run", "start", "basic-etl"};
    cli.insert(cli.end(), args.begin(), args.end());
    CliResult started = cluster_.Cli(cli);
    EXPECT_EQ(started.exit_code, 0) << started.err;
    const std::string id = json::parse(started.out, nullptr, false)["run"]["id"];
    auto run = cluster_.WaitForRunEnd(id, absl::Seconds(60));
    EXPECT_TRUE(run.ok()) << run.status();
    return id;
  }

  json GetJson(const std::string& id) {
    CliResult got = cluster_.Cli({"-o", "json", "run", "get", id});
    EXPECT_EQ(got.exit_code, 0) << got.err;
    return json::parse(got.out, nullptr, false);
  }

  // `run list -o csv` with `filters`: the rows after the header.
  Table ListCsv(std::vector<std::string> filters) {
    std::vector<std::string> cli = {"-o", "csv", "run", "list"};
    cli.insert(cli.end(), filters.begin(), filters.end());
    CliResult listed = cluster_.Cli(cli);
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    Table rows = ParseCsv(listed.out);
    EXPECT_FALSE(rows.empty());
    if (rows.empty()) return rows;
    EXPECT_EQ(rows[0], kRunListColumns);
    return Table(rows.begin() + 1, rows.end());
  }

  static std::set<std::string> Ids(const Table& rows) {
    std::set<std::string> ids;
    for (const auto& row : rows) ids.insert(row.at(0));
    return ids;
  }

  TestCluster cluster_{"report"};
};

TEST_F(ReportEndToEnd, RunListCsvHasTheIdsStatesAndDurationsOfRunGet) {
  const std::vector<std::string> ids = {RunEtl({}), RunEtl({"-p", "items=[7,8,9]"}),
                                        RunEtl({"-p", "items=[\"x|y\",\"a,b\"]"})};
  const Table rows = ListCsv({});
  ASSERT_THAT(rows, SizeIs(3));
  for (const std::string& id : ids) {
    const std::vector<std::string> row = RowOf(rows, id);
    ASSERT_THAT(row, SizeIs(kRunListColumns.size()));
    const json run = GetJson(id);
    EXPECT_EQ("FLOW_RUN_STATE_" + row[3], run["state"].get<std::string>()) << id;
    EXPECT_EQ(row[1], "basic-etl");
    EXPECT_EQ(row[2], "1");
    EXPECT_LT(absl::AbsDuration(ParseRfc3339(row[4]) -
                                ParseRfc3339(run["created_at"].get<std::string>())),
              absl::Milliseconds(1));
    double csv_seconds = -1;
    ASSERT_TRUE(absl::SimpleAtod(row[7], &csv_seconds)) << row[7];
    EXPECT_EQ(row[7].size() - row[7].find('.'), 4u) << "three decimals: " << row[7];
    const double json_seconds = JsonSeconds(run["duration"]);
    EXPECT_LE(csv_seconds, json_seconds + 1e-9);  // truncated to milliseconds
    EXPECT_GT(csv_seconds, json_seconds - 0.001);
    EXPECT_EQ(row[8], "");
    EXPECT_EQ(row[10], "false");
  }
  EXPECT_EQ(RowOf(rows, ids[0])[3], "COMPLETED");
  EXPECT_EQ(RowOf(rows, ids[2])[3], "FAILED");  // transform wants numbers
  // Newest first.
  EXPECT_EQ(rows[0][0], ids[2]);
  EXPECT_EQ(rows[2][0], ids[0]);
}

TEST_F(ReportEndToEnd, RunListMarkdownHoldsTheSameRowsAsCsv) {
  RunEtl({});
  RunEtl({"-p", "items=[\"x|y\"]"});
  CliResult md = cluster_.Cli({"-o", "markdown", "run", "list"});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  const Table table = ParseMarkdownTable(Lines(md.out), 0);
  ASSERT_FALSE(table.empty());
  EXPECT_EQ(table[0], kRunListColumns);
  EXPECT_EQ(Table(table.begin() + 1, table.end()), ListCsv({}));
}

TEST_F(ReportEndToEnd, RunGetMarkdownHasMetadataTasksAndAttempts) {
  const std::string id = RunEtl({"-p", "items=[\"x|y\"]"});
  const json run = GetJson(id);
  CliResult md = cluster_.Cli({"-o", "markdown", "run", "get", id});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  const std::vector<std::string> lines = Lines(md.out);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "# Run " + id);

  const Table meta = ParseMarkdownTable(lines, 2);
  EXPECT_THAT(RowOf(meta, "flow"), ElementsAre("flow", "basic-etl"));
  EXPECT_THAT(RowOf(meta, "state"), ElementsAre("state", "FAILED"));
  EXPECT_THAT(RowOf(meta, "parameters"),
              ElementsAre("parameters", run["parameters_json"].get<std::string>()));
  EXPECT_THAT(RowOf(meta, "deployment"), ElementsAre("deployment", "-"));

  const auto tasks_at = std::find(lines.begin(), lines.end(), "## Tasks");
  ASSERT_NE(tasks_at, lines.end()) << md.out;
  const Table tasks = ParseMarkdownTable(lines, tasks_at - lines.begin() + 2);
  ASSERT_THAT(tasks, SizeIs(4));
  EXPECT_THAT(tasks[0], ElementsAre("task", "state", "attempts", "started", "ended", "duration",
                                    "worker", "result or error"));
  const std::vector<std::string> extract = RowOf(tasks, "extract");
  ASSERT_THAT(extract, SizeIs(8));
  EXPECT_EQ(extract[1], "COMPLETED");
  EXPECT_EQ(json::parse(extract[7]), json({{"items", {"x|y"}}}));  // the pipe survives
  const std::vector<std::string> transform = RowOf(tasks, "transform");
  ASSERT_THAT(transform, SizeIs(8));
  EXPECT_EQ(transform[1], "FAILED");
  EXPECT_THAT(transform[7], HasSubstr("error: "));
  EXPECT_THAT(transform[7], HasSubstr("type must be number"));

  const auto attempts_at = std::find(lines.begin(), lines.end(), "## Attempts");
  ASSERT_NE(attempts_at, lines.end()) << md.out;
  const Table attempts = ParseMarkdownTable(lines, attempts_at - lines.begin() + 2);
  EXPECT_THAT(RowOf(attempts, "extract"), SizeIs(10));
  EXPECT_EQ(RowOf(attempts, "extract")[2], "SUCCEEDED");
  EXPECT_EQ(RowOf(attempts, "extract")[9], "1");  // "extracted 1 items", its one log line
}

TEST_F(ReportEndToEnd, RunGetCsvHasOneRowPerTaskWithDurations) {
  const std::string id = RunEtl({});
  const json run = GetJson(id);
  CliResult csv = cluster_.Cli({"-o", "csv", "run", "get", id});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const Table rows = ParseCsv(csv.out);
  ASSERT_THAT(rows, SizeIs(4));
  EXPECT_THAT(rows[0], ElementsAre("run_id", "task", "state", "attempts", "started_at", "ended_at",
                                   "duration_seconds", "worker", "result", "error"));
  for (size_t i = 1; i < rows.size(); ++i) {
    const json& task = run["tasks"][i - 1];
    EXPECT_EQ(rows[i][0], id);
    EXPECT_EQ(rows[i][1], task["name"].get<std::string>());
    EXPECT_EQ(rows[i][2], "COMPLETED");
    double seconds = -1;
    ASSERT_TRUE(absl::SimpleAtod(rows[i][6], &seconds)) << rows[i][6];
    EXPECT_NEAR(seconds, JsonSeconds(task["duration"]), 0.001);
    EXPECT_EQ(rows[i][8], task["result_json"].get<std::string>());
  }
  EXPECT_EQ(json::parse(rows[2][8]), json({2, 4, 6, 8, 10}));  // transform, commas quoted
}

TEST_F(ReportEndToEnd, SinceAndUntilBoundTheCreationTime) {
  const std::string first = RunEtl({});
  const std::string second = RunEtl({});
  const absl::Time first_created = ParseRfc3339(GetJson(first)["created_at"]);

  EXPECT_EQ(Ids(ListCsv({"--since", "1h"})), (std::set<std::string>{first, second}));
  EXPECT_EQ(Ids(ListCsv({"--since", "1h", "--until", "0s"})),
            (std::set<std::string>{first, second}));
  EXPECT_THAT(ListCsv({"--until", "1h"}), IsEmpty());
  EXPECT_THAT(ListCsv({"--until", FormatRfc3339(first_created - absl::Seconds(1))}), IsEmpty());
  EXPECT_THAT(ListCsv({"--since", FormatRfc3339(absl::Now() + absl::Hours(1))}), IsEmpty());
  // created_after <= created_at < created_before, to the microsecond.
  const std::string at = FormatRfc3339(first_created);
  EXPECT_EQ(Ids(ListCsv({"--since", at})), (std::set<std::string>{first, second}));
  EXPECT_THAT(Ids(ListCsv({"--until", at})), IsEmpty());
  EXPECT_EQ(Ids(ListCsv({"--until", FormatRfc3339(first_created + absl::Microseconds(1))})),
            (std::set<std::string>{first}));
}

TEST_F(ReportEndToEnd, BadWindowsAndDeploymentIdsAreRejected) {
  CliResult words = cluster_.Cli({"run", "list", "--since", "yesterday"});
  EXPECT_EQ(words.exit_code, 1);
  EXPECT_THAT(words.err, HasSubstr("--since \"yesterday\""));
  CliResult backwards = cluster_.Cli({"run", "list", "--since", "1h", "--until", "2h"});
  EXPECT_EQ(backwards.exit_code, 1);
  EXPECT_THAT(backwards.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(backwards.err, HasSubstr("created_after"));
  CliResult not_uuid = cluster_.Cli({"run", "list", "--deployment", "daily"});
  EXPECT_EQ(not_uuid.exit_code, 1);
  EXPECT_THAT(not_uuid.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(not_uuid.err, HasSubstr("deployment_id \"daily\" is not a UUID"));
}

TEST_F(ReportEndToEnd, DeploymentFilterListsOnlyThatDeploymentsRunsWithTags) {
  const std::string manual = RunEtl({});
  ASSERT_EQ(cluster_.Cli({"flow", "apply", "-f", Example("04-scheduling/flow.yaml")}).exit_code, 0);
  CliResult applied =
      cluster_.Cli({"deployment", "apply", "-f", Example("04-scheduling/deployment.yaml")});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  CliResult started = cluster_.Cli({"-o", "json", "deployment", "run", "daily-0900"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const json run = json::parse(started.out)["run"];
  const std::string id = run["id"];
  const std::string deployment = run["deployment_id"];
  ASSERT_TRUE(cluster_.WaitForRunEnd(id, absl::Seconds(60)).ok());

  const Table rows = ListCsv({"--deployment", deployment});
  EXPECT_TRUE(Ids(rows).count(id));
  EXPECT_FALSE(Ids(rows).count(manual));
  const std::vector<std::string> row = RowOf(rows, id);
  ASSERT_THAT(row, SizeIs(kRunListColumns.size()));
  EXPECT_EQ(row[1], "daily-job");
  EXPECT_EQ(row[3], "COMPLETED");
  EXPECT_EQ(row[8], deployment);
  EXPECT_EQ(row[11], "week-10");
  std::vector<std::string> deployments;
  for (const auto& r : rows) deployments.push_back(r.at(8));
  EXPECT_THAT(deployments, Each(deployment));
  EXPECT_THAT(ListCsv({"--deployment", "00000000-0000-4000-8000-000000000000"}), IsEmpty());
}

}  // namespace
}  // namespace baton::testing
