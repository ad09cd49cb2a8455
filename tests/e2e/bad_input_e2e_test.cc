// Bad bytes from outside, against the real binaries. The CLI never aborts:
// invalid UTF-8 in a flag, a parameter or a file, and bad JSON, are refused
// before anything is sent, naming the flag (or the file, line and column),
// the byte and what was expected. Nothing is stored.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kFlow[] = R"(name: fine
tasks:
  - {name: only, handler: noop}
)";

// ---- the CLI ----

// A CLI call that was refused: exit 1 (not an abort), one clear message.
void ExpectRefused(const CliResult& result, const std::string& message) {
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_THAT(result.err, HasSubstr(message));
  EXPECT_THAT(result.err, Not(HasSubstr("terminate called")));
}

int RunCount(TestCluster& cluster) {
  CliResult list = cluster.Cli({"-o", "json", "run", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  return static_cast<int>(nlohmann::json::parse(list.out, nullptr, false)
                              .value("runs", nlohmann::json::array())
                              .size());
}

class BadInputEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new TestCluster("bad_input"); }
  static void TearDownTestSuite() { delete cluster_; }
  static TestCluster* cluster_;
};

TestCluster* BadInputEndToEnd::cluster_ = nullptr;

TEST_F(BadInputEndToEnd, CliRefusesFlagsThatAreNotUtf8AndNeverAborts) {
  TestCluster& cluster = *cluster_;
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", cluster.WriteFile("fine.yaml", kFlow)}).exit_code,
            0);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"run", "start", "fine", "-p", "k=\xff"},
       R"(--param "k=\xff": not valid UTF-8 at byte 2; expected UTF-8 text)"},
      {{"run", "start", "fine", "-p", "\xc3=1"},
       R"(--param "\xc3=1": not valid UTF-8 at byte 0; expected UTF-8 text)"},
      {{"run", "start", "fine", "--params-json", "{\"k\": \"\xed\xa0\x80\"}"},
       R"(--params-json "{\"k\": \"\xed\xa0\x80\"}": not valid UTF-8 at byte 7)"},
      {{"run", "start", "f\xffine"}, R"(flow "f\xffine": not valid UTF-8 at byte 1)"},
      {{"run", "start", "fine", "--idempotency-key", "abc\xff"},
       R"(--idempotency-key "abc\xff": not valid UTF-8 at byte 3)"},
      {{"run", "start", "fine", "--correlation-id", "id-\xe2\x82"},
       R"(--correlation-id "id-\xe2\x82": not valid UTF-8 at byte 3)"},
      {{"deployment", "run", "nightly", "-p", "when=\xc0\xaf"},
       R"(--param "when=\xc0\xaf": not valid UTF-8 at byte 5)"},
      {{"run", "cancel", "some-id", "--reason", "\xf5"},
       R"(--reason "\xf5": not valid UTF-8 at byte 0)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args[0] + " " + c.args[1]);
    ExpectRefused(cluster.Cli(c.args), c.message);
  }
  EXPECT_EQ(RunCount(cluster), 0);
}

TEST_F(BadInputEndToEnd, CliRefusesBadJsonParametersWithTheirPosition) {
  TestCluster& cluster = *cluster_;
  ASSERT_EQ(cluster.Cli({"flow", "apply", "-f", cluster.WriteFile("fine.yaml", kFlow)}).exit_code,
            0);
  ExpectRefused(cluster.Cli({"run", "start", "fine", "--params-json", "{\"k\": "}),
                "--params-json: invalid JSON at byte 7; expected a JSON object");
  ExpectRefused(cluster.Cli({"run", "start", "fine", "--params-json", "[1]"}),
                "--params-json: expected a JSON object, got array");
  ExpectRefused(cluster.Cli({"run", "start", "fine", "-p",
                             "k=" + std::string(100, '[') + std::string(100, ']')}),
                "--param \"k\": nested more than 64 levels deep (at byte 64)");
  EXPECT_EQ(RunCount(cluster), 0);
}

TEST_F(BadInputEndToEnd, CliRefusesFilesThatAreNotUtf8NamingLineAndColumn) {
  TestCluster& cluster = *cluster_;
  const std::string flow = cluster.WriteFile(
      "latin1.yaml", "name: latin1\ntasks:\n  - {name: caf\xe9, handler: noop}\n");
  ExpectRefused(cluster.Cli({"flow", "apply", "-f", flow}),
                "latin1.yaml (line 3, column 15): not valid UTF-8 at byte 34 (0xE9); "
                "expected UTF-8 text");
  const std::string deployment = cluster.WriteFile(
      "latin1-deployment.yaml", "name: nightly\nflow: fine\ndescription: d\xe9j\xe0 vu\n");
  ExpectRefused(cluster.Cli({"deployment", "apply", "-f", deployment}),
                "latin1-deployment.yaml (line 3, column 15): not valid UTF-8 at byte 39 (0xE9)");
  CliResult flows = cluster.Cli({"-o", "json", "flow", "list"});
  EXPECT_THAT(flows.out, Not(HasSubstr("latin1")));
  CliResult deployments = cluster.Cli({"-o", "json", "deployment", "list"});
  EXPECT_THAT(deployments.out, Not(HasSubstr("nightly")));

  // A file whose name is not UTF-8 is read, and sent under a UTF-8 name.
  const std::string odd_name =
      cluster.WriteFile("odd-\xff.yaml", "name: odd\n" + std::string(kFlow).substr(11));
  CliResult applied = cluster.Cli({"flow", "apply", "-f", odd_name});
  EXPECT_EQ(applied.exit_code, 0) << applied.err;
}

}  // namespace
}  // namespace baton::testing
