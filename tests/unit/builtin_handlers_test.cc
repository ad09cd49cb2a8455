#include "worker/builtin_handlers.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_files.h"
#include "worker/handler_errors.h"

namespace baton::worker {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using Clock = std::chrono::steady_clock;
using ::baton::testing::ProcessGone;
using ::baton::testing::ReadFile;
using ::baton::testing::TempDir;
using ::baton::testing::WaitUntil;

pid_t WaitForPidFile(const std::string& path) {
  pid_t pid = 0;
  WaitUntil([&] { return std::istringstream(ReadFile(path)) >> pid && pid > 0; },
            std::chrono::seconds(5));
  return pid;
}

TaskContext::Identity TestIdentity(const std::string& handler) {
  return {"run-1", "flow", "task", 1, 1, handler, ""};
}

const json kInput = {{"params", {{"day", "2024-05-01"}}},
                     {"upstream", {{"extract", {{"rows", 3}}}}}};

// Runs `script` with `sh -c`; `script_args` become $1, $2, ...
json ShellConfig(const std::string& script, json extra = json::object(),
                 const std::vector<std::string>& script_args = {}) {
  json config = {{"command", "sh"}, {"args", {"-c", script, "sh"}}};
  for (const std::string& arg : script_args) config["args"].push_back(arg);
  config.update(extra);
  return config;
}

absl::StatusOr<json> RunExec(const json& config, const json& input = kInput) {
  TaskContext ctx(TestIdentity("exec"), config);
  return ExecHandler(ctx, input);
}

// Cancels `ctx` from another thread once `pid_file` has content, the moment
// the script signals it is running, and records when.
class CancelWhenReady {
 public:
  CancelWhenReady(TaskContext& ctx, std::string pid_file)
      : thread_([this, &ctx, pid_file] {
          pid_ = WaitForPidFile(pid_file);
          cancelled_at_ = Clock::now();
          ctx.Cancel("run cancelled by user");
        }) {}
  ~CancelWhenReady() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  pid_t pid() const { return pid_; }
  std::chrono::milliseconds SinceCancel() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - cancelled_at_);
  }

 private:
  pid_t pid_ = 0;
  Clock::time_point cancelled_at_;
  std::thread thread_;
};

TEST(ExecHandlerTest, InputJsonArrivesOnStdin) {
  auto result = RunExec(ShellConfig("cat"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, kInput);
}

TEST(ExecHandlerTest, ShellCanReadInputAsOneLine) {
  auto result = RunExec(ShellConfig("read -r line; printf '{\"got\": %s}\\n' \"$line\""));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, json({{"got", kInput}}));
}

