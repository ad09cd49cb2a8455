// A deployment's secret never shows, not even in part: not where a bound cuts
// an error's stderr tail or a long output line, not in results (masked in the
// worker, so downstream tasks get "***" too), in no output format.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_cluster.h"

namespace baton::testing {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;

constexpr char kSecret[] = "Zq7vKx9pW2mR5vT8nL3hJ6";  // 22 characters

// An exec task running `script` with `sh -c`.
std::string ExecTask(const std::string& name, const std::string& script,
                     const std::string& extra = "") {
  return absl::StrCat("  - name: ", name, "\n    handler: exec\n", extra,
                      "    config: {command: sh, args: ", json::array({"-c", script}).dump(),
                      "}\n");
}

// straddle: fails; unmasked, the 2 KiB of stderr its error keeps would start
// 8 characters before the secret ends. long-line: a 32 KiB piece of its line
// would end inside the secret. returns: the secret in its result, which
// downstream echoes from its input.
std::string SecretsFlow() {
  return absl::StrCat(
      "name: secrets\ntasks:\n",
      ExecTask("straddle",
               "printf 'denied for %s' \"$API_TOKEN\" >&2; "
               "head -c 2040 /dev/zero | tr '\\0' x >&2; exit 3"),
      ExecTask("long-line", "head -c 32760 /dev/zero | tr '\\0' y; echo \"$API_TOKEN\"; echo '{}'"),
      ExecTask("returns", R"(echo "{\"token\": \"$API_TOKEN\", \"nested\": )"
                          R"({\"$API_TOKEN\": [\"pre-$API_TOKEN-post\"]}}")"),
      ExecTask("downstream", "cat", "    depends_on: [returns]\n"));
}

constexpr char kDeployment[] = R"(
name: secrets-now
flow: secrets
env:
  API_TOKEN: {value: Zq7vKx9pW2mR5vT8nL3hJ6, secret: true}
)";

// Where `text` shows four or more characters of the secret in a row: the
// text around the first such place, or "" when there is none.
std::string PartOfSecret(const std::string& text) {
  const std::string secret = kSecret;
  for (size_t i = 0; i + 4 <= secret.size(); ++i) {
    const size_t at = text.find(secret.substr(i, 4));
    if (at != std::string::npos) return text.substr(at < 40 ? 0 : at - 40, 80);
  }
  return "";
}

TEST(Secrets, NoPartOfASecretShowsAnywhere) {
  TestCluster cluster("secrets");
  ChildProcess& worker = cluster.StartWorker({"--log-level", "debug"});
  const std::string id = cluster.ApplyAndRunDeployment(SecretsFlow(), kDeployment, "secrets-now");
  ASSERT_FALSE(id.empty());
  auto run = cluster.WaitForRunEnd(id, absl::Seconds(60));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->state(), v1::FLOW_RUN_STATE_FAILED);  // straddle failed

  const v1::TaskRun* straddle = FindTask(*run, "straddle");
  ASSERT_NE(straddle, nullptr);
  ASSERT_EQ(straddle->attempts_size(), 1);
  EXPECT_THAT(straddle->attempts(0).error(), HasSubstr("stderr: ... for ***xxx"));
  const json masked = {{"token", "***"}, {"nested", {{"***", {"pre-***-post"}}}}};
  EXPECT_EQ(json::parse(FindTask(*run, "returns")->result_json()), masked);
  // Downstream got the masked value as its input.
  EXPECT_EQ(json::parse(FindTask(*run, "downstream")->result_json())["upstream"]["returns"],
            masked);

  for (const char* format : {"table", "json", "csv", "markdown"}) {
    for (const char* command : {"get", "logs"}) {
      CliResult shown = cluster.Cli({"-o", format, "run", command, id});
      EXPECT_EQ(shown.exit_code, 0) << format << " " << command << ": " << shown.err;
      EXPECT_THAT(shown.out, HasSubstr("***")) << format << " " << command;
      EXPECT_EQ(PartOfSecret(shown.out), "") << "run " << command << " -o " << format;
    }
  }
  EXPECT_EQ(PartOfSecret(worker.Log()), "");
  EXPECT_EQ(PartOfSecret(cluster.orchestrator().Log()), "");
}

}  // namespace
}  // namespace baton::testing