TEST(ExecHandlerTest, LastNonEmptyLineParsedAsJsonIsTheResult) {
  auto result = RunExec(ShellConfig("echo loading; echo '{\"rows\": 42}'; echo; echo '  '"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, json({{"rows", 42}}));
}

TEST(ExecHandlerTest, NonJsonLastLineIsReturnedAsStdout) {
  auto result = RunExec(ShellConfig("echo '{\"rows\": 42}'; echo 'all done'"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, json({{"stdout", "all done"}}));
}

TEST(ExecHandlerTest, NoOutputGivesExitCode) {
  auto result = RunExec(ShellConfig("true"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, json({{"exit_code", 0}}));
}

TEST(ExecHandlerTest, InvalidUtf8OutputIsRepaired) {
  auto result = RunExec(ShellConfig("printf 'caf\\351\\n'"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, json({{"stdout", "caf\xEF\xBF\xBD"}}));
  EXPECT_NO_THROW(result->dump());
}

TEST(ExecHandlerTest, NonZeroExitIsAbortedWithStderrTail) {
  auto result = RunExec(ShellConfig("echo 'table missing' >&2; exit 3"));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(result.status().message(),
            "exec: command \"sh\" exited with code 3; stderr: table missing");
}

TEST(ExecHandlerTest, ReportedErrorGivesTypeMessageAndFinality) {
  auto result = RunExec(
      ShellConfig("echo 'reading input' >&2;"
                  " echo '{\"baton_error\": {\"type\": \"ValueError\", \"message\": \"bad day\","
                  " \"non_retryable\": true}}' >&2; exit 1"));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ErrorTypeOf(result.status()), "ValueError");
  EXPECT_TRUE(IsNonRetryable(result.status()));
  EXPECT_EQ(result.status().message(), "bad day (exec: command \"sh\" exited with code 1)");

  result =
      RunExec(ShellConfig("echo '{\"baton_error\": {\"type\": \"Timeout\"}}' >&2; kill -TERM $$"));
  EXPECT_EQ(ErrorTypeOf(result.status()), "Timeout");
  EXPECT_FALSE(IsNonRetryable(result.status()));
  EXPECT_THAT(result.status().message(), HasSubstr("killed by signal SIGTERM"));
}

TEST(ExecHandlerTest, MalformedErrorReportsAreIgnored) {
  for (const std::string report : {
           R"({"baton_error": {"type": "has space"}})",
           R"({"baton_error": {"type": ""}})",
           R"({"baton_error": {"message": "no type"}})",
           R"({"baton_error": "ValueError"})",
           R"({"baton_error": {"type": "ValueError")",
       }) {
    auto result =
        RunExec(ShellConfig("printf '%s\n' \"$1\" >&2; exit 2", json::object(), {report}));
    EXPECT_EQ(ErrorTypeOf(result.status()), "ABORTED") << report;
    EXPECT_THAT(result.status().message(), HasSubstr("exited with code 2; stderr: " + report));
  }
  // Only a failed command's report counts.
  auto ok = RunExec(
      ShellConfig("echo '{\"baton_error\": {\"type\": \"ValueError\"}}' >&2; echo '{\"n\": 1}'"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, json({{"n", 1}}));
}

TEST(ExecHandlerTest, PythonIsUnbufferedUnlessTheTaskSaysOtherwise) {
  auto result = RunExec(ShellConfig("printf '{\"u\": \"%s\"}\n' \"$PYTHONUNBUFFERED\""));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, json({{"u", "1"}}));
  result = RunExec(ShellConfig("printf '{\"u\": \"%s\"}\n' \"$PYTHONUNBUFFERED\"",
                               {{"env", {{"PYTHONUNBUFFERED", ""}}}}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, json({{"u", ""}}));
}

TEST(ExecHandlerTest, LongStderrIsCutToItsLastTwoKilobytes) {
  auto result = RunExec(
      ShellConfig("head -c 100000 /dev/zero | tr '\\0' e >&2; echo ' final words' >&2; exit 1"));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(result.status().message(), HasSubstr("exited with code 1; stderr: ...eee"));
  EXPECT_THAT(std::string(result.status().message()), ::testing::EndsWith("eee final words"));
  EXPECT_LT(result.status().message().size(), 2200u);
}

constexpr char kSecret[] = "Zq7vKx9pW2mR5vT8nL3hJ6";  // 22 characters

// The first run of four or more of the secret's characters in `text`, or "".
std::string PartOfSecret(const std::string& text) {
  const std::string secret = kSecret;
  for (size_t i = 0; i + 4 <= secret.size(); ++i) {
    if (text.find(secret.substr(i, 4)) != std::string::npos) return secret.substr(i, 4);
  }
  return "";
}

// A context whose run has TOKEN = kSecret, a secret env var.
TaskContext SecretContext(const json& config) {
  return TaskContext(TestIdentity("exec"), config, absl::InfiniteFuture(), {{"TOKEN", kSecret}},
                     {"TOKEN"});
}

TEST(ExecHandlerTest, SecretsAreMaskedBeforeTheStderrTailIsCut) {
  // Unmasked, the last 2 KiB would start 8 characters before the secret ends.
  TaskContext ctx = SecretContext(ShellConfig(
      "printf 'denied for %s' \"$TOKEN\" >&2; head -c 2040 /dev/zero | tr '\\0' x >&2; exit 3"));
  auto result = ExecHandler(ctx, kInput);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(result.status().message(), HasSubstr("stderr: ... for ***xxx"));
  EXPECT_EQ(PartOfSecret(std::string(result.status().message())), "");
}

TEST(ExecHandlerTest, SecretsAreMaskedBeforeLongLinesAreCutAndInTheResult) {
  // Unmasked, the line's first 32 KiB piece would end inside the secret.
  TaskContext ctx = SecretContext(ShellConfig(
      R"(head -c 32760 /dev/zero | tr '\0' y; echo "$TOKEN"; echo "{\"token\": \"$TOKEN\"}")"));
  auto result = ExecHandler(ctx, kInput);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, json({{"token", "***"}}));
  const AttemptLog::Pending logged = ctx.log().Take();
  ASSERT_EQ(logged.lines.size(), 2u);
  for (const LogEntry& line : logged.lines) EXPECT_EQ(PartOfSecret(line.message), "");
  EXPECT_EQ(logged.lines[1].message, "{\"token\": \"***\"}");
}

TEST(ExecHandlerTest, DeathBySignalNamesTheSignal) {
  auto result = RunExec(ShellConfig("kill -KILL $$"));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(result.status().message(),
            "exec: command \"sh\" killed by signal SIGKILL (9); stderr is empty");
}

TEST(ExecHandlerTest, EnvAndWorkingDirAreApplied) {
  TempDir dir;
  auto result =
      RunExec(ShellConfig("printf '{\"greeting\": \"%s\", \"dir\": \"%s\"}\\n' "
                          "\"$GREETING\" \"$(pwd)\"",
                          {{"env", {{"GREETING", "hello"}}}, {"working_dir", dir.path()}}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, json({{"greeting", "hello"},
                           {"dir", std::filesystem::canonical(dir.path()).string()}}));
}

TEST(ExecHandlerTest, MissingCommandIsNotFoundAndNamed) {
  auto result = RunExec({{"command", "baton-no-such-tool"}});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(),
              HasSubstr("exec: command \"baton-no-such-tool\" not found in PATH"));
}

TEST(ExecHandlerTest, MissingWorkingDirIsNotFoundAndNamed) {
  auto result = RunExec(ShellConfig("true", {{"working_dir", "/nonexistent/baton"}}));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(result.status().message(),
              HasSubstr("cannot chdir to \"/nonexistent/baton\": No such file or directory"));
}

struct ConfigCase {
  json config;
  std::string message;
};

class ExecConfigTest : public ::testing::TestWithParam<ConfigCase> {};

TEST_P(ExecConfigTest, RejectedWithFieldPath) {
  auto result = RunExec(GetParam().config);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ExecConfigTest,
    ::testing::Values(
        ConfigCase{json::array({"sh"}), "exec: config: expected an object, got [\"sh\"]"},
        ConfigCase{json::object(), "exec: config.command: missing; expected a non-empty string"},
        ConfigCase{{{"command", ""}},
                   "exec: config.command: expected a non-empty string, got \"\""},
        ConfigCase{{{"command", 7}}, "exec: config.command: expected a non-empty string, got 7"},
        ConfigCase{{{"command", "sh"}, {"args", "-c"}},
                   "exec: config.args: expected an array of strings, got \"-c\""},
        ConfigCase{{{"command", "sh"}, {"args", {"-c", 1}}},
                   "exec: config.args[1]: expected a string, got 1"},
        ConfigCase{{{"command", "sh"}, {"env", {{"A", "1"}, {"B", true}}}},
                   "exec: config.env.B: expected a string, got true"},
        ConfigCase{{{"command", "sh"}, {"env", {{"A=B", "1"}}}},
                   "exec: config.env: variable name \"A=B\" must be non-empty and without '='"},
        ConfigCase{{{"command", "sh"}, {"working_dir", 5}},
                   "exec: config.working_dir: expected a string, got 5"},
        ConfigCase{{{"command", "sh"}, {"kill_grace_seconds", -1}},
                   "exec: config.kill_grace_seconds: expected a number from 0 to 3600, got -1"},
        ConfigCase{{{"command", "sh"}, {"kill_grace_seconds", "5"}},
                   "exec: config.kill_grace_seconds: expected a number from 0 to 3600, got \"5\""},
        ConfigCase{{{"command", "sh"}, {"argz", {"-c"}}},
                   "exec: config.argz: unknown field; expected one of command, args, env, "
                   "working_dir, kill_grace_seconds"}));

TEST(ExecHandlerTest, CancellationKillsTheWholeProcessTree) {
  TempDir dir;
  TaskContext ctx(TestIdentity("exec"),
                  ShellConfig("sleep 30 & echo $! > \"$1\"; sleep 30", {{"kill_grace_seconds", 1}},
                              {dir.File("pid")}));
  CancelWhenReady canceller(ctx, dir.File("pid"));
  auto result = ExecHandler(ctx, kInput);
  canceller.Join();
  EXPECT_LT(canceller.SinceCancel(), std::chrono::seconds(3));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(result.status().message(), "exec: command \"sh\" stopped: run cancelled by user");
  ASSERT_GT(canceller.pid(), 0);
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(canceller.pid()); }, std::chrono::seconds(2)))
      << "grandchild " << canceller.pid() << " survived";
}

TEST(ExecHandlerTest, ProcessIgnoringSigtermIsKilledAfterTheGrace) {
  TempDir dir;
  TaskContext ctx(TestIdentity("exec"),
                  ShellConfig("trap '' TERM; echo $$ > \"$1\"; while :; do sleep 0.05; done",
                              {{"kill_grace_seconds", 1}}, {dir.File("pid")}));
  CancelWhenReady canceller(ctx, dir.File("pid"));
  auto result = ExecHandler(ctx, kInput);
  canceller.Join();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_GE(canceller.SinceCancel(), std::chrono::milliseconds(950));
  EXPECT_LT(canceller.SinceCancel(), std::chrono::seconds(4));
  EXPECT_TRUE(WaitUntil([&] { return ProcessGone(canceller.pid()); }, std::chrono::seconds(2)));
}

TEST(ExecHandlerTest, SeveralMegabytesOfStdoutKeepTheTail) {
  auto result =
      RunExec(ShellConfig("head -c 6000000 /dev/zero | tr '\\0' x; echo; echo '{\"done\": true}'"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, json({{"done", true}}));
}

TEST(ExecHandlerTest, SeveralMegabytesOfStdinDoNotDeadlock) {
  json input = kInput;
  input["params"]["blob"] = std::string(5'000'000, 'b');
  auto result = RunExec(ShellConfig("wc -c"), input);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, json(input.dump().size() + 1));  // + the trailing newline
}

TEST(SleepHandlerTest, SleepsTheConfiguredTime) {
  TaskContext ctx(TestIdentity("sleep"), {{"seconds", 0.05}});
  const Clock::time_point start = Clock::now();
  auto result = SleepHandler(ctx, kInput);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_EQ(*result, json({{"slept_seconds", 0.05}}));
}

TEST(SleepHandlerTest, CancelReturnsEarly) {
  TaskContext ctx(TestIdentity("sleep"), {{"seconds", 30}});
  Clock::time_point cancelled_at;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancelled_at = Clock::now();
    ctx.Cancel("lease lost");
  });
  auto result = SleepHandler(ctx, kInput);
  canceller.join();
  EXPECT_LT(Clock::now() - cancelled_at, std::chrono::seconds(1));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(result.status().message(), "sleep: stopped: lease lost");
}

TEST(SleepHandlerTest, RejectsBadSeconds) {
  TaskContext negative(TestIdentity("sleep"), {{"seconds", -1}});
  EXPECT_EQ(SleepHandler(negative, kInput).status().message(),
            "sleep: config.seconds: expected a number from 0 to 86400, got -1");
  TaskContext text(TestIdentity("sleep"), {{"seconds", "10"}});
  EXPECT_EQ(SleepHandler(text, kInput).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NoopHandlerTest, ReturnsOk) {
  TaskContext ctx(TestIdentity("noop"), json());
  auto result = NoopHandler(ctx, kInput);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, json({{"ok", true}}));
}

TEST(BuiltinHandlersTest, RegistersAllThree) {
  std::map<std::string, Handler> handlers = BuiltinHandlers();
  std::vector<std::string> names;
  for (const auto& [name, handler] : handlers) names.push_back(name);
  EXPECT_THAT(names, UnorderedElementsAre("exec", "sleep", "noop"));
  TaskContext ctx(TestIdentity("noop"), json());
  EXPECT_EQ(*handlers.at("noop")(ctx, kInput), json({{"ok", true}}));
}

}  // namespace
}  // namespace baton::worker
